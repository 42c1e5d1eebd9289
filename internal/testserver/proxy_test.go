package testserver

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestStallProxy(t *testing.T) {
	t.Parallel()
	srv := Start(t, Options{Password: "pw"})
	p := NewStallProxy(t, srv.Addr)
	o := srv.ClientOptions()
	o.Addr = p.Addr
	o.ReadTimeout = 300 * time.Millisecond
	c := quickClient(t, o)
	c.Options().ReadTimeout = 300 * time.Millisecond
	ctx := ctxT(t, 20*time.Second)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING through the proxy: %v", err)
	}

	p.Stall()
	if !p.Stalled() {
		t.Fatal("not stalled")
	}
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := c.Ping(sctx).Err()
	cancel()
	if err == nil {
		t.Fatal("PING through a stalled proxy succeeded")
	}
	// A new connection is accepted but never answered.
	raw, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatalf("dial a stalled proxy: %v", err)
	}
	defer raw.Close()
	if _, err := raw.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = raw.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := bufio.NewReader(raw).ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read from a stalled proxy: %v, want a timeout", err)
	}

	p.Resume()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Resume: %v", err)
	}
	if p.Accepted() < 3 {
		t.Fatalf("Accepted() = %d, want at least 3", p.Accepted())
	}
	p.CloseConns()
	if err := c.Ping(ctx).Err(); err != nil { // go-redis drops the reset connection and dials again
		if err = c.Ping(ctx).Err(); err != nil {
			t.Fatalf("PING after CloseConns: %v", err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		t.Fatal("dial a closed proxy succeeded")
	}
}

func TestBlackhole(t *testing.T) {
	t.Parallel()
	b := NewBlackhole(t)
	c := redis.NewClient(&redis.Options{
		Addr: b.Addr, DialTimeout: time.Second, ReadTimeout: 200 * time.Millisecond,
		MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true,
	})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING to a black hole succeeded")
	}
	if b.Accepted() == 0 {
		t.Fatal("black hole accepted nothing")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"127.0.0.1:6379": true, "127.1.2.3:1": true, "[::1]:6379": true, "localhost:6379": true,
		"10.0.0.1:6379": false, "example.com:6379": false, "[2001:db8::1]:6379": false, "127.0.0.1": false,
	} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}
