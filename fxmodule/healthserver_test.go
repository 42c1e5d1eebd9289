package fxmodule_test

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/fxmodule"
)

// startHealthServer runs Module with HealthChecks:Address on a free port
// and returns the address.
func startHealthServer(t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	app := fxtest.New(t, fxmodule.Module,
		fx.Replace(mustConfig(t, map[string]any{fxmodule.HealthAddressKey: addr})),
		fx.Supply(slog.New(slog.DiscardHandler)))
	app.RequireStart()
	t.Cleanup(app.RequireStop)
	return addr
}

// keepAlive opens a connection, sends one keep-alive GET /alive and reads
// the answer, leaving the connection open and idle.
func keepAlive(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	getAlive(t, c, r)
	return c, r
}

// getAlive sends GET /alive on c and reads the response.
func getAlive(t *testing.T, c net.Conn, r *bufio.Reader) {
	t.Helper()
	if _, err := io.WriteString(c, "GET /alive HTTP/1.1\r\nHost: health\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /alive = %d", resp.StatusCode)
	}
}

// TestHealthServerClosesIdleConnections: keep-alive connections left idle
// are closed by the server (before, only ReadHeaderTimeout was set and
// they stayed open for good).
func TestHealthServerClosesIdleConnections(t *testing.T) {
	const idle = 200 * time.Millisecond
	fxmodule.SetHealthLimits(t, idle, fxmodule.HealthMaxConns)
	addr := startHealthServer(t)
	const n = 50
	type conn struct {
		c net.Conn
		r *bufio.Reader
	}
	conns := make([]conn, n)
	for i := range conns {
		conns[i].c, conns[i].r = keepAlive(t, addr)
	}
	start := time.Now()
	for i, c := range conns {
		// The server closes the connection: the read ends with EOF, long
		// before this generous deadline.
		_ = c.c.SetReadDeadline(start.Add(idle + 5*time.Second))
		if _, err := c.r.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("connection %d: read = %v after %v, want EOF: the server kept an idle connection open", i, err, time.Since(start))
		}
	}
	t.Logf("%d idle keep-alive connections closed %v after their last request (IdleTimeout %v)", n, time.Since(start), idle)
}

// TestHealthServerCapsConnections: beyond the cap, a new connection waits
// until an open one closes.
func TestHealthServerCapsConnections(t *testing.T) {
	fxmodule.SetHealthLimits(t, time.Minute, 2)
	addr := startHealthServer(t)
	first, _ := keepAlive(t, addr)
	keepAlive(t, addr)

	third, err := net.DialTimeout("tcp", addr, 5*time.Second) // queued by the kernel
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { third.Close() })
	if _, err := io.WriteString(third, "GET /alive HTTP/1.1\r\nHost: health\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := third.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a third connection over a cap of 2 was served: read = %v", err)
	}
	first.Close()
	_ = third.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(third), nil)
	if err != nil {
		t.Fatalf("the queued connection was not served after another closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /alive = %d", resp.StatusCode)
	}
}
