package settings

import (
	"crypto/tls"
	"fmt"
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
	// CommandMap is StackExchange.Redis's command map ($COMMAND=name
	// pieces): upper-case command name to the name it is sent under, or
	// "" when the command is disabled. Nil when the string has none.
	CommandMap map[string]string
}

// ParseConnectionString parses a connection string into go-redis options.
//
// Two notations are accepted. The first is the StackExchange.Redis
// configuration string that .NET Aspire puts in ConnectionStrings__{name},
// for example
//
//	localhost:6379,password=secret,ssl=true,abortConnect=false
//
// The string is split on every comma (there is no escaping, so a password
// cannot contain a comma), each piece is trimmed and empty pieces are
// skipped. A piece with '=' after its first character is key=value, split
// at the first '=' (so password=a=b is the password "a=b"); keys match in
// any case; when a key is repeated, the last value wins. Any other piece is
// an endpoint:
//
//	host, host:port       host name or IPv4 address; port 1-65535
//	[v6], [v6]:port       IPv6 address
//	v6                    two or more colons without brackets: the whole
//	                      text is an IPv6 address without a port (so
//	                      ::1:6379 is an address, not ::1 port 6379)
//	!/path/redis.sock     unix socket
//
// An endpoint must not come right after password= or sentinelPassword=:
// that piece is taken for the rest of a password containing a comma and
// rejected without being shown. Repeated endpoints are dropped. An endpoint without a port gets 6379, or
// 6380 with ssl=true, or 26379 with serviceName (the endpoints are then
// sentinels). One endpoint is a standalone server, several are a Redis
// Cluster, serviceName selects Sentinel.
//
// Booleans are true/false, yes/no, on/off or 1/0 in any case; integers are
// decimal. The keys, with what each becomes:
//
//	Key                         Effect
//	abortConnect                Connection.AbortConnect (default false, as in Aspire)
//	allowAdmin                  accepted, ignored: go-redis does not restrict admin commands
//	asyncTimeout (ms, >= 1)     ReadTimeout and WriteTimeout, like syncTimeout; when both are
//	                            given the larger wins (go-redis has one timeout for all commands)
//	channelPrefix               empty: accepted. Otherwise an error: go-redis cannot prefix
//	                            pub/sub channels, so messages would go to other channels
//	checkCertificateRevocation  false: accepted. true: an error, because Go's TLS does not
//	                            check revocation lists
//	configChannel               accepted, ignored: go-redis does not listen for reconfiguration broadcasts
//	configCheckSeconds (int)    accepted, ignored: go-redis has no periodic configuration check
//	connectRetry (int, >= 0)    DialerRetries (dial attempts; 0 means a single attempt;
//	                            3 when absent, as in StackExchange.Redis)
//	connectTimeout (ms, >= 1)   DialTimeout (default 5 s, or syncTimeout if larger)
//	defaultDatabase (>= 0)      DB; an error with a cluster, which has only database 0
//	highIntegrity               false: accepted. true: an error, go-redis has no per-command integrity check
//	highPriorityThreads         deprecated in StackExchange.Redis; accepted, ignored
//	keepAlive (s, int)          accepted, ignored: go-redis sends no keep-alive commands;
//	                            it relies on TCP keep-alive, which is always on
//	name                        ClientName (printable ASCII without spaces, as Redis requires)
//	password                    Password, and SentinelPassword with serviceName
//	                            (StackExchange.Redis 2.x uses one password for both)
//	preserveAsyncOrder          deprecated; accepted, ignored
//	protocol                    Protocol: resp2 or 2, resp3 or 3 (when absent, go-redis's default,
//	                            RESP3, where StackExchange.Redis 2.x uses RESP2)
//	proxy                       None: accepted. Twemproxy or Envoyproxy: accepted with one
//	                            endpoint (a standalone client talks to the proxy); an error
//	                            with several, which would otherwise become a Redis Cluster
//	resolveDns                  accepted, ignored: Go resolves host names on each dial
//	responseTimeout             deprecated; accepted, ignored
//	sentinelPassword            SentinelPassword (StackExchange.Redis 3.x); overrides password
//	sentinelUser                SentinelUsername (StackExchange.Redis 3.x)
//	serviceName                 MasterName; selects Sentinel
//	setlib                      false: DisableIdentity (no CLIENT SETINFO)
//	ssl                         TLSConfig with certificate verification, minimum TLS 1.2
//	sslHost                     TLSConfig.ServerName (default: the endpoints' common host);
//	                            alone it does not enable TLS, as in StackExchange.Redis
//	sslProtocols                TLSConfig.MinVersion/MaxVersion from Tls, Tls11, Tls12, Tls13
//	                            joined with '|' or the .NET enum's number (15360 for Tls12|Tls13);
//	                            None and Default: Go's defaults; Ssl2, Ssl3, and sets with a
//	                            gap (Tls|Tls13): an error
//	syncTimeout (ms, >= 1)      ReadTimeout and WriteTimeout (default 5 s)
//	tcpKeepAlive                StackExchange.Redis 3.x; accepted, ignored: go-redis always
//	                            enables TCP keep-alive
//	tiebreaker                  accepted, ignored: go-redis finds the primary without a tie-break key
//	tunnel                      http:host:port or http://host:port: Dialer through an HTTP
//	                            CONNECT proxy (Connection.Tunnel); other schemes are an error
//	user                        Username
//	version                     validated (7, 7.2, 7.2.4), then ignored: go-redis asks the server
//	writeBuffer                 deprecated; accepted, ignored
//	$COMMAND=...                an error: go-redis cannot rename or disable commands
//
// Other keys are an error, as in StackExchange.Redis. Ignored keys are
// listed in Connection.Ignored.
//
// The second notation, beyond .NET, is a URI:
//
//	redis://[user[:password]@]host[:port][/db][?param=value&...]
//	rediss://...                      TLS, as ssl=true
//	valkey://..., valkeys://...       the same as redis:// and rediss://
//	unix://[user[:password]@]/path/to/socket[?db=N&...]
//
// User name and password are percent-decoded; the port defaults to 6379
// (26379 with master_name). The query parameters are a subset of
// go-redis's ParseURL: db, protocol, client_name, dial_timeout,
// read_timeout, write_timeout, pool_size, pool_timeout, min_idle_conns,
// max_idle_conns, max_active_conns, max_retries, conn_max_idle_time,
// conn_max_lifetime, skip_verify (rediss and valkeys only: skips
// certificate verification), addr=host:port (repeatable: more endpoints,
// so a cluster) and master_name (Sentinel: the endpoints are sentinels).
// Durations are a whole number of seconds or a Go duration such as 500ms;
// zero or less turns the timeout off, as in go-redis. Unknown parameters are
// an error.
//
// Whatever the notation, the options start from DialTimeout, ReadTimeout
// and WriteTimeout of 5 s and ContextTimeoutEnabled.
//
// Every error is a *ParseError (errors.As) that matches
// ErrInvalidConnectionString (errors.Is), names the key or piece at fault
// and never contains a password. A string that names no server returns an error that
// also matches ErrNoEndpoints.
func ParseConnectionString(s string) (*Connection, error) {
	b := newConnBuilder()
	if err := b.parse(s); err != nil {
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

// connBuilder collects the settings of a connection string (and of any
// layer applied on top of it with set) and turns them into a Connection.
// Endpoints keep port 0 ("not given") until build applies the defaults.
type connBuilder struct {
	endpoints []endpoint
	index     int // 1-based piece position while parsing; 0 otherwise

	user, password               opt[string]
	sentinelUser, sentinelPasswd opt[string]
	clientName                   opt[string]
	serviceName                  string

	ssl          bool
	sslKey       string // the ssl key as written, for messages
	sslHost      string
	sslProtocols opt[tlsRange]
	skipVerify   bool

	syncTimeout, asyncTimeout opt[int] // milliseconds
	connectTimeout            opt[time.Duration]
	readTimeout, writeTimeout opt[time.Duration] // URI parameters
	connectRetry              opt[int]

	db    opt[int]
	dbKey string

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

	poolSize, minIdleConns, maxIdleConns, maxActiveConns, maxRetries opt[int]
	poolTimeout, connMaxIdleTime, connMaxLifetime                    opt[time.Duration]

	ignored []string
}

func newConnBuilder() *connBuilder { return &connBuilder{} }

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

	defaultConnectRetry   = 3
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

// knownKeys maps lower-case keys to their canonical spelling.
var knownKeys = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		keyAbortConnect, keyAllowAdmin, keyAsyncTimeout, keyChannelPrefix, keyCheckCRL,
		keyConfigChannel, keyConfigCheckSeconds, keyConnectRetry, keyConnectTimeout,
		keyDefaultDatabase, keyHighIntegrity, keyHighPriority, keyKeepAlive, keyName,
		keyPassword, keyPreserveAsyncOrder, keyProtocol, keyProxy, keyResolveDNS,
		keyResponseTimeout, keySentinelPassword, keySentinelUser, keyServiceName, keySetlib,
		keySsl, keySslHost, keySslProtocols, keySyncTimeout, keyTCPKeepAlive, keyTiebreaker,
		keyTunnel, keyUser, keyVersion, keyWriteBuffer,
	} {
		m[strings.ToLower(k)] = k
	}
	return m
}()

