package connstr

import (
	"strconv"
	"strings"
	"time"
)

// Support says how far Go honours a key.
type Support string

const (
	// Honoured keys are applied to the go-redis options exactly as
	// StackExchange.Redis applies them.
	Honoured Support = "honoured"
	// Ignored keys are validated and accepted but change nothing in Go,
	// because go-redis does the job another way or has nothing to do
	// (listed in Connection.Ignored).
	Ignored Support = "ignored"
	// Warns keys are accepted, but some values ask for something go-redis
	// cannot do: those values add a Warning to the Connection, and the
	// client is built without them.
	Warns Support = "warns"
)

// Key describes one StackExchange.Redis connection-string keyword or
// ConfigurationOptions property and what Go does with it. [Keys] lists
// them all; the same table drives parsing, the binding of the
// ConfigurationOptions sections, error wording, redis-doctor and the key
// tables in the documentation.
type Key struct {
	// Name is the connection-string keyword in its canonical spelling
	// (keys match in any case), or "" for a ConfigurationOptions property
	// that has no keyword.
	Name string
	// Property is the .NET ConfigurationOptions property bound from the
	// Aspire:StackExchange:Redis[:{name}]:ConfigurationOptions sections, or
	// "" when it cannot be bound from configuration.
	Property string
	// Value is the grammar of the value, e.g. "boolean" or "integer (ms), >= 1".
	Value string
	// Effect says what the key does in Go.
	Effect string
	// Support says how far Go honours the key.
	Support Support
	// Secret marks keys whose value is never shown.
	Secret bool
}

// grammar is how a key's value is read.
type grammar int

const (
	gString       grammar = iota // any text
	gBool                        // StackExchange.Redis boolean (bool.Parse in configuration)
	gInt                         // 32-bit integer, .NET int.TryParse
	gVersion                     // System.Version or a major version
	gProtocol                    // resp2, resp3, 2, 3
	gProxy                       // None, Twemproxy, Envoyproxy
	gSslProtocols                // .NET SslProtocols flags joined with '|'
	gTunnel                      // http:host:port
	gAny                         // not read (deprecated keys)
	gTimeSpan                    // .NET TimeSpan (ConfigurationOptions only)
)

// grammarText describes a grammar for the docs and redis-doctor.
var grammarText = map[grammar]string{
	gString:       "text",
	gBool:         "boolean",
	gInt:          "integer",
	gVersion:      "version (7, 7.2, 7.2.4)",
	gProtocol:     "resp2, resp3, 2 or 3",
	gProxy:        "None, Twemproxy or Envoyproxy",
	gSslProtocols: "SslProtocols names joined with '|', or the number",
	gTunnel:       "http:host:port",
	gAny:          "any (not read)",
	gTimeSpan:     "TimeSpan (00:00:01)",
}

// value is a key's value once read by its grammar.
type value struct {
	s     string   // the text, trimmed
	b     bool     // gBool
	n     int      // gInt, gProtocol
	r     tlsRange // gSslProtocols
	proxy string   // gProxy, canonical name
}

// Def is one row of the key table.
type Def struct {
	name     string // connection-string keyword; "" for a property only
	property string // ConfigurationOptions property; "" for none
	grammar  grammar
	minValue *int // gInt: .NET's minimum, nil when none
	unit     string
	secret   bool
	// freeText keys take any text: right after password=, such a piece may
	// be the rest of a password that contains a comma.
	freeText bool
	support  Support
	effect   string
	// apply stores the value in the builder; key is the keyword as written.
	apply func(b *Builder, key string, v value) error
}

func minOf(n int) *int { return &n }

