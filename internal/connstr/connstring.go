package connstr

import (
	"crypto/tls"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Topology is the kind of deployment a connection string describes.
type Topology int

const (
	// Standalone is a single server: the connection string names one
	// endpoint.
	Standalone Topology = iota
	// Cluster is a Redis Cluster: the connection string names several
	// endpoints, which are used as seeds.
	Cluster
	// Sentinel is a primary found through Redis Sentinel: the connection
	// string has serviceName, and its endpoints are the sentinels.
	Sentinel
)

// String returns "standalone", "cluster" or "sentinel".
func (t Topology) String() string {
	switch t {
	case Standalone:
		return "standalone"
	case Cluster:
		return "cluster"
	case Sentinel:
		return "sentinel"
	}
	return "Topology(" + strconv.Itoa(int(t)) + ")"
}

// Default timeouts, as in StackExchange.Redis (connectTimeout 5000 ms,
// syncTimeout 5000 ms).
const (
	defaultDialTimeout    = 5 * time.Second
	defaultCommandTimeout = 5 * time.Second
)

// Default ports applied to endpoints written without one.
const (
	defaultPort         = 6379
	defaultTLSPort      = 6380
	defaultSentinelPort = 26379
)

// Connection is a parsed connection string: go-redis options plus what
// go-redis has no field for.
//
// Its String, GoString and LogValue methods print it with passwords
// replaced by "***". Options itself is a go-redis type and prints
// passwords: log the Connection, not its Options.
type Connection struct {
	// Options are ready for redis.NewUniversalClient. Their Addrs already
	// carry the default ports.
	Options *redis.UniversalOptions
	// AbortConnect is abortConnect (StackExchange.Redis
	// AbortOnConnectFail). It defaults to false, as in Aspire: the client
	// is created even when the server cannot be reached. When true, the
	// caller checks the server at start-up and fails if it is down.
	AbortConnect bool
	// Topology is the kind of deployment; NewUniversalClient picks the same
	// kind of client from Options.
	Topology Topology
	// Endpoints are the servers (sentinels, for Sentinel) as host:port or
	// unix socket paths, in the order given, duplicates removed. Same as
	// Options.Addrs at parse time.
	Endpoints []string
	// Tunnel is the HTTP CONNECT proxy (host:port) every connection goes
	// through, or "" (StackExchange.Redis tunnel=http:host:port).
	Tunnel string
	// Ignored lists the keywords that were accepted but have no effect in
	// Go (see ParseConnectionString), for logs and diagnostics.
	Ignored []string
	// Warnings lists the values that were accepted, because .NET accepts
	// them, but that Go cannot honour as StackExchange.Redis does: each
	// names its key and why. rediscache logs them once when it builds the
	// client; redis-doctor shows them. They never hold a secret.
	Warnings []Warning
	// Azure is the Azure Redis service the endpoints belong to (picked as
	// StackExchange.Redis picks its options provider), whose defaults were
	// applied: TLS, abortConnect false, RESP3 for Azure Managed Redis.
	Azure AzureKind
	// CommandMap is StackExchange.Redis's command map ($COMMAND=name
	// pieces): upper-case command name to the name it is sent under, or
	// "" when the command is disabled. Nil when the string has none.
	CommandMap map[string]string
}

// Parse parses a connection string (see settings.ParseConnectionString).
func Parse(s string) (*Connection, error) {
	b := NewBuilder()
	if err := b.Parse(s); err != nil {
		return nil, err
	}
	return b.build()
}

// opt is a value that may be unset.
type opt[T any] struct {
	v  T
	ok bool
}

func some[T any](v T) opt[T] { return opt[T]{v: v, ok: true} }

// Builder collects the settings of a connection string (and of any
// layer applied on top of it with set) and turns them into a Connection.
// Endpoints keep port 0 ("not given") until build applies the defaults.
type Builder struct {
	endpoints []endpoint
	seen      map[endpointKey]bool // endpoints already added
	index     int                  // 1-based piece position while parsing; 0 otherwise

	user, password               opt[string]
	sentinelUser, sentinelPasswd opt[string]
	clientName                   opt[string]
	serviceName                  string
	libraryName                  opt[string]

	ssl          opt[bool]
	sslKey       string // the ssl key as written, for messages
	sslHost      string
	sslProtocols opt[tlsRange]
	skipVerify   bool

	syncTimeout, asyncTimeout opt[int] // milliseconds
	connectTimeout            opt[time.Duration]
	connectTimeoutKey         string
	readTimeout, writeTimeout opt[time.Duration] // URI parameters
	connectRetry              opt[int]
	connectRetryKey           string

	db    opt[int]
	dbKey string

	versionMajor opt[int] // version=, the server version assumed

	protocol     int
	setlib       opt[bool]
	abortConnect bool

	proxy, proxyKey                 string
	tunnel, tunnelKey               string
	checkCRL                        bool
	checkCRLKey                     string
	highIntegrity                   bool
	highIntegrityKey                string
	channelPrefix, channelPrefixKey string

	commandMap map[string]string

	poolSize, minIdleConns, maxIdleConns, maxActiveConns, maxRetries opt[int]
	poolTimeout, connMaxIdleTime, connMaxLifetime                    opt[time.Duration]

	ignored  []string
	warnings []Warning
	// Sets of the above, so that thousands of pieces cost linear time;
	// dropped counts the warnings past maxWarnings.
	ignoredSet map[string]bool
	warnSet    map[Warning]bool
	dropped    int
}

func NewBuilder() *Builder { return &Builder{} }

// Canonical spellings of every connection-string key.
const (
	keyAbortConnect       = "abortConnect"
	keyAllowAdmin         = "allowAdmin"
	keyAsyncTimeout       = "asyncTimeout"
	keyChannelPrefix      = "channelPrefix"
	keyCheckCRL           = "checkCertificateRevocation"
	keyConfigChannel      = "configChannel"
	keyConfigCheckSeconds = "configCheckSeconds"
	keyConnectRetry       = "connectRetry"
	keyConnectTimeout     = "connectTimeout"
	keyDefaultDatabase    = "defaultDatabase"
	keyHighIntegrity      = "highIntegrity"
	keyHighPriority       = "highPriorityThreads"
	keyKeepAlive          = "keepAlive"
	keyName               = "name"
	keyPassword           = "password"
	keyPreserveAsyncOrder = "preserveAsyncOrder"
	keyProtocol           = "protocol"
	keyProxy              = "proxy"
	keyResolveDNS         = "resolveDns"
	keyResponseTimeout    = "responseTimeout"
	keySentinelPassword   = "sentinelPassword"
	keySentinelUser       = "sentinelUser"
	keyServiceName        = "serviceName"
	keySetlib             = "setlib"
	keySsl                = "ssl"
	keySslHost            = "sslHost"
	keySslProtocols       = "sslProtocols"
	keySyncTimeout        = "syncTimeout"
	keyTCPKeepAlive       = "tcpKeepAlive"
	keyTiebreaker         = "tiebreaker"
	keyTunnel             = "tunnel"
	keyUser               = "user"
	keyVersion            = "version"
	keyWriteBuffer        = "writeBuffer"
)

// Defaults and bounds.
const (
	// DefaultConnectRetry is StackExchange.Redis's ConnectRetry default.
	DefaultConnectRetry = 3
	// maxConnectRetry bounds connectRetry: more dial attempts than this
	// only multiply the time a dead server holds a caller.
	maxConnectRetry = 100
	// maxPoolSize bounds pool_size, min_idle_conns, max_idle_conns and
	// max_active_conns: Redis admits 10,000 clients by default
	// (maxclients), and go-redis sizes its pool's structures by PoolSize
	// (2147483647 held a caller in its semaphore for about 95 s). Larger
	// values are clamped to it with a warning.
	maxPoolSize = 10_000
	// maxWarnings bounds the warnings one connection string keeps (a
	// string of 40,000 skipped endpoints would log 40,000 lines).
	maxWarnings = 100
	// MaxEndpoints bounds the endpoints of one connection string.
	MaxEndpoints = 10000
	// MaxHostLength bounds the length of one host name or socket path
	// (a DNS name has at most 253 characters).
	MaxHostLength = 1024
	// maxTimeout is the largest timeout StackExchange.Redis can express
	// (int.MaxValue milliseconds, about 24.8 days); longer URI durations
	// are clamped to it with a warning.
	maxTimeout = time.Duration(1<<31-1) * time.Millisecond
)

// canonicalKey returns the canonical spelling of a connection-string
// keyword, or "".
func canonicalKey(key string) string {
	if d := byKeyword[strings.ToLower(strings.TrimSpace(key))]; d != nil {
		return d.name
	}
	return ""
}

// isSecretKey reports whether key's value is a secret.
func isSecretKey(key string) bool {
	d := byKeyword[strings.ToLower(strings.TrimSpace(key))]
	return d != nil && d.secret
}

// parse reads a whole connection string, StackExchange.Redis notation or
// URI, on top of what the builder already holds.
func (b *Builder) Parse(s string) error {
	if strings.TrimSpace(s) == "" {
		return &ParseError{msg: "is empty"}
	}
	if scheme, ok := uriScheme(s); ok {
		return b.parseURI(strings.TrimSpace(s), scheme)
	}
	defer func() { b.index = 0 }()
	// prevSecret: the previous non-empty piece was password= or
	// sentinelPassword=, or a piece after one that may be the rest of it.
	prevSecret := false
	for i, raw := range strings.Split(s, ",") {
		p := strings.TrimSpace(raw)
		if p == "" {
			continue
		}
		b.index = i + 1
		eq := strings.IndexByte(p, '=')
		switch {
		case eq > 0:
			key, value := strings.TrimSpace(p[:eq]), strings.TrimSpace(p[eq+1:])
			if prevSecret {
				if err := b.pieceAfterSecret(key, value); err != nil {
					return err
				}
				// A piece that may be the tail of the password keeps the
				// next one suspect too, as Redact hides both.
				prevSecret = isSecretKey(key) || tailHidden(p)
			} else {
				if err := b.Set(key, value); err != nil {
					return err
				}
				prevSecret = isSecretKey(key)
			}
		case eq == 0:
			if prevSecret {
				return b.afterSecretErr()
			}
			return &ParseError{Index: b.index, msg: fmt.Sprintf("piece %d starts with '=': the keyword before it is missing", b.index)}
		default:
			if err := b.endpointPiece(p, prevSecret); err != nil {
				return err
			}
			prevSecret = false
		}
	}
	return nil
}

// afterSecretErr reports a piece right after password= that cannot be
// used, the same way whatever it holds, and without showing any of it:
// with a comma in the password, the piece is the rest of the password.
// An unknown key there fails in .NET too ("Keyword '...' is not
// supported"); an endpoint there .NET would dial, so would send the tail
// of the password to DNS, which Go refuses.
func (b *Builder) afterSecretErr() *ParseError {
	return &ParseError{Index: b.index, msg: fmt.Sprintf(
		"piece %d, right after password=, is rejected (not shown: if the password contains a comma, this piece is the rest of it; "+
			"StackExchange.Redis splits on every comma and has no escaping: use a password without commas, and write endpoints first)", b.index)}
}

// pieceAfterSecret applies key=value found right after a password piece.
// StackExchange.Redis reads it as a key of its own, and so does Go; but
// any error names no part of it, and free text taken from it is flagged,
// because with a comma in the password it is the password's tail.
func (b *Builder) pieceAfterSecret(key, value string) error {
	d := byKeyword[strings.ToLower(key)]
	if strings.HasPrefix(key, "$") {
		b.mapCommand(key[1:], value)
		return nil
	}
	if d == nil || b.Set(key, value) != nil {
		return b.afterSecretErr()
	}
	if d.freeText && !d.secret && value != "" {
		b.Warn(d.name, fmt.Sprintf(
			"comes right after password=, as piece %d: if the password contains a comma, its tail became %s; "+
				"StackExchange.Redis reads it the same way; write %s before the password to silence this", b.index, d.name, d.name))
	}
	return nil
}

// endpointPiece adds the endpoint written as piece p.
func (b *Builder) endpointPiece(p string, afterSecret bool) error {
	if afterSecret {
		return b.afterSecretErr()
	}
	if len(p) > MaxHostLength+len("[]:65535") {
		return &ParseError{Index: b.index, msg: fmt.Sprintf("endpoint (piece %d): longer than %d characters", b.index, MaxHostLength)}
	}
	if dotnetSkipsEndpoint(p) {
		// StackExchange.Redis's Format.TryParseEndPoint fails and the
		// piece is skipped.
		if key := typoKey(p); key != "" {
			b.Warn("endpoint", fmt.Sprintf("piece %d looks like the keyword '%s' without '=' (write %s=value); skipped, as StackExchange.Redis skips it", b.index, key, key))
		} else {
			b.Warn("endpoint", fmt.Sprintf("piece %d, %s: the port is not a number; skipped, as StackExchange.Redis skips it", b.index, Show(p)))
		}
		return nil
	}
	ep, problem := parseEndpoint(p)
	if problem == "" {
		return b.addParsedEndpoint(ep)
	}
	if key := typoKey(p); key != "" {
		return &ParseError{Key: key, Index: b.index, msg: fmt.Sprintf(
			"piece %d looks like the keyword '%s' without '=' (write %s=value)", b.index, key, key)}
	}
	return &ParseError{Piece: p, Index: b.index, msg: fmt.Sprintf(
		"endpoint %s (piece %d): %s", Show(p), b.index, problem)}
}

// dotnetSkipsEndpoint reports whether StackExchange.Redis's
// Format.TryParseEndPoint rejects the piece, so that the parser skips it:
// "!" alone, or a port that is not a 32-bit integer.
func dotnetSkipsEndpoint(p string) bool {
	if p == "!" {
		return true
	}
	if p[0] == '!' {
		return false
	}
	last := strings.LastIndexByte(p, ':')
	if last <= 0 {
		return false
	}
	var port string
	if closing := strings.LastIndexByte(p, ']'); closing > 0 {
		if closing > last {
			return false
		}
		port = p[last+1:]
	} else if strings.IndexByte(p, ':') == last {
		port = p[last+1:]
	} else {
		return false // IPv6 without brackets
	}
	_, ok := parseDotnetInt(port)
	return !ok
}

// typoKey returns the keyword that an invalid endpoint piece starts with
// when it is followed by ':' or a space, as in "password:secret".
func typoKey(p string) string {
	i := strings.IndexAny(p, ": \t")
	if i <= 0 {
		return ""
	}
	return canonicalKey(p[:i])
}

// addEndpoint adds one endpoint written in StackExchange.Redis notation
// (host, host:port, [v6]:port, !path).
func (b *Builder) addEndpoint(s string) error {
	s = strings.TrimSpace(s)
	ep, problem := parseEndpoint(s)
	if problem != "" {
		return &ParseError{Piece: s, msg: fmt.Sprintf("endpoint %s: %s", Show(s), problem)}
	}
	return b.addParsedEndpoint(ep)
}

// addParsedEndpoint adds ep unless it is already there (linear: a map of
// the endpoints seen), and bounds the number of endpoints.
func (b *Builder) addParsedEndpoint(ep endpoint) error {
	if len(ep.host) > MaxHostLength {
		return &ParseError{Index: b.index, msg: fmt.Sprintf("endpoint (piece %d): the host name is longer than %d characters", b.index, MaxHostLength)}
	}
	if b.seen == nil {
		b.seen = make(map[endpointKey]bool)
		for _, e := range b.endpoints {
			b.seen[e.key()] = true
		}
	}
	k := ep.key()
	if b.seen[k] {
		return nil
	}
	if len(b.endpoints) >= MaxEndpoints {
		return &ParseError{Index: b.index, msg: fmt.Sprintf("more than %d endpoints", MaxEndpoints)}
	}
	b.seen[k] = true
	b.endpoints = append(b.endpoints, ep)
	return nil
}

// keyErr reports a problem with the value of key, in StackExchange.Redis
// wording: "Keyword 'key' ...".
func (b *Builder) keyErr(key, format string, args ...any) *ParseError {
	return &ParseError{Key: key, Index: b.index, msg: "Keyword " + Show(key) + " " + fmt.Sprintf(format, args...)}
}

func (b *Builder) ignore(canon string) {
	if b.ignoredSet[canon] {
		return
	}
	if b.ignoredSet == nil {
		b.ignoredSet = make(map[string]bool)
	}
	b.ignoredSet[canon] = true
	b.ignored = append(b.ignored, canon)
}

// warn records that a value was accepted although Go cannot honour it as
// .NET does. reason must hold no secret. Past maxWarnings distinct
// warnings, the rest are only counted (build reports how many).
func (b *Builder) Warn(key, reason string) {
	w := Warning{Key: key, Reason: reason}
	if b.warnSet[w] {
		return
	}
	if len(b.warnings) >= maxWarnings {
		b.dropped++
		return
	}
	if b.warnSet == nil {
		b.warnSet = make(map[Warning]bool)
	}
	b.warnSet[w] = true
	b.warnings = append(b.warnings, w)
}

// set applies one StackExchange.Redis key, matched in any case, exactly
// as a key=value piece of a connection string would.
func (b *Builder) Set(key, value string) error {
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	if strings.HasPrefix(key, "$") {
		b.mapCommand(key[1:], value)
		return nil
	}
	d := byKeyword[strings.ToLower(key)]
	if d == nil {
		return b.keyErr(key, "is not supported")
	}
	return b.apply(d, key, value, false)
}

// apply reads value with the grammar of row d and stores it. fromConfig
// selects the grammar of .NET's configuration binder (bool.Parse:
// true/false only) over the connection string's.
func (b *Builder) apply(d *Def, key, text string, fromConfig bool) error {
	v := value{s: text}
	switch d.grammar {
	case gBool:
		x, ok := ParseBoolText(text, fromConfig)
		if !ok {
			return b.keyErr(key, "requires a boolean value; the value %s is not recognised", Show(text))
		}
		v.b = x
	case gInt:
		n, ok := parseDotnetInt(text)
		if !ok {
			return b.keyErr(key, "requires an integer value; the value %s is not recognised", Show(text))
		}
		if d.minValue != nil && n < *d.minValue {
			return b.keyErr(key, "has a minimum value of '%d'; the value '%d' is not permitted", *d.minValue, n)
		}
		v.n = n
	case gVersion:
		if !validVersion(text) {
			return b.keyErr(key, "requires a version value; the value %s is not recognised (for example 7 or 7.2.4)", Show(text))
		}
		major, _, _ := strings.Cut(text, ".")
		v.n, _ = parseDotnetInt(major)
	case gProtocol:
		switch strings.ToLower(text) {
		case "resp2", "2":
			v.n = 2
		case "resp3", "3":
			v.n = 3
		default:
			return b.keyErr(key, "requires a RedisProtocol value or a known protocol version number; the value %s is not recognised (use resp2, resp3, 2 or 3)", Show(text))
		}
	case gProxy:
		switch strings.ToLower(text) {
		case "none", "0":
			v.proxy = "None"
		case "twemproxy", "1":
			v.proxy = "Twemproxy"
		case "envoyproxy", "2":
			v.proxy = "Envoyproxy"
		default:
			return b.keyErr(key, "requires a proxy value; the value %s is not recognised (use None, Twemproxy or Envoyproxy)", Show(text))
		}
	case gSslProtocols:
		if fromConfig {
			// .NET writes combined enum flags as "Tls12, Tls13".
			text = strings.ReplaceAll(text, ",", "|")
		}
		r, err := b.parseSslProtocols(key, text)
		if err != nil {
			return err
		}
		v.r = r
	case gTunnel:
		addr, err := b.parseTunnel(key, text)
		if err != nil {
			return err
		}
		v.s = addr
	case gTimeSpan:
		if _, err := ParseTimeSpan(text); err != nil {
			return b.keyErr(key, "requires a TimeSpan value; %v", err)
		}
	}
	return d.apply(b, key, v)
}

// mapCommand records a $COMMAND=name piece: the command is sent as name,
// or disabled when name is empty. As in StackExchange.Redis, a command it
// does not know is ignored (Enum.TryParse fails, the entry is dropped).
func (b *Builder) mapCommand(command, newName string) {
	cmd := strings.ToUpper(strings.TrimSpace(command))
	if !redisCommands[cmd] {
		b.ignore("$" + cmd)
		return
	}
	if b.commandMap == nil {
		b.commandMap = make(map[string]string)
	}
	// StackExchange.Redis sends the new name upper-cased.
	b.commandMap[cmd] = asciiUpper(strings.TrimSpace(newName))
}

func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - ('a' - 'A')
		}
		return r
	}, s)
}

