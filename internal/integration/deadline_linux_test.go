//go:build linux

package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// deadlineMargin is how far past its deadline a command may return in
// these tests: the promise is syncTimeout (or the caller's deadline) plus
// scheduling delay, a few milliseconds; the bound is generous because the
// tests share two cores with everything else.
func deadlineMargin(budget time.Duration) time.Duration {
	return budget + 500*time.Millisecond
}

// TestCommandDeadline checks that no command, pipeline, health check or
// start-up PING outlives its deadline, whatever the fault: syncTimeout,
// the caller's context if that ends sooner, or the connect budget at
// start. Before the command deadline, one SET against a TCP connect that
// hangs took 4 command attempts x 3 dial attempts x connectTimeout: 61 s
// with the default settings, 6.9 s with 500 ms timeouts, and /health took
// the health check's whole 5 s.
func TestCommandDeadline(t *testing.T) {
	syn := newSynHole(t)
	hole := testserver.NewBlackhole(t)
	const fast = ",syncTimeout=500,connectTimeout=500"
	for _, tt := range []struct {
		scenario, addr, conn string
		op                   string        // SET, pipeline, /health, start
		callerDeadline       time.Duration // 0: none
		budget               time.Duration
	}{
		{"TCP connect hangs", syn.Addr, "", "SET", 0, 5 * time.Second},
		{"TCP connect hangs", syn.Addr, fast, "SET", 0, 500 * time.Millisecond},
		{"TCP connect hangs", syn.Addr, fast, "pipeline", 0, 500 * time.Millisecond},
		{"TCP connect hangs", syn.Addr, fast, "/health", 0, 500 * time.Millisecond},
		{"TCP connect hangs", syn.Addr, ",syncTimeout=5000", "SET", 300 * time.Millisecond, 300 * time.Millisecond},
		{"TCP connect hangs", syn.Addr, ",connectTimeout=300,connectRetry=2,abortConnect=true", "start", 0, 600 * time.Millisecond},
		{"accepts, never answers", hole.Addr, fast, "SET", 0, 500 * time.Millisecond},
		{"accepts, never answers", hole.Addr, fast, "/health", 0, 500 * time.Millisecond},
		{"TLS handshake never answered", hole.Addr, ",ssl=true,syncTimeout=500", "SET", 0, 500 * time.Millisecond},
		{"cluster seeds: connect hangs, never answers", syn.Addr + "," + hole.Addr, fast, "SET", 0, 500 * time.Millisecond},
		{"cluster seeds: connect hangs, never answers", syn.Addr + "," + hole.Addr, fast, "/health", 0, 500 * time.Millisecond},
	} {
		conn := strings.TrimPrefix(tt.conn, ",")
		if conn == "" {
			conn = "default settings"
		}
		if tt.callerDeadline > 0 {
			conn += fmt.Sprintf(", context deadline %v", tt.callerDeadline)
		}
		t.Run(tt.scenario+"/"+tt.op+"/"+conn, func(t *testing.T) {
			t.Parallel()
			took, err := runUntilDeadline(t, tt.addr+tt.conn, tt.op, tt.callerDeadline)
			t.Logf("error: %v", err)
			recordTiming(t, timing{Scenario: tt.scenario + " (" + tt.op + ")", Conn: conn, Took: took, Err: errorKind(err)})
			if err == nil {
				t.Fatalf("%s succeeded against a server that cannot answer", tt.op)
			}
			var ne net.Error
			if tt.op != "/health" && !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
				t.Errorf("err = %v, want a timeout", err)
			}
			if bound := deadlineMargin(tt.budget); took > bound {
				t.Errorf("%s returned after %v; its deadline was %v (bound with margin %v): %v", tt.op, took, tt.budget, bound, err)
			}
		})
	}
}

// runUntilDeadline builds a client for conn, runs op once and returns how
// long it took and its error.
func runUntilDeadline(t *testing.T, conn, op string, callerDeadline time.Duration) (time.Duration, error) {
	t.Helper()
	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:cache": conn})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg, Logger: logs.logger()},
		settings.WithHealthCheckTimeout(settings.DefaultHealthCheckTimeout))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	ctx := context.Background()
	if callerDeadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, callerDeadline)
		defer cancel()
	}
	start := time.Now()
	switch op {
	case "SET":
		err = inst.Client.Set(ctx, "k", "v", 0).Err()
	case "pipeline":
		_, err = inst.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "a", "1", 0)
			p.Get(ctx, "a")
			return nil
		})
	case "/health":
		code, body := newHealth(t, inst).get()
		if code != http.StatusServiceUnavailable {
			t.Errorf("/health = %d, want 503: %s", code, body)
		}
		err = errors.New(body)
	case "start":
		err = inst.Start(ctx)
	default:
		t.Fatalf("unknown op %q", op)
	}
	return time.Since(start), err
}