// keyTable is THE table of keys: adding a key is adding a row.
var keyTable = []Def{
	{name: keyAbortConnect, property: "AbortOnConnectFail", grammar: gBool, support: Honoured,
		effect: "Connection.AbortConnect: fail start-up when the server cannot be reached (default false, as in Aspire and for Azure)",
		apply:  func(b *Builder, _ string, v value) error { b.abortConnect = v.b; return nil }},
	{name: keyAllowAdmin, property: "AllowAdmin", grammar: gBool, support: Ignored,
		effect: "ignored: go-redis does not restrict admin commands",
		apply:  ignoreKey},
	{name: keyAsyncTimeout, property: "AsyncTimeout", grammar: gInt, minValue: minOf(1), unit: "ms", support: Honoured,
		effect: "ReadTimeout and WriteTimeout, like syncTimeout; when both are set the larger wins (go-redis has one timeout for all commands)",
		apply: func(b *Builder, _ string, v value) error {
			b.asyncTimeout = some(v.n)
			b.readTimeout, b.writeTimeout = opt[time.Duration]{}, opt[time.Duration]{}
			return nil
		}},
	{name: keyChannelPrefix, property: "ChannelPrefix", grammar: gString, freeText: true, support: Warns,
		effect: "empty: nothing to do. Otherwise a warning: go-redis cannot prefix pub/sub channel names, so add the prefix in code",
		apply: func(b *Builder, key string, v value) error {
			b.channelPrefix, b.channelPrefixKey = v.s, key
			return nil
		}},
	{name: keyCheckCRL, property: "CheckCertificateRevocation", grammar: gBool, support: Warns,
		effect: "false: nothing to do. true: a warning: Go's TLS does not check certificate revocation lists",
		apply:  func(b *Builder, key string, v value) error { b.checkCRL, b.checkCRLKey = v.b, key; return nil }},
	{name: keyConfigChannel, property: "ConfigurationChannel", grammar: gString, freeText: true, support: Ignored,
		effect: "ignored: go-redis does not listen for reconfiguration broadcasts",
		apply:  ignoreKey},
	{name: keyConfigCheckSeconds, property: "ConfigCheckSeconds", grammar: gInt, unit: "s", support: Ignored,
		effect: "ignored: go-redis has no periodic configuration check",
		apply:  ignoreKey},
	{name: keyConnectRetry, property: "ConnectRetry", grammar: gInt, support: Honoured,
		effect: "DialerRetries, the dial attempts per connection (3 when absent, as in StackExchange.Redis; 0 or less: one attempt; more than 100: 100 and a warning)",
		apply: func(b *Builder, key string, v value) error {
			b.connectRetry, b.connectRetryKey = some(v.n), key
			return nil
		}},
	{name: keyConnectTimeout, property: "ConnectTimeout", grammar: gInt, unit: "ms", support: Honoured,
		effect: "DialTimeout (default max(5 s, syncTimeout)); 0 or less: the default and a warning, since go-redis cannot dial without a time limit",
		apply: func(b *Builder, key string, v value) error {
			b.connectTimeout, b.connectTimeoutKey = some(time.Duration(v.n)*time.Millisecond), key
			return nil
		}},
	{name: keyDefaultDatabase, property: "DefaultDatabase", grammar: gInt, support: Honoured,
		effect: "DB; -1 is database 0, as GetDatabase() reads it; below -1 an error, as GetDatabase() fails in .NET",
		apply: func(b *Builder, key string, v value) error {
			if v.n < -1 {
				return b.keyErr(key, "is %d: StackExchange.Redis accepts -1 (the default database) or a database number >= 0", v.n)
			}
			b.db, b.dbKey = some(max(v.n, 0)), key
			return nil
		}},
	{name: keyHighIntegrity, property: "HighIntegrity", grammar: gBool, support: Warns,
		effect: "false: nothing to do. true: a warning: go-redis has no per-command integrity check",
		apply: func(b *Builder, key string, v value) error {
			b.highIntegrity, b.highIntegrityKey = v.b, key
			return nil
		}},
	{name: keyHighPriority, grammar: gAny, support: Ignored,
		effect: "deprecated and ignored by StackExchange.Redis itself",
		apply:  ignoreKey},
	{name: keyKeepAlive, property: "KeepAlive", grammar: gInt, unit: "s", support: Ignored,
		effect: "ignored: go-redis sends no keep-alive commands and relies on TCP keep-alive, which is always on",
		apply:  ignoreKey},
	{name: keyName, property: "ClientName", grammar: gString, freeText: true, support: Honoured,
		effect: "ClientName, with the characters outside '!'..'~' removed, as StackExchange.Redis does before CLIENT SETNAME",
		apply: func(b *Builder, _ string, v value) error {
			b.clientName = some(v.s)
			return nil
		}},
	{name: keyPassword, property: "Password", grammar: gString, secret: true, freeText: true, support: Honoured,
		effect: "Password, and SentinelPassword with serviceName (StackExchange.Redis 2.x uses one password for both)",
		apply:  func(b *Builder, _ string, v value) error { b.password = some(v.s); return nil }},
	{name: keyPreserveAsyncOrder, grammar: gAny, support: Ignored,
		effect: "deprecated and ignored by StackExchange.Redis itself",
		apply:  ignoreKey},
	{name: keyProtocol, property: "Protocol", grammar: gProtocol, support: Honoured,
		effect: "Protocol; when absent go-redis's default, RESP3, where StackExchange.Redis 2.x uses RESP2 (a documented deviation)",
		apply:  func(b *Builder, _ string, v value) error { b.protocol = v.n; return nil }},
	{name: keyProxy, property: "Proxy", grammar: gProxy, support: Honoured,
		effect: "None: nothing to do. Twemproxy, Envoyproxy: each endpoint is a proxy (a standalone client for one endpoint)",
		apply:  func(b *Builder, key string, v value) error { b.proxy, b.proxyKey = v.proxy, key; return nil }},
	{name: keyResolveDNS, property: "ResolveDns", grammar: gBool, support: Ignored,
		effect: "ignored: Go resolves host names on each dial",
		apply:  ignoreKey},
	{name: keyResponseTimeout, grammar: gAny, support: Ignored,
		effect: "deprecated and ignored by StackExchange.Redis itself",
		apply:  ignoreKey},
	{name: keySentinelPassword, property: "SentinelPassword", grammar: gString, secret: true, freeText: true, support: Honoured,
		effect: "SentinelPassword (StackExchange.Redis 3.x); overrides password for the sentinels",
		apply:  func(b *Builder, _ string, v value) error { b.sentinelPasswd = some(v.s); return nil }},
	{name: keySentinelUser, property: "SentinelUser", grammar: gString, freeText: true, support: Honoured,
		effect: "SentinelUsername (StackExchange.Redis 3.x)",
		apply:  func(b *Builder, _ string, v value) error { b.sentinelUser = some(v.s); return nil }},
	{name: keyServiceName, property: "ServiceName", grammar: gString, freeText: true, support: Honoured,
		effect: "MasterName: Sentinel; the endpoints are sentinels (default port 26379)",
		apply:  func(b *Builder, _ string, v value) error { b.serviceName = v.s; return nil }},
	{name: keySetlib, property: "SetClientLibrary", grammar: gBool, support: Honoured,
		effect: "false: DisableIdentity (no CLIENT SETINFO)",
		apply:  func(b *Builder, _ string, v value) error { b.setlib = some(v.b); return nil }},
	{name: keySsl, property: "Ssl", grammar: gBool, support: Honoured,
		effect: "TLSConfig with certificate verification, minimum TLS 1.2; default port 6380. Default true for Azure Managed Redis hosts and for Azure Cache for Redis hosts on port 6380",
		apply:  func(b *Builder, key string, v value) error { b.ssl, b.sslKey = some(v.b), key; return nil }},
	{name: keySslHost, property: "SslHost", grammar: gString, freeText: true, support: Honoured,
		effect: "TLSConfig.ServerName (default: the endpoints' common host name; with serviceName, each sentinel and data node is verified under its own host); alone it does not turn TLS on",
		apply:  func(b *Builder, _ string, v value) error { b.sslHost = v.s; return nil }},
	{name: keySslProtocols, property: "SslProtocols", grammar: gSslProtocols, support: Honoured,
		effect: "TLSConfig.MinVersion/MaxVersion from Tls, Tls11, Tls12, Tls13; None and Default: Go's defaults; Ssl2, Ssl3 and sets with a gap: an error (Go's TLS takes a range)",
		apply:  func(b *Builder, _ string, v value) error { b.sslProtocols = some(v.r); return nil }},
	{name: keySyncTimeout, property: "SyncTimeout", grammar: gInt, minValue: minOf(1), unit: "ms", support: Honoured,
		effect: "ReadTimeout and WriteTimeout (default 5 s)",
		apply: func(b *Builder, _ string, v value) error {
			b.syncTimeout = some(v.n)
			b.readTimeout, b.writeTimeout = opt[time.Duration]{}, opt[time.Duration]{}
			return nil
		}},
	{name: keyTCPKeepAlive, property: "TcpKeepAlive", grammar: gBool, support: Ignored,
		effect: "ignored (StackExchange.Redis 3.x): go-redis always turns TCP keep-alive on",
		apply:  ignoreKey},
	{name: keyTiebreaker, property: "TieBreaker", grammar: gString, freeText: true, support: Ignored,
		effect: "ignored: go-redis finds the primary without a tie-break key",
		apply:  ignoreKey},
	{name: keyTunnel, property: "Tunnel", grammar: gTunnel, support: Honoured,
		effect: "Dialer through an HTTP CONNECT proxy (Connection.Tunnel); other schemes are an error, as in StackExchange.Redis",
		apply:  func(b *Builder, key string, v value) error { b.tunnel, b.tunnelKey = v.s, key; return nil }},
	{name: keyUser, property: "User", grammar: gString, freeText: true, support: Honoured,
		effect: "Username",
		apply:  func(b *Builder, _ string, v value) error { b.user = some(v.s); return nil }},
	{name: keyVersion, property: "DefaultVersion", grammar: gVersion, support: Honoured,
		effect: "below 6: Protocol RESP2 when protocol is not set (no RESP3 before Redis 6), as in StackExchange.Redis; otherwise nothing to do: go-redis asks the server",
		apply:  func(b *Builder, _ string, v value) error { b.versionMajor = some(v.n); return nil }},
	{name: keyWriteBuffer, grammar: gAny, support: Ignored,
		effect: "deprecated and ignored by StackExchange.Redis itself",
		apply:  ignoreKey},

	// ConfigurationOptions properties without a keyword.
	{property: "HeartbeatConsistencyChecks", grammar: gBool, support: Ignored,
		effect: "ignored: go-redis has no heartbeat", apply: ignoreKey},
	{property: "HeartbeatInterval", grammar: gTimeSpan, support: Ignored,
		effect: "ignored: go-redis has no heartbeat", apply: ignoreKey},
	{property: "IncludeDetailInExceptions", grammar: gBool, support: Ignored,
		effect: "ignored: go-redis errors always name the server", apply: ignoreKey},
	{property: "IncludePerformanceCountersInExceptions", grammar: gBool, support: Ignored,
		effect: "ignored: go-redis has no performance counters", apply: ignoreKey},
	{property: "LibraryName", grammar: gString, support: Honoured,
		effect: "IdentitySuffix (the library name in CLIENT SETINFO)",
		apply:  func(b *Builder, _ string, v value) error { b.libraryName = some(v.s); return nil }},
}