// ParseBoolText is the one boolean parser. Both modes take what .NET's
// bool.TryParse takes ("true"/"false" in any case, white space around
// ignored); the connection-string mode (fromConfig false) adds
// StackExchange.Redis's "1", "yes", "on", "0", "no", "off".
func ParseBoolText(v string, fromConfig bool) (value, ok bool) {
	t := strings.TrimSpace(v)
	switch {
	case strings.EqualFold(t, "true"):
		return true, true
	case strings.EqualFold(t, "false"):
		return false, true
	case fromConfig:
		return false, false
	case t == "1" || strings.EqualFold(t, "yes") || strings.EqualFold(t, "on"):
		return true, true
	case t == "0" || strings.EqualFold(t, "no") || strings.EqualFold(t, "off"):
		return false, true
	}
	return false, false
}

// parseDotnetInt reads a 32-bit integer as .NET's int.TryParse with
// NumberStyles.Integer does: optional white space around, an optional
// sign, decimal digits.
func parseDotnetInt(v string) (int, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// validVersion accepts what System.Version accepts (2 to 4 non-negative
// numbers separated by dots) and a bare major version.
func validVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil || n < 0 {
			return false
		}
	}
	return true
}

// tlsRange is the range of TLS versions sslProtocols allows; zero fields
// mean Go's default.
type tlsRange struct{ min, max uint16 }

