package connstr

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// endpoint is one server named in a connection string.
type endpoint struct {
	host string // host name, IP address (no brackets) or, for unix, the socket path
	port int    // 0 = not given; build applies the default port
	unix bool   // host is a unix socket path
}

// addr renders the endpoint as go-redis expects it: host:port, [v6]:port,
// or the socket path.
func (e endpoint) addr() string {
	if e.unix {
		return e.path()
	}
	return net.JoinHostPort(e.host, strconv.Itoa(e.port))
}

func (e endpoint) path() string { return e.host }

// parseEndpoint parses one endpoint piece in StackExchange.Redis notation:
//
//	host            host name or IPv4 address, default port
//	host:port       port 1-65535
//	[v6]            IPv6 address, default port
//	[v6]:port
//	v6              two or more colons without brackets: the whole text is
//	                an IPv6 address and there is no port
//	!path           unix socket
//
// The returned problem describes what is wrong without repeating the piece.
func parseEndpoint(s string) (endpoint, string) {
	if s == "" {
		return endpoint{}, "the endpoint is empty"
	}
	if s[0] == '!' {
		p := s[1:]
		if p == "" {
			return endpoint{}, "the unix socket path after '!' is empty"
		}
		if strings.ContainsFunc(p, isControl) {
			return endpoint{}, "the unix socket path contains control characters"
		}
		return endpoint{host: p, unix: true}, ""
	}
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return endpoint{}, "the IPv6 address has no closing ']'"
		}
		a, err := netip.ParseAddr(s[1:end])
		if err != nil || !a.Is6() {
			return endpoint{}, "the text between '[' and ']' is not an IPv6 address"
		}
		ep := endpoint{host: a.String()}
		rest := s[end+1:]
		switch {
		case rest == "":
		case rest[0] == ':':
			port, problem := parsePort(rest[1:])
			if problem != "" {
				return endpoint{}, problem
			}
			ep.port = port
		default:
			return endpoint{}, "unexpected text after ']' (expected ':port')"
		}
		return ep, ""
	}
	switch strings.Count(s, ":") {
	case 0:
		if problem := checkHost(s); problem != "" {
			return endpoint{}, problem
		}
		return endpoint{host: normaliseHost(s)}, ""
	case 1:
		host, portText, _ := strings.Cut(s, ":")
		if host == "" {
			return endpoint{}, "the host name before ':' is missing"
		}
		if problem := checkHost(host); problem != "" {
			return endpoint{}, problem
		}
		port, problem := parsePort(portText)
		if problem != "" {
			return endpoint{}, problem
		}
		return endpoint{host: normaliseHost(host), port: port}, ""
	default:
		// StackExchange.Redis reads two or more colons without brackets as
		// one IPv6 address without a port.
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() {
			return endpoint{}, "it has several ':' but is not an IPv6 address (write [address]:port for IPv6 with a port)"
		}
		return endpoint{host: a.String()}, ""
	}
}

// parsePort parses a TCP port as StackExchange.Redis does: a 32-bit
// integer (.NET int.TryParse: white space and a sign allowed), 0 meaning
// "not given" (the default port applies), 1-65535 otherwise; anything
// else fails as .NET's DnsEndPoint fails.
func parsePort(s string) (int, string) {
	if strings.TrimSpace(s) == "" {
		return 0, "the port after ':' is missing"
	}
	n, ok := parseDotnetInt(s)
	if !ok {
		return 0, fmt.Sprintf("the port %s is not a number", Show(s))
	}
	if n < 0 || n > 65535 {
		return 0, fmt.Sprintf("the port %d is out of range (1-65535)", n)
	}
	return n, ""
}

// checkHost accepts host names (letters, digits, '-', '_', '.') and IPv4
// addresses. Anything else could never be dialled.
func checkHost(h string) string {
	if h == "" {
		return "the host name is empty"
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return "the host name contains characters other than letters, digits, '-', '_' and '.'"
		}
	}
	return ""
}