func ignoreKey(b *Builder, key string, _ value) error {
	if d := lookupKey(key); d != nil {
		b.ignore(d.label())
	}
	return nil
}

// label is the key's keyword, or its property when it has none.
func (d *Def) label() string {
	if d.name != "" {
		return d.name
	}
	return d.property
}

// valueText describes the grammar of the key's value.
func (d *Def) valueText() string {
	t := grammarText[d.grammar]
	if d.unit != "" {
		t += " (" + d.unit + ")"
	}
	if d.minValue != nil {
		t += ", >= " + strconv.Itoa(*d.minValue)
	}
	return t
}

var (
	// byKeyword maps lower-case keywords to their row.
	byKeyword = map[string]*Def{}
	// byProperty maps lower-case ConfigurationOptions properties to their row.
	byProperty = map[string]*Def{}
)

func init() {
	for i := range keyTable {
		d := &keyTable[i]
		if d.name != "" {
			byKeyword[strings.ToLower(d.name)] = d
		}
		if d.property != "" {
			byProperty[strings.ToLower(d.property)] = d
		}
	}
}

// lookupKey returns the row of a keyword (any case), or of a
// ConfigurationOptions property when no keyword matches, or nil.
func lookupKey(key string) *Def {
	l := strings.ToLower(key)
	if d := byKeyword[l]; d != nil {
		return d
	}
	return byProperty[l]
}