// .NET SslProtocols flag values.
const (
	sslNone    = 0
	sslSsl2    = 12
	sslSsl3    = 48
	sslTls     = 192
	sslDefault = 240 // Ssl3|Tls, obsolete; means "the system default"
	sslTls11   = 768
	sslTls12   = 3072
	sslTls13   = 12288
	sslAll     = sslSsl2 | sslSsl3 | sslTls | sslTls11 | sslTls12 | sslTls13
)

// parseSslProtocols reads .NET SslProtocols flags: names joined with '|',
// in any case, or the number.
func (b *Builder) parseSslProtocols(key, value string) (tlsRange, error) {
	bad := func() (tlsRange, error) {
		return tlsRange{}, b.keyErr(key, "requires an SslProtocol value (multiple values separated by '|'); the value %s is not recognised (use Tls12, Tls13, Tls12|Tls13, ...)", Show(value))
	}
	var flags int
	if n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 32); err == nil {
		if n == sslDefault {
			return tlsRange{}, nil
		}
		if n < 0 || int(n)&^sslAll != 0 {
			return bad()
		}
		flags = int(n)
	} else {
		for name := range strings.SplitSeq(value, "|") {
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "none", "default":
			case "ssl2":
				flags |= sslSsl2
			case "ssl3":
				flags |= sslSsl3
			case "tls":
				flags |= sslTls
			case "tls11":
				flags |= sslTls11
			case "tls12":
				flags |= sslTls12
			case "tls13":
				flags |= sslTls13
			default:
				return bad()
			}
		}
	}
	if flags&(sslSsl2|sslSsl3) != 0 {
		// .NET accepts them (and its TLS stack refuses them at the
		// handshake); Go has no SSL at all.
		b.Warn(key, fmt.Sprintf("is %s, which allows SSL 2 or SSL 3: Go supports only TLS, so they are left out%s",
			Show(value), map[bool]string{true: " and Go's default TLS versions apply", false: ""}[flags&^(sslSsl2|sslSsl3) == 0]))
		flags &^= sslSsl2 | sslSsl3
	}
	versions := []struct {
		flag int
		v    uint16
	}{{sslTls, tls.VersionTLS10}, {sslTls11, tls.VersionTLS11}, {sslTls12, tls.VersionTLS12}, {sslTls13, tls.VersionTLS13}}
	var r tlsRange
	gap := false
	for _, x := range versions {
		if flags&x.flag == 0 {
			if r.min != 0 {
				gap = true
			}
			continue
		}
		if gap {
			b.Warn(key, fmt.Sprintf("is %s, which leaves out a version in between: Go's TLS takes a range, so the versions in between are allowed too", Show(value)))
			gap = false
		}
		if r.min == 0 {
			r.min = x.v
		}
		r.max = x.v
	}
	return r, nil
}

