package settings

import (
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/connstr"
	"github.com/aspirego/redis/internal/redact"
)

// ErrInvalidConnectionString is matched (errors.Is) by every error
// ParseConnectionString returns.
var ErrInvalidConnectionString = connstr.ErrInvalidConnectionString

// ErrNoEndpoints reports a connection string that names no server; from
// Resolve, that no configuration names a server for the client (a
// connection string that is set but names none is a ConfigError matching
// ErrInvalidConnectionString instead).
var ErrNoEndpoints = connstr.ErrNoEndpoints

// Bounds of one connection string.
const (
	// MaxEndpoints bounds the endpoints of one connection string.
	MaxEndpoints = connstr.MaxEndpoints
	// MaxHostLength bounds the length of one host name or socket path
	// (a DNS name has at most 253 characters).
	MaxHostLength = connstr.MaxHostLength
)

// Topology is the kind of deployment a connection string describes.
type Topology int

const (
	// Standalone is a single server: the connection string names one
	// endpoint.
	Standalone = Topology(connstr.Standalone)
	// Cluster is a Redis Cluster: the connection string names several
	// endpoints, which are used as seeds.
	Cluster = Topology(connstr.Cluster)
	// Sentinel is a primary found through Redis Sentinel: the connection
	// string has serviceName, and its endpoints are the sentinels.
	Sentinel = Topology(connstr.Sentinel)
)

// String returns "standalone", "cluster" or "sentinel".
func (t Topology) String() string { return connstr.Topology(t).String() }

// Connection is a parsed connection string: go-redis options plus what
// go-redis has no field for.
//
// fmt, slog and encoding/json print it with passwords replaced by "***".
// Options itself is a go-redis type and prints passwords: log the
// Connection, not its Options.
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
	// CommandMap is StackExchange.Redis's command map ($COMMAND=name
	// pieces): upper-case command name to the name it is sent under, or
	// "" when the command is disabled. Nil when the string has none.
	CommandMap map[string]string

	azure connstr.AzureKind // the Azure service whose defaults were applied, for printing
}

// Warning is a configuration value that was accepted, because .NET
// accepts it, although Go cannot honour it as StackExchange.Redis does (or
// honours it only in part). The client is built without it; rediscache
// logs each warning once when it builds the client, and redis-doctor shows
// them.
type Warning struct {
	// Key is the connection-string keyword, URI parameter, configuration
	// key or "endpoint" the warning is about.
	Key string
	// Reason says what Go does instead and why. It never holds a secret.
	Reason string
}

// ParseConnectionString parses a connection string into go-redis options.
//
// Two notations are accepted. The first is the StackExchange.Redis
// configuration string that .NET Aspire puts in ConnectionStrings__{name},
// for example
//
//	localhost:6379,password=secret,ssl=true,abortConnect=false
//
// The string is split on every comma (there is no escaping), each piece is
// trimmed and empty pieces are skipped. A piece with '=' after its first
// character is key=value, split at the first '=' (so password=a=b is the
// password "a=b"); keys match in any case; when a key is repeated, the last
// value wins; $COMMAND=name is a command-map entry (Connection.CommandMap).
// Any other piece is an endpoint, read as StackExchange.Redis's
// Format.TryParseEndPoint reads it:
//
//	host, host:port       host name or IPv4 address (127.1 is 127.0.0.1, as
//	                      in .NET); port 1-65535, 0 for the default
//	[v6], [v6]:port       IPv6 address
//	v6                    two or more colons without brackets: the whole
//	                      text is an IPv6 address without a port (so
//	                      ::1:6379 is an address, not ::1 port 6379)
//	!/path/redis.sock     unix socket
//
// An endpoint whose port is not a number is skipped with a warning, as
// StackExchange.Redis skips it. Repeated endpoints are dropped; at most
// MaxEndpoints endpoints and MaxHostLength bytes per host are accepted. An
// endpoint without a port gets 6379, or 6380 with TLS, or 26379 with
// serviceName (the endpoints are then sentinels). One endpoint is a
// standalone server, several are a Redis Cluster, serviceName selects
// Sentinel. Azure host names get StackExchange.Redis's Azure defaults
// (a printed Connection shows them as azure=...).
//
// docs/connection-strings.md lists every key, its grammar and what it
// becomes, from the one key table that drives this parser. Values .NET accepts but go-redis cannot honour are
// accepted and listed in Connection.Warnings; keys with nothing to do in Go
// are listed in Connection.Ignored. Where .NET fails, parsing fails too,
// with .NET's wording ("Keyword 'x' is not supported"). A piece right after
// password= may be the rest of a password containing a comma: errors about
// it never show it, and an endpoint there is refused rather than dialled.
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
	c, err := connstr.Parse(s)
	if err != nil {
		return nil, parseError(err)
	}
	return connectionOf(c), nil
}

