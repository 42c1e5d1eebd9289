package azureauth

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// authProxy is a loopback TCP proxy in front of a redis-server that reads
// the commands clients send (RESP arrays, as go-redis writes them) and
// remembers, per connection, the token it last authenticated with (HELLO
// ... AUTH user token, or AUTH user token). Every other command is checked
// against the token's expiry: a command sent on a connection whose token
// has expired is a violation. The token's expiry comes from the fake
// credential that issued it.
type authProxy struct {
	t      *testing.T
	ln     net.Listener
	target string
	expiry func(tok string) (time.Time, bool)

	mu         sync.Mutex
	conns      map[int]*proxyConn
	nextID     int
	violations []string
	commands   int
	wg         sync.WaitGroup
	closed     bool
}

type proxyConn struct {
	id             int
	token          string    // last token it authenticated with
	lastCommand    time.Time // when it last sent a command other than AUTH or HELLO
	auths          int
	client, server net.Conn
}

func newAuthProxy(t *testing.T, target string, expiry func(string) (time.Time, bool)) *authProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &authProxy{t: t, ln: ln, target: target, expiry: expiry, conns: map[int]*proxyConn{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *authProxy) Addr() string { return p.ln.Addr().String() }

func (p *authProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			_ = s.Close()
			return
		}
		p.nextID++
		pc := &proxyConn{id: p.nextID, client: c, server: s}
		p.conns[pc.id] = pc
		p.wg.Add(2)
		p.mu.Unlock()
		go func() {
			defer p.wg.Done()
			_, _ = io.Copy(c, s)
			p.drop(pc)
		}()
		go func() {
			defer p.wg.Done()
			p.forward(pc)
			p.drop(pc)
		}()
	}
}

// forward copies commands from the client to the server, inspecting each.
func (p *authProxy) forward(pc *proxyConn) {
	r := bufio.NewReader(pc.client)
	for {
		raw, args, err := readCommand(r)
		if err != nil {
			if err != io.EOF && !isClosedErr(err) {
				p.violation("conn %d: unreadable command stream: %v", pc.id, err)
			}
			return
		}
		p.inspect(pc, args)
		if _, err := pc.server.Write(raw); err != nil {
			return
		}
	}
}

func (p *authProxy) inspect(pc *proxyConn, args []string) {
	if len(args) == 0 {
		return
	}
	name := strings.ToUpper(args[0])
	tok := ""
	switch name {
	case "AUTH":
		tok = args[len(args)-1]
	case "HELLO":
		for i := 1; i+2 < len(args); i++ {
			if strings.EqualFold(args[i], "AUTH") {
				tok = args[i+2]
			}
		}
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if tok != "" {
		pc.token = tok
		pc.auths++
		if exp, ok := p.expiry(tok); ok && now.After(exp) {
			p.violations = append(p.violations, fmt.Sprintf("conn %d authenticated with a token expired %v ago", pc.id, now.Sub(exp)))
		}
		return
	}
	p.commands++
	pc.lastCommand = now
	exp, ok := p.expiry(pc.token)
	switch {
	case !ok:
		p.violations = append(p.violations, fmt.Sprintf("conn %d sent %s without a token the credential issued", pc.id, name))
	case now.After(exp):
		p.violations = append(p.violations, fmt.Sprintf("conn %d sent %s with a token expired %v ago", pc.id, name, now.Sub(exp)))
	}
}

func (p *authProxy) violation(format string, args ...any) {
	p.mu.Lock()
	p.violations = append(p.violations, fmt.Sprintf(format, args...))
	p.mu.Unlock()
}

func (p *authProxy) drop(pc *proxyConn) {
	_ = pc.client.Close()
	_ = pc.server.Close()
	p.mu.Lock()
	delete(p.conns, pc.id)
	p.mu.Unlock()
}

// liveConn is an open connection's token and when it last sent a command.
type liveConn struct {
	token       string
	lastCommand time.Time
}

// live returns every open connection.
func (p *authProxy) live() []liveConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]liveConn, 0, len(p.conns))
	for _, c := range p.conns {
		out = append(out, liveConn{c.token, c.lastCommand})
	}
	return out
}

func (p *authProxy) report() (violations []string, commands int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.violations...), p.commands
}

// closeConns drops every open connection, as a server restart would.
func (p *authProxy) closeConns() {
	p.mu.Lock()
	conns := make([]*proxyConn, 0, len(p.conns))
	for _, c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		_ = c.client.Close()
		_ = c.server.Close()
	}
}

func (p *authProxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.ln.Close()
	p.closeConns()
	p.wg.Wait()
}

// readCommand reads one RESP array of bulk strings and returns its raw
// bytes and its arguments.
func readCommand(r *bufio.Reader) ([]byte, []string, error) {
	var raw bytes.Buffer
	line, err := readLine(r, &raw)
	if err != nil {
		return nil, nil, err
	}
	if len(line) == 0 || line[0] != '*' {
		return nil, nil, fmt.Errorf("expected an array, got %q", line)
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 || n > 1<<20 {
		return nil, nil, fmt.Errorf("bad array header %q", line)
	}
	args := make([]string, 0, n)
	for range n {
		hdr, err := readLine(r, &raw)
		if err != nil {
			return nil, nil, err
		}
		if len(hdr) == 0 || hdr[0] != '$' {
			return nil, nil, fmt.Errorf("expected a bulk string, got %q", hdr)
		}
		size, err := strconv.Atoi(hdr[1:])
		if err != nil || size < 0 || size > 512<<20 {
			return nil, nil, fmt.Errorf("bad bulk header %q", hdr)
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, nil, err
		}
		raw.Write(buf)
		args = append(args, string(buf[:size]))
	}
	return raw.Bytes(), args, nil
}

func readLine(r *bufio.Reader, raw *bytes.Buffer) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	raw.WriteString(line)
	return strings.TrimRight(line, "\r\n"), nil
}

func isClosedErr(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "use of closed network connection") ||
		strings.Contains(err.Error(), "connection reset by peer"))
}