// parseTunnel reads tunnel=http:host:port or tunnel=http://host:port and
// returns host:port ("" for an empty value, which means no tunnel).
func (b *Builder) parseTunnel(key, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	// A proxy URI may hold credentials (http://user:password@host), and a
	// comma in the password cuts it before the '@': show the value only
	// when it cannot be such a cut.
	shown := Show(value)
	hidden := false
	if _, after, ok := strings.Cut(value, "//"); strings.Contains(value, "@") || ok && strings.Contains(after, ":") && !endsWithPort(after) {
		shown, hidden = "(not shown: it may hold credentials)", true
	}
	rest, ok := CutPrefixFold(value, "http:")
	if !ok {
		return "", b.keyErr(key, "has the value %s, but only HTTP CONNECT proxies are supported (http:host:port)", shown)
	}
	rest = strings.TrimPrefix(rest, "//")
	rest = strings.TrimSuffix(rest, "/")
	if strings.Contains(rest, "@") {
		return "", b.keyErr(key, "names proxy credentials, which are not supported")
	}
	ep, problem := parseEndpoint(rest)
	if problem == "" && ep.unix {
		problem = "a unix socket cannot be a proxy"
	}
	if problem == "" && strings.Count(rest, ":") > 1 && !strings.HasPrefix(rest, "[") {
		problem = "write an IPv6 proxy address as [address]:port"
	}
	if problem != "" {
		if hidden {
			return "", b.keyErr(key, "has a value that is not http:host:port %s", shown)
		}
		return "", b.keyErr(key, "has the value %s, which is not http:host:port: %s", shown, problem)
	}
	if ep.port == 0 {
		ep.port = 80
	}
	return ep.addr(), nil
}