// normaliseHost returns IP literals in canonical form and host names as
// written. IPv4 addresses are read as .NET's IPAddress.TryParse reads them,
// which takes the inet_aton forms: 127.1 is 127.0.0.1, 10.1.2 is 10.1.0.2,
// and parts may be octal (010) or hexadecimal (0x7f).
func normaliseHost(h string) string {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String()
	}
	if a, ok := parseDotnetIPv4(h); ok {
		return a.String()
	}
	return h
}

// isIPLiteral reports whether host (normalised) is an IP address.
func isIPLiteral(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// parseDotnetIPv4 reads the IPv4 forms .NET accepts: one to four parts
// separated by dots, each decimal, octal (leading 0) or hexadecimal (0x);
// the last part fills the remaining bytes.
func parseDotnetIPv4(s string) (netip.Addr, bool) {
	if s == "" || strings.HasSuffix(s, ".") {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
			p, base = p[2:], 16
		case len(p) > 1 && p[0] == '0':
			p, base = p[1:], 8
		}
		if p == "" || strings.ContainsAny(p, "+-_") {
			return netip.Addr{}, false
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i, v := range vals[:last] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// unixDialer dials the unix socket named by addr, whatever network go-redis
// asks for (UniversalOptions has no Network field).
func unixDialer(ctx context.Context, _, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", addr)
}

// tunnelDialer returns a go-redis Dialer that reaches every server through
// an HTTP CONNECT proxy, the counterpart of StackExchange.Redis's
// tunnel=http:host:port. When opts.TLSConfig is set at dial time, TLS runs
// inside the tunnel; an empty ServerName is taken from the server address.
func tunnelDialer(proxyAddr string, opts *redis.UniversalOptions) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, _, addr string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", proxyAddr)
		if err != nil {
			return nil, fmt.Errorf("tunnel: dial proxy %s: %w", proxyAddr, err)
		}
		conn, err = httpConnect(ctx, conn, addr)
		if err != nil {
			return nil, fmt.Errorf("tunnel: proxy %s: %w", proxyAddr, err)
		}
		if opts == nil || opts.TLSConfig == nil {
			return conn, nil
		}
		cfg := opts.TLSConfig.Clone()
		if cfg.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			cfg.ServerName = host
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("tunnel: TLS handshake with %s: %w", addr, err)
		}
		return tc, nil
	}
}

// httpConnect asks the proxy on conn to open a tunnel to addr. It closes
// conn on failure.
func httpConnect(ctx context.Context, conn net.Conn, addr string) (_ net.Conn, err error) {
	defer func() {
		if err != nil {
			_ = conn.Close()
		}
	}()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", addr, addr); err != nil {
		return nil, ctxErr(ctx, err)
	}
	br := bufio.NewReader(conn)
	tp := textproto.NewReader(br)
	status, err := tp.ReadLine()
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	// A reply to CONNECT has no body: skip the headers up to the empty line.
	if _, err := tp.ReadMIMEHeader(); err != nil {
		return nil, ctxErr(ctx, err)
	}
	proto, rest, _ := strings.Cut(status, " ")
	code, _, _ := strings.Cut(rest, " ")
	if !strings.HasPrefix(proto, "HTTP/") || code != "200" {
		if len(status) > 100 {
			status = status[:100]
		}
		return nil, fmt.Errorf("CONNECT %s refused: %q", addr, status)
	}
	if !stop() {
		return nil, ctx.Err()
	}
	_ = conn.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		return &bufferedConn{Conn: conn, r: br}, nil
	}
	return conn, nil
}

func ctxErr(ctx context.Context, err error) error {
	if ce := ctx.Err(); ce != nil {
		return errors.Join(ce, err)
	}
	return err
}

// bufferedConn returns the bytes the proxy sent after its response before
// reading from the connection again.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// endpointKey identifies an endpoint for de-duplication: host names
// compare case-insensitively, as DNS does; socket paths exactly.
type endpointKey struct {
	host string
	port int
	unix bool
}

func (e endpoint) key() endpointKey {
	if e.unix {
		return endpointKey{host: e.host, unix: true}
	}
	return endpointKey{host: strings.ToLower(e.host), port: e.port}
}