// canonicalKey returns the canonical spelling of a key, or "".
func canonicalKey(key string) string { return knownKeys[strings.ToLower(key)] }

// isSecretKey reports whether key's value is a secret.
func isSecretKey(key string) bool {
	switch canonicalKey(key) {
	case keyPassword, keySentinelPassword:
		return true
	}
	return false
}

// parse reads a whole connection string, StackExchange.Redis notation or
// URI, on top of what the builder already holds.
func (b *connBuilder) parse(s string) error {
	if strings.TrimSpace(s) == "" {
		return &ParseError{msg: "is empty"}
	}
	if scheme, ok := uriScheme(s); ok {
		return b.parseURI(strings.TrimSpace(s), scheme)
	}
	defer func() { b.index = 0 }()
	prevSecret := false // the previous non-empty piece was password= or sentinelPassword=
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
			if err := b.set(key, value); err != nil {
				return err
			}
			prevSecret = isSecretKey(key)
		case eq == 0:
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

// endpointPiece adds the endpoint written as piece p.
func (b *connBuilder) endpointPiece(p string, afterSecret bool) error {
	ep, problem := parseEndpoint(p)
	if afterSecret {
		// Most likely the rest of a password that contains a comma: never
		// show it, and never dial it.
		if problem != "" {
			return &ParseError{Index: b.index, msg: fmt.Sprintf(
				"piece %d, after password=: not a valid endpoint; passwords cannot contain commas (StackExchange.Redis has no escaping)", b.index)}
		}
		return &ParseError{Index: b.index, msg: fmt.Sprintf(
			"piece %d comes right after password= and would be an endpoint; passwords cannot contain commas, "+
				"and an endpoint must not follow password= directly (write endpoints first)", b.index)}
	}
	if problem == "" {
		b.addParsedEndpoint(ep)
		return nil
	}
	if key := typoKey(p); key != "" {
		return &ParseError{Key: key, Index: b.index, msg: fmt.Sprintf(
			"piece %d looks like the keyword '%s' without '=' (write %s=value)", b.index, key, key)}
	}
	return &ParseError{Piece: p, Index: b.index, msg: fmt.Sprintf(
		"endpoint %s (piece %d): %s", show(p), b.index, problem)}
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
func (b *connBuilder) addEndpoint(s string) error {
	s = strings.TrimSpace(s)
	ep, problem := parseEndpoint(s)
	if problem != "" {
		return &ParseError{Piece: s, msg: fmt.Sprintf("endpoint %s: %s", show(s), problem)}
	}
	b.addParsedEndpoint(ep)
	return nil
}

func (b *connBuilder) addParsedEndpoint(ep endpoint) {
	for _, e := range b.endpoints {
		if e.same(ep) {
			return
		}
	}
	b.endpoints = append(b.endpoints, ep)
}

// keyErr reports a problem with the value of key, in StackExchange.Redis
// wording: "Keyword 'key' ...".
func (b *connBuilder) keyErr(key, format string, args ...any) *ParseError {
	return &ParseError{Key: key, Index: b.index, msg: "Keyword " + show(key) + " " + fmt.Sprintf(format, args...)}
}

func (b *connBuilder) ignore(canon string) {
	if !slices.Contains(b.ignored, canon) {
		b.ignored = append(b.ignored, canon)
	}
}

// set applies one StackExchange.Redis key, matched in any case, exactly
// as a key=value piece of a connection string would.
func (b *connBuilder) set(key, value string) error {
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	if strings.HasPrefix(key, "$") {
		return b.keyErr(key, "is a command map entry, which is not supported: go-redis cannot rename or disable commands")
	}
	canon := canonicalKey(key)
	switch canon {
	case keyAbortConnect:
		v, err := b.parseBool(key, value)
		if err != nil {
			return err
		}
		b.abortConnect = v
	case keyAllowAdmin, keyResolveDNS, keyTCPKeepAlive:
		if _, err := b.parseBool(key, value); err != nil {
			return err
		}
		b.ignore(canon)
	case keyAsyncTimeout, keySyncTimeout:
		n, err := b.parseInt(key, value, 1)
		if err != nil {
			return err
		}
		if canon == keySyncTimeout {
			b.syncTimeout = some(n)
		} else {
			b.asyncTimeout = some(n)
		}
		b.readTimeout, b.writeTimeout = opt[time.Duration]{}, opt[time.Duration]{}
	case keyChannelPrefix:
		b.channelPrefix, b.channelPrefixKey = value, key
	case keyCheckCRL:
		v, err := b.parseBool(key, value)
		if err != nil {
			return err
		}
		b.checkCRL, b.checkCRLKey = v, key
	case keyConfigChannel, keyTiebreaker:
		b.ignore(canon)
	case keyConfigCheckSeconds, keyKeepAlive:
		if _, err := b.parseInt(key, value, minInt32); err != nil {
			return err
		}
		b.ignore(canon)
	case keyConnectRetry:
		n, err := b.parseInt(key, value, 0)
		if err != nil {
			return err
		}
		b.connectRetry = some(n)
	case keyConnectTimeout:
		n, err := b.parseInt(key, value, 1)
		if err != nil {
			return err
		}
		b.connectTimeout = some(time.Duration(n) * time.Millisecond)
	case keyDefaultDatabase:
		n, err := b.parseInt(key, value, 0)
		if err != nil {
			return err
		}
		b.db, b.dbKey = some(n), key
	case keyHighIntegrity:
		v, err := b.parseBool(key, value)
		if err != nil {
			return err
		}
		b.highIntegrity, b.highIntegrityKey = v, key
	case keyHighPriority, keyPreserveAsyncOrder, keyResponseTimeout, keyWriteBuffer:
		// Deprecated and ignored by StackExchange.Redis itself, whatever the value.
		b.ignore(canon)
	case keyName:
		if i := strings.IndexFunc(value, func(r rune) bool { return r < '!' || r > '~' }); i >= 0 {
			return b.keyErr(key, "has the value %s, but Redis client names can only contain printable ASCII characters without spaces", show(value))
		}
		b.clientName = some(value)
	case keyPassword:
		b.password = some(value)
	case keyProtocol:
		switch strings.ToLower(value) {
		case "resp2", "2":
			b.protocol = 2
		case "resp3", "3":
			b.protocol = 3
		default:
			return b.keyErr(key, "requires a RedisProtocol value or a known protocol version number; the value %s is not recognised (use resp2, resp3, 2 or 3)", show(value))
		}
	case keyProxy:
		switch strings.ToLower(value) {
		case "none":
			b.proxy = "None"
		case "twemproxy":
			b.proxy = "Twemproxy"
		case "envoyproxy":
			b.proxy = "Envoyproxy"
		default:
			return b.keyErr(key, "requires a proxy value; the value %s is not recognised (use None, Twemproxy or Envoyproxy)", show(value))
		}
		b.proxyKey = key
	case keySentinelPassword:
		b.sentinelPasswd = some(value)
	case keySentinelUser:
		b.sentinelUser = some(value)
	case keyServiceName:
		b.serviceName = value
	case keySetlib:
		v, err := b.parseBool(key, value)
		if err != nil {
			return err
		}
		b.setlib = some(v)
	case keySsl:
		v, err := b.parseBool(key, value)
		if err != nil {
			return err
		}
		b.ssl, b.sslKey = v, key
	case keySslHost:
		b.sslHost = value
	case keySslProtocols:
		r, err := b.parseSslProtocols(key, value)
		if err != nil {
			return err
		}
		b.sslProtocols = some(r)
	case keyTunnel:
		addr, err := b.parseTunnel(key, value)
		if err != nil {
			return err
		}
		b.tunnel, b.tunnelKey = addr, key
	case keyUser:
		b.user = some(value)
	case keyVersion:
		if !validVersion(value) {
			return b.keyErr(key, "requires a version value; the value %s is not recognised (for example 7 or 7.2.4)", show(value))
		}
		b.ignore(canon)
	default:
		return b.keyErr(key, "is not supported")
	}
	return nil
}

const minInt32 = -1 << 31

// parseBool reads a StackExchange.Redis boolean.
func (b *connBuilder) parseBool(key, value string) (bool, error) {
	switch strings.ToLower(value) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, b.keyErr(key, "requires a boolean value; the value %s is not recognised", show(value))
}

// parseInt reads a 32-bit decimal integer of at least minValue.
func (b *connBuilder) parseInt(key, value string, minValue int) (int, error) {
	n, err := strconv.ParseInt(value, 10, 32)
	if err != nil {
		return 0, b.keyErr(key, "requires an integer value; the value %s is not recognised", show(value))
	}
	if int(n) < minValue {
		return 0, b.keyErr(key, "has a minimum value of '%d'; the value '%d' is not permitted", minValue, n)
	}
	return int(n), nil
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
func (b *connBuilder) parseSslProtocols(key, value string) (tlsRange, error) {
	bad := func() (tlsRange, error) {
		return tlsRange{}, b.keyErr(key, "requires an SslProtocol value (multiple values separated by '|'); the value %s is not recognised (use Tls12, Tls13, Tls12|Tls13, ...)", show(value))
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
		return tlsRange{}, b.keyErr(key, "has the value %s, which allows SSL 2 or SSL 3: Go supports only TLS (use Tls12 or Tls13)", show(value))
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
			return tlsRange{}, b.keyErr(key, "has the value %s, which leaves out a version in between: Go's TLS takes a range from a minimum to a maximum version", show(value))
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
func (b *connBuilder) parseTunnel(key, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	shown := show(value)
	if strings.Contains(value, "@") {
		shown = "(not shown: it contains '@')"
	}
	rest, ok := cutPrefixFold(value, "http:")
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
		return "", b.keyErr(key, "has the value %s, which is not http:host:port: %s", shown, problem)
	}
	if ep.port == 0 {
		ep.port = 80
	}
	return ep.addr(), nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// build turns the collected settings into a Connection. It applies the
// default ports and checks the combinations that only make sense once
// everything is known. It does not change the builder.
func (b *connBuilder) build() (*Connection, error) {
	if len(b.endpoints) == 0 {
		return nil, &ParseError{msg: "no endpoints specified", Err: ErrNoEndpoints}
	}
	sentinel := b.serviceName != ""
	port := defaultPort
	switch {
	case sentinel:
		port = defaultSentinelPort
	case b.ssl:
		port = defaultTLSPort
	}
	var eps []endpoint
	for _, e := range b.endpoints {
		if !e.unix && e.port == 0 {
			e.port = port
		}
		if !slices.ContainsFunc(eps, e.same) {
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
	if err := b.check(eps, topology); err != nil {
		return nil, err
	}

	o := &redis.UniversalOptions{
		DialTimeout:           defaultDialTimeout,
		ReadTimeout:           defaultCommandTimeout,
		WriteTimeout:          defaultCommandTimeout,
		ContextTimeoutEnabled: true,
	}
	c := &Connection{Options: o, AbortConnect: b.abortConnect, Topology: topology}
	for _, e := range eps {
		o.Addrs = append(o.Addrs, e.addr())
	}
	c.Endpoints = slices.Clone(o.Addrs)
	if eps[0].unix {
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
	o.ClientName = b.clientName.v
	o.DB = b.db.v
	o.Protocol = b.protocol
	if b.setlib.ok && !b.setlib.v {
		o.DisableIdentity = true
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
		o.DialTimeout = b.connectTimeout.v
	}
	if b.readTimeout.ok {
		o.ReadTimeout = b.readTimeout.v
	}
	if b.writeTimeout.ok {
		o.WriteTimeout = b.writeTimeout.v
	}
	// Dial attempts: StackExchange.Redis's default of 3, not go-redis's 5,
	// which with go-redis's command retries lets a hanging connect take
	// about 26 times connectTimeout.
	o.DialerRetries = defaultConnectRetry
	if b.connectRetry.ok {
		o.DialerRetries = max(b.connectRetry.v, 1)
	}

	o.PoolSize = b.poolSize.v
	o.MinIdleConns = b.minIdleConns.v
	o.MaxIdleConns = b.maxIdleConns.v
	o.MaxActiveConns = b.maxActiveConns.v
	o.MaxRetries = b.maxRetries.v
	o.PoolTimeout = b.poolTimeout.v
	o.ConnMaxIdleTime = b.connMaxIdleTime.v
	o.ConnMaxLifetime = b.connMaxLifetime.v

	if b.ssl {
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
	return c, nil
}

// commonHost returns the host all endpoints share, or "" (then each
// connection verifies the certificate against its own host, as
// StackExchange.Redis does when sslHost is not set).
func commonHost(eps []endpoint) string {
	h := eps[0].host
	for _, e := range eps[1:] {
		if !strings.EqualFold(e.host, h) {
			return ""
		}
	}
	return h
}

// check rejects combinations that go-redis cannot do as asked.
func (b *connBuilder) check(eps []endpoint, topology Topology) error {
	if slices.ContainsFunc(eps, func(e endpoint) bool { return e.unix }) {
		switch {
		case len(eps) > 1:
			return &ParseError{msg: "a unix socket endpoint (!path) must be the only endpoint"}
		case topology == Sentinel:
			return b.keyErr(keyServiceName, "cannot be used with a unix socket endpoint")
		case b.ssl:
			return b.keyErr(b.sslKey, "is true, but TLS over a unix socket is not supported")
		case b.tunnel != "":
			return b.keyErr(b.tunnelKey, "cannot be used with a unix socket endpoint")
		}
	}
	if topology == Cluster && b.db.v != 0 {
		if b.dbKey == "db" {
			return &ParseError{Key: "db", msg: fmt.Sprintf(
				"URI: database %d, but a URI with several endpoints is a Redis Cluster, which has only database 0", b.db.v)}
		}
		return b.keyErr(b.dbKey, "is %d, but a connection string with several endpoints is a Redis Cluster, which has only database 0", b.db.v)
	}
	if b.proxy == "Twemproxy" || b.proxy == "Envoyproxy" {
		if len(eps) > 1 {
			return b.keyErr(b.proxyKey, "is %s with %d endpoints: go-redis would treat them as a Redis Cluster; name one proxy endpoint", b.proxy, len(eps))
		}
	}
	if b.checkCRL {
		return b.keyErr(b.checkCRLKey, "is true, but Go's TLS does not check certificate revocation lists; remove it or set it to false")
	}
	if b.highIntegrity {
		return b.keyErr(b.highIntegrityKey, "is true, but go-redis has no per-command integrity check; remove it or set it to false")
	}
	if b.channelPrefix != "" {
		return b.keyErr(b.channelPrefixKey, "is set, but go-redis cannot prefix pub/sub channels; remove it and add the prefix to channel names in code")
	}
	return nil
}

// show quotes a value for an error message: single quotes, at most 64
// bytes, control characters and invalid UTF-8 escaped.
func show(v string) string {
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
func (b *connBuilder) parseURI(s, scheme string) error {
	uriErr := func(format string, args ...any) error {
		return &ParseError{msg: "URI: " + fmt.Sprintf(format, args...)}
	}
	var useTLS bool
	switch scheme {
	case "redis", "valkey", "unix":
	case "rediss", "valkeys":
		useTLS = true
	default:
		return uriErr("the scheme %s is not supported (use redis, rediss, valkey, valkeys or unix)", show(scheme))
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
		b.addParsedEndpoint(endpoint{host: p, unix: true})
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
				return uriErr("the host %s is not correctly percent-encoded", show(hostport))
			}
			hostport = h
		}
		ep, problem := parseEndpoint(hostport)
		if problem != "" {
			return uriErr("host %s: %s", show(hostport), problem)
		}
		b.addParsedEndpoint(ep)
		switch p := strings.TrimPrefix(path, "/"); {
		case p == "":
		default:
			n, err := strconv.ParseInt(p, 10, 32)
			if err != nil || n < 0 {
				return uriErr("the path %s is not a database number", show(path))
			}
			b.db, b.dbKey = some(int(n)), "db"
		}
	}
	if useTLS {
		b.ssl, b.sslKey = true, scheme
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
func (b *connBuilder) uriQuery(query string, useTLS bool) error {
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
		return &ParseError{Key: name, msg: "URI parameter " + show(name) + " " + fmt.Sprintf(format, args...)}
	}
	for _, name := range names {
		vals := q[name]
		v := strings.TrimSpace(vals[len(vals)-1])
		intParam := func(minValue int) (int, error) {
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				return 0, paramErr(name, "requires an integer value; the value %s is not recognised", show(v))
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
					return 0, paramErr(name, "is too large")
				}
				return time.Duration(n) * time.Second, nil
			}
			d, err := time.ParseDuration(v)
			if err != nil {
				return 0, paramErr(name, "requires a duration (seconds, or a Go duration such as 500ms); the value %s is not recognised", show(v))
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
				err = paramErr(name, "requires 2 or 3; the value %s is not recognised", show(v))
			}
		case "client_name":
			err = b.set(keyName, v)
			if err != nil {
				err = paramErr(name, "has the value %s, but Redis client names can only contain printable ASCII characters without spaces", show(v))
			}
		case "dial_timeout":
			err = setDur(&b.connectTimeout)
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
				err = paramErr(name, "requires true or false; the value %s is not recognised", show(v))
			}
		case "master_name":
			b.serviceName = v
		case "addr":
			for _, a := range vals {
				a = strings.TrimSpace(a)
				if !strings.HasPrefix(a, "[") && strings.Count(a, ":") > 1 {
					return paramErr(name, "has the value %s: write an IPv6 address in brackets, [address]:port", show(a))
				}
				ep, problem := parseEndpoint(a)
				if problem == "" && ep.unix {
					problem = "a unix socket cannot be an extra address"
				}
				if problem != "" {
					return paramErr(name, "has the value %s: %s", show(a), problem)
				}
				b.addParsedEndpoint(ep)
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