// endsWithPort reports whether s ends with ':' and digits, optionally
// followed by '/'.
func endsWithPort(s string) bool {
	s = strings.TrimSuffix(s, "/")
	i := strings.LastIndexByte(s, ':')
	return i >= 0 && i < len(s)-1 && strings.Trim(s[i+1:], "0123456789") == ""
}

func CutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// SkippedEndpoints says why each endpoint piece that StackExchange.Redis
// skips was skipped (the "endpoint" warnings).
func (b *Builder) SkippedEndpoints() []string {
	var skipped []string
	for _, w := range b.warnings {
		if w.Key == "endpoint" {
			skipped = append(skipped, w.Reason)
		}
	}
	return skipped
}

// build turns the collected settings into a Connection. It applies the
// default ports and the Azure defaults and checks the combinations that
// only make sense once everything is known. It does not change the
// builder.
func (b *Builder) build() (*Connection, error) { return b.Build(false) }

// Build is build; with allowNone, a builder without endpoints gives a
// Connection without Addrs (for ConfigureOptions functions to fill in).
func (b *Builder) Build(allowNone bool) (*Connection, error) {
	if len(b.endpoints) == 0 && !allowNone {
		msg := "no endpoints specified"
		if skipped := b.SkippedEndpoints(); len(skipped) > 0 {
			msg += " (" + strings.Join(skipped, "; ") + ")"
		}
		return nil, &ParseError{msg: msg, Err: ErrNoEndpoints}
	}
	warnings := slices.Clone(b.warnings)
	if b.dropped > 0 {
		warnings = append(warnings, Warning{Key: "warnings", Reason: fmt.Sprintf(
			"%d more warnings not listed: only the first %d are kept", b.dropped, maxWarnings)})
	}
	warn := func(key, reason string) {
		w := Warning{Key: key, Reason: reason}
		if !slices.Contains(warnings, w) {
			warnings = append(warnings, w)
		}
	}
	sentinel := b.serviceName != ""
	azure := azureKindOf(b.endpoints)
	ssl := b.ssl.v
	if !b.ssl.ok {
		ssl = azureDefaultSsl(azure, b.endpoints)
	}
	port := defaultPort
	switch {
	case sentinel:
		port = defaultSentinelPort
	case ssl:
		port = defaultTLSPort
	}
	eps := make([]endpoint, 0, len(b.endpoints))
	seen := make(map[endpointKey]bool, len(b.endpoints))
	for _, e := range b.endpoints {
		if !e.unix && e.port == 0 {
			e.port = port
		}
		if k := e.key(); !seen[k] {
			seen[k] = true
			eps = append(eps, e)
		}
	}
	topology := Standalone
	switch {
	case sentinel:
		topology = Sentinel
	case len(eps) > 1:
		topology = Cluster
	}
	if err := b.check(eps, topology, ssl); err != nil {
		return nil, err
	}

	o := &redis.UniversalOptions{
		DialTimeout:           defaultDialTimeout,
		ReadTimeout:           defaultCommandTimeout,
		WriteTimeout:          defaultCommandTimeout,
		ContextTimeoutEnabled: true,
	}
	c := &Connection{Options: o, AbortConnect: b.abortConnect, Topology: topology, Azure: azure}
	for _, e := range eps {
		o.Addrs = append(o.Addrs, e.addr())
	}
	c.Endpoints = slices.Clone(o.Addrs)
	if len(eps) > 0 && eps[0].unix {
		o.Dialer = unixDialer
	}
	if b.tunnel != "" {
		o.Dialer = tunnelDialer(b.tunnel, o)
		c.Tunnel = b.tunnel
	}

	o.MasterName = b.serviceName
	o.Username = b.user.v
	o.Password = b.password.v
	if sentinel {
		o.SentinelUsername = b.sentinelUser.v
		o.SentinelPassword = b.password.v
		if b.sentinelPasswd.ok {
			o.SentinelPassword = b.sentinelPasswd.v
		}
	}
	o.ClientName = sanitizeClientName(b.clientName.v)
	o.DB = b.db.v
	o.Protocol = b.protocol
	switch {
	case o.Protocol != 0:
	case azure == AzureManagedRedis:
		o.Protocol = 3 // AzureManagedRedisOptionsProvider prefers RESP3, whatever the version
	case b.versionMajor.ok && b.versionMajor.v < 6:
		o.Protocol = 2 // a server older than 6 has no RESP3
	}
	if name, ok := b.commandMap["HELLO"]; ok && name == "" {
		// Without HELLO, StackExchange.Redis cannot switch to RESP3.
		o.Protocol = 2
	}
	if b.setlib.ok && !b.setlib.v {
		o.DisableIdentity = true
	}
	if b.libraryName.ok {
		o.IdentitySuffix = b.libraryName.v
	}

	// Timeouts: StackExchange.Redis's connectTimeout defaults to
	// max(5000, syncTimeout).
	if b.syncTimeout.ok || b.asyncTimeout.ok {
		d := time.Duration(max(b.syncTimeout.v, b.asyncTimeout.v)) * time.Millisecond
		o.ReadTimeout, o.WriteTimeout = d, d
	}
	if b.syncTimeout.ok {
		o.DialTimeout = max(o.DialTimeout, time.Duration(b.syncTimeout.v)*time.Millisecond)
	}
	if b.connectTimeout.ok {
		switch d := b.connectTimeout.v; {
		case d <= 0:
			warn(b.connectTimeoutKey, fmt.Sprintf("is %d: go-redis cannot dial without a time limit, so the default (%v) applies", d.Milliseconds(), o.DialTimeout))
		case d > maxTimeout:
			warn(b.connectTimeoutKey, fmt.Sprintf("is %v, more than StackExchange.Redis can express: %v applies", d, maxTimeout))
			o.DialTimeout = maxTimeout
		default:
			o.DialTimeout = d
		}
	}
	if b.readTimeout.ok {
		o.ReadTimeout = b.readTimeout.v
	}
	if b.writeTimeout.ok {
		o.WriteTimeout = b.writeTimeout.v
	}
	for _, t := range []struct {
		name string
		d    *time.Duration
	}{{"read_timeout", &o.ReadTimeout}, {"write_timeout", &o.WriteTimeout}} {
		if *t.d > maxTimeout {
			warn(t.name, fmt.Sprintf("is %v, more than StackExchange.Redis can express: %v applies", *t.d, maxTimeout))
			*t.d = maxTimeout
		}
	}
	// Dial attempts: StackExchange.Redis's default of 3, not go-redis's 5,
	// which with go-redis's command retries lets a hanging connect take
	// about 26 times connectTimeout.
	o.DialerRetries = DefaultConnectRetry
	if b.connectRetry.ok {
		n := max(b.connectRetry.v, 1)
		if n > maxConnectRetry {
			warn(b.connectRetryKey, fmt.Sprintf("is %d: more than %d dial attempts only hold callers longer, so %d apply", n, maxConnectRetry, maxConnectRetry))
			n = maxConnectRetry
		}
		o.DialerRetries = n
	}

	for _, p := range []struct {
		name string
		v    int
		dst  *int
	}{
		{"pool_size", b.poolSize.v, &o.PoolSize},
		{"min_idle_conns", b.minIdleConns.v, &o.MinIdleConns},
		{"max_idle_conns", b.maxIdleConns.v, &o.MaxIdleConns},
		{"max_active_conns", b.maxActiveConns.v, &o.MaxActiveConns},
	} {
		*p.dst = p.v
		if p.v > maxPoolSize {
			warn(p.name, fmt.Sprintf("is %d: more connections than Redis admits by default (maxclients %d) only hold callers longer, so %d apply", p.v, maxPoolSize, maxPoolSize))
			*p.dst = maxPoolSize
		}
	}
	o.MaxRetries = b.maxRetries.v
	o.PoolTimeout = min(b.poolTimeout.v, maxTimeout)
	o.ConnMaxIdleTime = b.connMaxIdleTime.v
	o.ConnMaxLifetime = b.connMaxLifetime.v

	if b.checkCRL {
		warn(b.checkCRLKey, "is true, but Go's TLS does not check certificate revocation lists: certificates are verified without them")
	}
	if b.highIntegrity {
		warn(b.highIntegrityKey, "is true, but go-redis has no per-command integrity check: commands are sent without it")
	}
	if b.channelPrefix != "" {
		warn(b.channelPrefixKey, "is set, but go-redis cannot prefix pub/sub channel names: channels are used as named in code, without the prefix")
	}

	// The Azure default of ssl goes here, before the TLS block.
	if ssl {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if b.sslProtocols.ok {
			cfg.MinVersion, cfg.MaxVersion = b.sslProtocols.v.min, b.sslProtocols.v.max
		}
		cfg.ServerName = b.sslHost
		if cfg.ServerName == "" && !sentinel {
			// With serviceName the endpoints are the sentinels: their host
			// is not the data nodes' (which the sentinels report), so each
			// connection verifies its own host.
			cfg.ServerName = commonHost(eps)
		}
		cfg.InsecureSkipVerify = b.skipVerify
		o.TLSConfig = cfg
	}
	c.Ignored = slices.Clone(b.ignored)
	c.Warnings = warnings
	if b.commandMap != nil {
		c.CommandMap = maps.Clone(b.commandMap)
	}
	return c, nil
}

