package testserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// proxyDialTimeout bounds the proxy's connection to its target.
const proxyDialTimeout = 5 * time.Second

// StallProxy is a loopback TCP proxy in front of a server. It forwards
// traffic both ways until Stall; while stalled it keeps accepting
// connections but swallows everything: bytes read from either side of an
// existing connection are dropped, and a connection accepted during a stall
// is never connected to the target and never answered. After Resume,
// existing connections forward again (what was dropped stays lost, so a
// RESP stream is out of step: clients should drop such a connection) and
// new connections are proxied normally.
type StallProxy struct {
	// Addr is the proxy's address ("127.0.0.1:port"); connect here.
	Addr string
	// Target is the address traffic is forwarded to.
	Target string

	r *relay
}

// NewStallProxy starts a proxy to target (a loopback host:port) on a free
// loopback port. It is closed when the test ends.
func NewStallProxy(t testing.TB, target string) *StallProxy {
	t.Helper()
	if err := checkLoopback(target); err != nil {
		t.Fatalf("testserver: stall proxy: %v", err)
	}
	r, err := newRelay(target)
	if err != nil {
		t.Fatalf("testserver: stall proxy for %s: %v", target, err)
	}
	t.Cleanup(func() { r.close() })
	return &StallProxy{Addr: r.ln.Addr().String(), Target: target, r: r}
}

// Stall makes the proxy swallow all traffic, on existing and new
// connections, without closing anything.
func (p *StallProxy) Stall() { p.r.stalled.Store(true) }

// Resume makes the proxy forward traffic again.
func (p *StallProxy) Resume() { p.r.stalled.Store(false) }

// Stalled reports whether the proxy is stalled.
func (p *StallProxy) Stalled() bool { return p.r.stalled.Load() }

// CloseConns closes every current connection (both sides), as a network
// reset would; the proxy keeps accepting new ones.
func (p *StallProxy) CloseConns() { p.r.closeConns() }

// Accepted returns how many connections the proxy has accepted.
func (p *StallProxy) Accepted() int { return int(p.r.accepted.Load()) }

// Close stops the proxy: it closes the listener and every connection and
// waits for all its goroutines to end. It is safe to call more than once.
func (p *StallProxy) Close() error { return p.r.close() }

// Blackhole is a loopback listener that accepts connections and never
// answers: it reads and drops whatever the client sends.
type Blackhole struct {
	// Addr is the listener's address ("127.0.0.1:port").
	Addr string

	r *relay
}

// NewBlackhole starts a black hole on a free loopback port. It is closed
// when the test ends.
func NewBlackhole(t testing.TB) *Blackhole {
	t.Helper()
	r, err := newRelay("")
	if err != nil {
		t.Fatalf("testserver: black hole: %v", err)
	}
	t.Cleanup(func() { r.close() })
	return &Blackhole{Addr: r.ln.Addr().String(), r: r}
}

// Accepted returns how many connections the black hole has accepted.
func (b *Blackhole) Accepted() int { return int(b.r.accepted.Load()) }

// Close closes the listener and every connection and waits for all
// goroutines to end. It is safe to call more than once.
func (b *Blackhole) Close() error { return b.r.close() }

// checkLoopback accepts host:port addresses on 127.0.0.0/8, ::1 or
// localhost only: tests never reach beyond the machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("target %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("target %s is not a loopback address", addr)
}

// relay is the listener and connection bookkeeping behind StallProxy
// (target set) and Blackhole (no target: always swallows).
type relay struct {
	ln       net.Listener
	target   string
	stalled  atomic.Bool
	accepted atomic.Int64
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

func newRelay(target string) (*relay, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &relay{ln: ln, target: target, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

func (r *relay) serve() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			if r.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors
			continue
		}
		r.accepted.Add(1)
		if !r.track(c) {
			c.Close()
			return
		}
		r.wg.Add(1)
		go r.handle(c)
	}
}

func (r *relay) handle(c net.Conn) {
	defer r.wg.Done()
	if r.target == "" || r.stalled.Load() {
		r.swallow(c)
		return
	}
	d := net.Dialer{Timeout: proxyDialTimeout}
	up, err := d.DialContext(r.ctx, "tcp", r.target)
	if err != nil {
		r.closeConn(c)
		return
	}
	if !r.track(up) {
		up.Close()
		r.closeConn(c)
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.pump(up, c)
	}()
	r.pump(c, up)
}

// swallow reads and drops everything from c until it closes.
func (r *relay) swallow(c net.Conn) {
	_, _ = io.Copy(io.Discard, c)
	r.closeConn(c)
}

// pump copies src to dst, dropping data while stalled; when either side
// fails it closes both.
func (r *relay) pump(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !r.stalled.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	r.closeConn(src)
	r.closeConn(dst)
}

func (r *relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *relay) closeConn(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	c.Close()
}

func (r *relay) closeConns() {
	r.mu.Lock()
	conns := make([]net.Conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	for _, c := range conns {
		r.closeConn(c)
	}
}

func (r *relay) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

func (r *relay) close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	err := r.ln.Close()
	r.closeConns()
	r.wg.Wait()
	return err
}
