package fxmodule

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aspirego/redis/healthcheck"
)

// Limits of the health server that Module runs on HealthChecks:Address.
// A health endpoint faces probes, load balancers and, on a shared
// network, anyone: every connection is bounded in time and their number
// is capped, so idle keep-alive connections, slow clients and connection
// floods cannot pile up.
const (
	// HealthReadHeaderTimeout bounds reading a request's headers.
	HealthReadHeaderTimeout = 5 * time.Second
	// HealthReadTimeout bounds reading a whole request.
	HealthReadTimeout = 10 * time.Second
	// HealthIdleTimeout closes a keep-alive connection idle this long.
	HealthIdleTimeout = 30 * time.Second
	// HealthWriteMargin is added to the longest check timeout to bound
	// the handling and writing of a response.
	HealthWriteMargin = 5 * time.Second
	// HealthMaxConns caps the connections open at once; further
	// connections wait in the listen queue until one closes.
	HealthMaxConns = 128
	// HealthMaxHeaderBytes caps the size of a request's headers.
	HealthMaxHeaderBytes = 8 << 10
)

// healthLimits are the limits in force; tests shorten them.
var healthLimits = struct {
	readHeader, read, idle, writeMargin time.Duration
	maxConns                            int
}{HealthReadHeaderTimeout, HealthReadTimeout, HealthIdleTimeout, HealthWriteMargin, HealthMaxConns}

// newHealthServer returns the server for h, its write timeout covering
// the longest check of checker.
func newHealthServer(h http.Handler, checker *healthcheck.Checker) *http.Server {
	longest := healthcheck.DefaultTimeout
	if checker != nil {
		for _, c := range checker.Checks() {
			longest = max(longest, c.Timeout)
		}
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: healthLimits.readHeader,
		ReadTimeout:       healthLimits.read,
		WriteTimeout:      longest + healthLimits.writeMargin,
		IdleTimeout:       healthLimits.idle,
		MaxHeaderBytes:    HealthMaxHeaderBytes,
	}
}

// limitListener accepts at most cap(sem) connections at once: Accept
// waits for a connection to close before it accepts another.
type limitListener struct {
	net.Listener
	sem  chan struct{}
	done chan struct{}
	once sync.Once
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back once, when closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