// sanitizeClientName removes the characters outside '!'..'~', as
// StackExchange.Redis does before CLIENT SETNAME.
func sanitizeClientName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < '!' || r > '~' {
			return -1
		}
		return r
	}, name)
}

// commonHost returns the host all endpoints share, or "" (then each
// connection verifies the certificate against its own host, as
// StackExchange.Redis does when sslHost is not set).
func commonHost(eps []endpoint) string {
	if len(eps) == 0 {
		return ""
	}
	h := eps[0].host
	for _, e := range eps[1:] {
		if !strings.EqualFold(e.host, h) {
			return ""
		}
	}
	return h
}

// check rejects combinations that go-redis cannot do as asked.
func (b *Builder) check(eps []endpoint, topology Topology, ssl bool) error {
	if slices.ContainsFunc(eps, func(e endpoint) bool { return e.unix }) {
		switch {
		case len(eps) > 1:
			return &ParseError{msg: "a unix socket endpoint (!path) must be the only endpoint"}
		case topology == Sentinel:
			return b.keyErr(keyServiceName, "cannot be used with a unix socket endpoint")
		case ssl:
			return b.keyErr(b.sslKey, "is true, but TLS over a unix socket is not supported")
		case b.tunnel != "":
			return b.keyErr(b.tunnelKey, "cannot be used with a unix socket endpoint")
		}
	}
	return nil
}