// Keys lists every connection-string keyword and ConfigurationOptions
// property the integration knows, in the order of the key table
// (keywords alphabetically, then the properties without a keyword).
func Keys() []Key {
	out := make([]Key, len(keyTable))
	for i := range keyTable {
		d := &keyTable[i]
		out[i] = Key{Name: d.name, Property: d.property, Value: d.valueText(), Effect: d.effect, Support: d.support, Secret: d.secret}
	}
	return out
}

// KeyTableMarkdown renders [Keys] as the Markdown table the documentation
// shows (docs/connection-strings.md, docs/aspire-compatibility.md); a test
// checks that the pages hold exactly this table.
func KeyTableMarkdown() string {
	var sb strings.Builder
	sb.WriteString("| Keyword | ConfigurationOptions property | Value | In Go | Support |\n")
	sb.WriteString("|---|---|---|---|---|\n")
	code := func(s string) string {
		if s == "" {
			return "—"
		}
		return "`" + s + "`"
	}
	for _, k := range Keys() {
		sb.WriteString("| " + code(k.Name) + " | " + code(k.Property) + " | " + mdEscape(k.Value) + " | " +
			mdEscape(k.Effect) + " | " + string(k.Support) + " |\n")
	}
	sb.WriteString("| `$COMMAND` | `CommandMap` | new name, or empty | Connection.CommandMap: upper-case command → the name it is sent under, \"\" when disabled; names StackExchange.Redis does not know are ignored, as there | honoured |\n")
	return sb.String()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