// connectionOf is the public form of a parsed connection.
func connectionOf(c *connstr.Connection) *Connection {
	ws := make([]Warning, len(c.Warnings))
	for i, w := range c.Warnings {
		ws[i] = Warning(w)
	}
	if len(ws) == 0 {
		ws = nil
	}
	return &Connection{Options: c.Options, AbortConnect: c.AbortConnect, Topology: Topology(c.Topology),
		Endpoints: c.Endpoints, Tunnel: c.Tunnel, Ignored: c.Ignored, Warnings: ws, CommandMap: c.CommandMap, azure: c.Azure}
}

// internal is the parser's form of c, which prints it.
func (c *Connection) internal() *connstr.Connection {
	if c == nil {
		return nil
	}
	ws := make([]connstr.Warning, len(c.Warnings))
	for i, w := range c.Warnings {
		ws[i] = connstr.Warning(w)
	}
	return &connstr.Connection{Options: c.Options, AbortConnect: c.AbortConnect, Topology: connstr.Topology(c.Topology),
		Endpoints: c.Endpoints, Tunnel: c.Tunnel, Ignored: c.Ignored, Warnings: ws, CommandMap: c.CommandMap, Azure: c.azure}
}

// Format makes every fmt verb (and slog's text handler) print the
// connection on one line with passwords replaced by "***", for example
//
//	standalone endpoints=[localhost:6380] user=app password=*** tls=true serverName=localhost dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
//
// and %#v in Go syntax: no verb reaches Options, which prints passwords.
func (c *Connection) Format(f fmt.State, verb rune) {
	ic := c.internal()
	redact.Format(f, verb, ic.String(), ic.GoString)
}

// MarshalJSON encodes the connection (and slog's JSON handler logs it) as
// an object of the properties Format shows, with snake_case keys
// (dial_timeout, abort_connect, ...) and passwords "***", rather than its
// go-redis Options.
func (c *Connection) MarshalJSON() ([]byte, error) { return redact.JSON(c.internal().LogValue()) }

// ParseError describes what is wrong with a connection string and where.
// It never holds a password: a piece that could contain one is identified
// by its position only.
type ParseError struct {
	// Key is the keyword the error is about, as written (for example
	// "connectTimeout"), or a URI query parameter; "" when the error is
	// about an endpoint or the string as a whole.
	Key string
	// Piece is the offending endpoint piece as written, when it is safe to
	// show; "" otherwise.
	Piece string
	// Index is the 1-based position of the piece among the comma-separated
	// pieces; 0 for URIs, single keys and the string as a whole.
	Index int
	// Err is the underlying cause, such as ErrNoEndpoints, or nil.
	Err error

	msg string
}

// Error returns "settings: connection string: " and the description, for
// example "settings: connection string: Keyword 'connectTimeout' requires
// an integer value; the value 'abc' is not recognised".
func (e *ParseError) Error() string { return "settings: connection string: " + e.msg }

// detail returns the description alone, for errors that say what they are
// about already (see ConfigError).
func (e *ParseError) detail() string { return e.msg }

// Unwrap returns ErrInvalidConnectionString and the cause, so that
// errors.Is(err, ErrInvalidConnectionString) holds for every ParseError.
func (e *ParseError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidConnectionString, e.Err}
	}
	return []error{ErrInvalidConnectionString}
}

// parseError is the public form of an error of the parser: a
// *connstr.ParseError becomes a *ParseError; other errors are returned as
// they are.
func parseError(err error) error {
	var pe *connstr.ParseError
	if !errors.As(err, &pe) || error(pe) != err {
		return err
	}
	return &ParseError{Key: pe.Key, Piece: pe.Piece, Index: pe.Index, Err: pe.Err, msg: pe.Detail()}
}

// String returns "key: reason".
func (w Warning) String() string { return w.Key + ": " + w.Reason }