// Show quotes a value for an error message: single quotes, at most 64
// bytes, control characters and invalid UTF-8 escaped.
func Show(v string) string {
	const limit = 64
	cut := false
	if len(v) > limit {
		i := limit
		for i > 0 && !utf8.RuneStart(v[i]) {
			i--
		}
		v, cut = v[:i], true
	}
	if strings.ContainsFunc(v, func(r rune) bool { return isControl(r) || r == utf8.RuneError }) {
		q := strconv.Quote(v)
		v = q[1 : len(q)-1]
	}
	if cut {
		v += "..."
	}
	return "'" + v + "'"
}

// uriScheme reports whether s is a URI (scheme://...) and returns its
// lower-cased scheme.
func uriScheme(s string) (string, bool) {
	s = strings.TrimSpace(s)
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !(letter || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", false
		}
	}
	return strings.ToLower(s[:i]), true
}

// parseURI reads a redis://, rediss://, valkey://, valkeys:// or unix://
// URI. Errors never show the user name or password.
//
// It is not a call to go-redis's ParseURL, ParseClusterURL or
// ParseFailoverURL, although it gives the same options for every URI both
// accept (TestURIAgreesWithGoRedis), because they differ on inputs a
// .NET-minded configuration meets (TestURIDifferencesFromGoRedis): their
// errors quote the URI, password included (net/url's), and name no key;
// they take a missing host for localhost, accept negative databases and
// pool sizes, know neither the valkey schemes nor protocol names (resp3),
// and ParseFailoverURL makes the userinfo the sentinels' credentials where
// StackExchange.Redis's password= is the servers'. The URI's options also
// go through the builder, which adds what .NET adds: its default timeouts,
// Azure defaults, sslHost, clamps with warnings.
func (b *Builder) parseURI(s, scheme string) error {
	uriErr := func(format string, args ...any) error {
		return &ParseError{msg: "URI: " + fmt.Sprintf(format, args...)}
	}
	var useTLS bool
	switch scheme {
	case "redis", "valkey", "unix":
	case "rediss", "valkeys":
		useTLS = true
	default:
		return uriErr("the scheme %s is not supported (use redis, rediss, valkey, valkeys or unix)", Show(scheme))
	}
	rest := s[len(scheme)+len("://"):]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if strings.Contains(tail, "@") {
		// Most likely a password with an unencoded '/', '?' or '#': the
		// text after the host cannot be shown.
		return uriErr("'@' after the host: percent-encode '/', '?', '#' and '@' in the user name and password (%%2F, %%3F, %%23, %%40)")
	}
	hostport := authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo := authority[:at]
		hostport = authority[at+1:]
		user, pass, hasPass := strings.Cut(userinfo, ":")
		u, err := url.PathUnescape(user)
		if err != nil {
			return uriErr("the user name is not correctly percent-encoded")
		}
		if u != "" {
			b.user = some(u)
		}
		if hasPass {
			p, err := url.PathUnescape(pass)
			if err != nil {
				return uriErr("the password is not correctly percent-encoded")
			}
			b.password = some(p)
		}
	}
	path, query, hasQuery := strings.Cut(tail, "?")
	if strings.Contains(path, "#") || strings.Contains(query, "#") {
		return uriErr("fragments ('#...') are not supported")
	}
	if strings.ContainsFunc(tail, isControl) || strings.ContainsFunc(hostport, isControl) {
		return uriErr("it contains control characters")
	}

	first := len(b.endpoints) // endpoints from here on come from this URI
	if scheme == "unix" {
		if hostport != "" {
			return uriErr("a unix URI names no host; write unix:///path/to/socket or unix://user:password@/path/to/socket")
		}
		p, err := url.PathUnescape(path)
		if err != nil || p == "" || p == "/" {
			return uriErr("the unix socket path is missing or not correctly percent-encoded")
		}
		if err := b.addParsedEndpoint(endpoint{host: p, unix: true}); err != nil {
			return err
		}
	} else {
		if hostport == "" {
			return uriErr("the host is missing")
		}
		if !strings.HasPrefix(hostport, "[") && strings.Count(hostport, ":") > 1 {
			return uriErr("write an IPv6 host in brackets: [address]:port")
		}
		if hostport[0] == '!' {
			return uriErr("use unix:///path for a unix socket")
		}
		if strings.Contains(hostport, "%") { // an IPv6 zone: [fe80::1%25eth0]
			h, err := url.PathUnescape(hostport)
			if err != nil {
				return uriErr("the host %s is not correctly percent-encoded", Show(hostport))
			}
			hostport = h
		}
		ep, problem := parseEndpoint(hostport)
		if problem != "" {
			return uriErr("host %s: %s", Show(hostport), problem)
		}
		if err := b.addParsedEndpoint(ep); err != nil {
			return err
		}
		switch p := strings.TrimPrefix(path, "/"); {
		case p == "":
		default:
			n, err := strconv.ParseInt(p, 10, 32)
			if err != nil || n < 0 {
				return uriErr("the path %s is not a database number", Show(path))
			}
			b.db, b.dbKey = some(int(n)), "db"
		}
	}
	if useTLS {
		b.ssl, b.sslKey = some(true), scheme
	}
	if hasQuery {
		if err := b.uriQuery(query, useTLS); err != nil {
			return err
		}
	}
	// URIs default to port 6379 (also with TLS), 26379 for sentinels.
	if b.serviceName == "" {
		for i := first; i < len(b.endpoints); i++ {
			if e := &b.endpoints[i]; !e.unix && e.port == 0 {
				e.port = defaultPort
			}
		}
	}
	return nil
}

