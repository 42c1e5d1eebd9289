//go:build linux

package integration

import (
	"context"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aspirego/redis/internal/testserver"
)

// synHole is a loopback port where TCP connects hang: a socket that
// listens with a backlog of 0 and never accepts, once its accept queue
// is full, drops every further SYN, so a dial waits for its timeout.
type synHole struct {
	Addr string
	fd   int
}

func newSynHole(t *testing.T) *synHole {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	h := &synHole{Addr: fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port), fd: fd}
	// Fill the accept queue.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", h.Addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { _ = c.Close() })
		if i > 16 {
			t.Skip("the kernel keeps accepting connections on a full backlog; no hanging connect on this machine")
		}
	}
	return h
}

// TestTimeouts measures how the connection string's timeouts bound a
// command when the server cannot be reached: a TCP connect that hangs
// (connectTimeout), a server that accepts and never answers (syncTimeout,
// which in go-redis also bounds the connection handshake), and a deadline
// on the caller's context.
func TestTimeouts(t *testing.T) {
	parallel(t)
	syn := newSynHole(t)
	hole := testserver.NewBlackhole(t)
	for _, tt := range []struct {
		name, addr, conn string
		deadline         time.Duration // on the caller's context; 0: none
		want             string        // the error must contain it
	}{
		{"TCP connect hangs", syn.Addr, ",connectTimeout=300,syncTimeout=2000,connectRetry=1", 0, "dial tcp"},
		{"TCP connect hangs", syn.Addr, ",connectTimeout=300,syncTimeout=2000", 0, "dial tcp"},
		{"TCP connect hangs", syn.Addr, ",connectTimeout=300,syncTimeout=2000", 500 * time.Millisecond, "deadline"},
		{"accepts, never answers", hole.Addr, ",connectTimeout=2000,syncTimeout=300", 0, "timeout"},
		{"accepts, never answers", hole.Addr, ",connectTimeout=300,syncTimeout=2000", 0, "timeout"},
	} {
		inst := client(t, tt.addr+tt.conn, nil)
		ctx := context.Background()
		bound := commandBound(inst)
		if tt.deadline > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, tt.deadline)
			defer cancel()
			bound = tt.deadline + time.Second
		}
		start := time.Now()
		err := inst.Client.Set(ctx, "k", "v", 0).Err()
		took := time.Since(start)
		conn := strings.TrimPrefix(tt.conn, ",")
		if tt.deadline > 0 {
			conn += fmt.Sprintf(", context deadline %v", tt.deadline)
		}
		recordTiming(t, timing{Scenario: tt.name, Conn: conn, Took: took, Err: errorKind(err)})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s, %s: err = %v, want one containing %q", tt.name, conn, err, tt.want)
		}
		if took > bound {
			t.Errorf("%s, %s: SET returned after %v; the options bound it to %v", tt.name, conn, took, bound)
		}
		_ = inst.Close()
	}
}
