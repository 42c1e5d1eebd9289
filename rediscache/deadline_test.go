package rediscache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
)

// newInstance builds and starts the client "cache" for conn, closed when
// the test ends.
func newInstance(t *testing.T, conn string) (*rediscache.Instance, error) {
	t.Helper()
	return newInstanceConfig(t, map[string]any{"ConnectionStrings:cache": conn})
}

func newInstanceConfig(t *testing.T, values map[string]any) (*rediscache.Instance, error) {
	t.Helper()
	logger, _ := newLogger()
	inst, err := rediscache.New("cache", rediscache.Deps{Config: config(t, values), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	return inst, inst.Start(context.Background())
}

// TestStartWithHugeConnectBudget: connectRetry and connectTimeout up to
// 2^31-1 (and a URI's dial_timeout without bound) multiply into more than
// time.Duration holds; the start-up PING must not get a deadline in the
// past and fail at once against a healthy server.
func TestStartWithHugeConnectBudget(t *testing.T) {
	srv := miniredis.RunT(t)
	for _, conn := range []string{
		miniConn(srv, ",connectRetry=2147483647"),
		miniConn(srv, ",connectTimeout=2147483647,connectRetry=5000"),
		"redis://" + srv.Addr() + "?dial_timeout=1000000h",
	} {
		t.Run(conn, func(t *testing.T) {
			_, err := newInstanceConfig(t, map[string]any{
				"ConnectionStrings:cache": conn,
				"Aspire:StackExchange:Redis:cache:ConfigurationOptions:AbortOnConnectFail": true,
				"Aspire:StackExchange:Redis:cache:ConfigurationOptions:SetClientLibrary":   false,
			})
			if err != nil {
				t.Fatalf("Start against a healthy server: %v", err)
			}
		})
	}
}

// TestBlockingCommandsKeepTheirTimeout: BLPOP's own timeout is added to
// syncTimeout, so a BLPOP that waits longer than syncTimeout for nothing
// returns redis.Nil, not a timeout.
func TestBlockingCommandsKeepTheirTimeout(t *testing.T) {
	srv := miniredis.RunT(t)
	inst, err := newInstance(t, miniConn(srv, ",syncTimeout=100"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := inst.Client.BLPop(ctx, time.Second, "empty").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("BLPOP 1s with syncTimeout=100: err = %v, want redis.Nil", err)
	}
}

// TestCommandTimeoutErrorFromServer: a command the server does not answer
// within syncTimeout fails with a *rediscache.CommandTimeoutError naming
// the client and command, wrapping context.DeadlineExceeded; a caller's
// earlier deadline is kept and gives the plain context error.
func TestCommandTimeoutErrorFromServer(t *testing.T) {
	hole := testserver.NewBlackhole(t)
	inst, err := newInstance(t, hole.Addr+",syncTimeout=200")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = inst.Client.Set(ctx, "k", "v", 0).Err()
	var te *rediscache.CommandTimeoutError
	if !errors.As(err, &te) || te.Name != "cache" || te.Command != "SET" || te.Limit != 200*time.Millisecond {
		t.Fatalf("SET to a server that never answers: err = %#v, want a CommandTimeoutError for client cache, SET, 200ms", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = inst.Client.Get(cctx, "k").Err()
	if errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GET under the caller's 50ms deadline: err = %v, want the plain context error", err)
	}
}