// uriQuery applies the query parameters of a URI.
func (b *Builder) uriQuery(query string, useTLS bool) error {
	q, err := url.ParseQuery(query)
	if err != nil {
		return &ParseError{msg: "URI: the query is malformed (bad percent-encoding or ';')"}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range q {
			if !yield(k) {
				return
			}
		}
	})
	paramErr := func(name, format string, args ...any) error {
		return &ParseError{Key: name, msg: "URI parameter " + Show(name) + " " + fmt.Sprintf(format, args...)}
	}
	for _, name := range names {
		vals := q[name]
		v := strings.TrimSpace(vals[len(vals)-1])
		intParam := func(minValue int) (int, error) {
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				return 0, paramErr(name, "requires an integer value; the value %s is not recognised", Show(v))
			}
			if int(n) < minValue {
				return 0, paramErr(name, "has a minimum value of '%d'; the value '%d' is not permitted", minValue, n)
			}
			return int(n), nil
		}
		durParam := func() (time.Duration, error) {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				if n <= 0 {
					return -1, nil
				}
				if n > int64(time.Duration(1<<63-1)/time.Second) {
					return time.Duration(1<<63 - 1), nil // clamped by build, with a warning
				}
				return time.Duration(n) * time.Second, nil
			}
			d, err := time.ParseDuration(v)
			if err != nil {
				return 0, paramErr(name, "requires a duration (seconds, or a Go duration such as 500ms); the value %s is not recognised", Show(v))
			}
			if d <= 0 {
				return -1, nil
			}
			return d, nil
		}
		setInt := func(dst *opt[int], minValue int) error {
			n, err := intParam(minValue)
			if err == nil {
				*dst = some(n)
			}
			return err
		}
		setDur := func(dst *opt[time.Duration]) error {
			d, err := durParam()
			if err == nil {
				*dst = some(d)
			}
			return err
		}
		var err error
		switch name {
		case "db":
			var n int
			if n, err = intParam(0); err == nil {
				b.db, b.dbKey = some(n), "db"
			}
		case "protocol":
			switch strings.ToLower(v) {
			case "2", "resp2":
				b.protocol = 2
			case "3", "resp3":
				b.protocol = 3
			default:
				err = paramErr(name, "requires 2 or 3; the value %s is not recognised", Show(v))
			}
		case "client_name":
			b.clientName = some(v)
		case "dial_timeout":
			err = setDur(&b.connectTimeout)
			b.connectTimeoutKey = name
		case "read_timeout":
			err = setDur(&b.readTimeout)
		case "write_timeout":
			err = setDur(&b.writeTimeout)
		case "pool_timeout":
			err = setDur(&b.poolTimeout)
		case "conn_max_idle_time":
			err = setDur(&b.connMaxIdleTime)
		case "conn_max_lifetime":
			err = setDur(&b.connMaxLifetime)
		case "pool_size":
			err = setInt(&b.poolSize, 0)
		case "min_idle_conns":
			err = setInt(&b.minIdleConns, 0)
		case "max_idle_conns":
			err = setInt(&b.maxIdleConns, 0)
		case "max_active_conns":
			err = setInt(&b.maxActiveConns, 0)
		case "max_retries":
			err = setInt(&b.maxRetries, -1)
		case "skip_verify":
			if !useTLS {
				err = paramErr(name, "needs a TLS scheme (rediss or valkeys)")
				break
			}
			switch strings.ToLower(v) {
			case "true", "1":
				b.skipVerify = true
			case "false", "0", "":
				b.skipVerify = false
			default:
				err = paramErr(name, "requires true or false; the value %s is not recognised", Show(v))
			}
		case "master_name":
			b.serviceName = v
		case "addr":
			for _, a := range vals {
				a = strings.TrimSpace(a)
				if !strings.HasPrefix(a, "[") && strings.Count(a, ":") > 1 {
					return paramErr(name, "has the value %s: write an IPv6 address in brackets, [address]:port", Show(a))
				}
				ep, problem := parseEndpoint(a)
				if problem == "" && ep.unix {
					problem = "a unix socket cannot be an extra address"
				}
				if problem != "" {
					return paramErr(name, "has the value %s: %s", Show(a), problem)
				}
				if err := b.addParsedEndpoint(ep); err != nil {
					return err
				}
			}
		default:
			err = paramErr(name, "is not supported")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ParseTimeSpan reads the .NET TimeSpan forms that contain a colon:
// [-][d.]hh:mm[:ss[.fffffff]] and [-]d:hh:mm:ss[.fffffff].
func ParseTimeSpan(v string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a TimeSpan ([d.]hh:mm[:ss[.fffffff]])", v)
	t, neg := strings.CutPrefix(v, "-")
	var frac string
	var days int64
	parts := strings.Split(t, ":")
	if len(parts) == 4 { // d:hh:mm:ss[.f]
		n, err := parseUint(parts[0], 8)
		if err != nil {
			return 0, bad
		}
		days = n
		parts = parts[1:]
	} else if dot := strings.IndexByte(parts[0], '.'); dot >= 0 { // d.hh:...
		n, err := parseUint(parts[0][:dot], 8)
		if err != nil {
			return 0, bad
		}
		days = n
		parts[0] = parts[0][dot+1:]
	}
	if len(parts) < 2 || len(parts) > 3 {
		return 0, bad
	}
	if len(parts) == 3 {
		if sec, f, ok := strings.Cut(parts[2], "."); ok {
			if f == "" || len(f) > 7 || strings.Trim(f, "0123456789") != "" {
				return 0, bad
			}
			parts[2], frac = sec, f
		}
	}
	limits := []int64{23, 59, 59}
	units := []time.Duration{time.Hour, time.Minute, time.Second}
	d := time.Duration(days) * 24 * time.Hour
	for i, p := range parts {
		n, err := parseUint(p, 2)
		if err != nil || n > limits[i] {
			return 0, bad
		}
		d += time.Duration(n) * units[i]
	}
	if frac != "" {
		n, _ := strconv.ParseInt(frac+strings.Repeat("0", 7-len(frac)), 10, 64)
		d += time.Duration(n) * 100 // ticks of 100ns
	}
	if neg {
		d = -d
	}
	return d, nil
}

// parseUint parses 1 to maxDigits decimal digits.
func parseUint(s string, maxDigits int) (int64, error) {
	if s == "" || len(s) > maxDigits || strings.Trim(s, "0123456789") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(s, 10, 64)
}
