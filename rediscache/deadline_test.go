package rediscache_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
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
	inst, err := newInstance(t, miniConn(srv, ",syncTimeout=500"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := inst.Client.BLPop(ctx, time.Second, "empty").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("BLPOP 1s with syncTimeout=500: err = %v, want redis.Nil", err)
	}
}

// TestCommandTimeoutErrorFromDial: a command whose connection cannot be
// made within syncTimeout fails with a *rediscache.CommandTimeoutError
// naming the client, the command and the last dial error, wrapping
// context.DeadlineExceeded; a caller's earlier deadline is kept and gives
// the plain context error.
func TestCommandTimeoutErrorFromDial(t *testing.T) {
	hang := settings.ConfigureOptions(func(o *redis.UniversalOptions) {
		o.Dialer = func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done() // each attempt lasts connectTimeout, as a SYN dropped
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
		}
	})
	logger, _ := newLogger()
	inst, err := rediscache.New("cache", rediscache.Deps{
		Config: config(t, map[string]any{"ConnectionStrings:cache": "127.0.0.1:1,connectTimeout=100,connectRetry=1,syncTimeout=300"}),
		Logger: logger,
	}, hang)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	ctx := context.Background()
	err = inst.Client.Set(ctx, "k", "v", 0).Err()
	var te *rediscache.CommandTimeoutError
	if !errors.As(err, &te) || te.Name != "cache" || te.Command != "SET" || te.Limit != 300*time.Millisecond {
		t.Fatalf("SET whose dial hangs: err = %v, want a CommandTimeoutError for client cache, SET, 300ms", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
	}
	if te.Dial == nil || !strings.Contains(err.Error(), "last connection attempt: dial tcp: i/o timeout") {
		t.Errorf("err = %v, want the last dial error in it", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = inst.Client.Get(cctx, "k").Err()
	if errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GET under the caller's 50ms deadline: err = %v, want the plain context error", err)
	}
}
