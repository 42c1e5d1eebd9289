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

// deadlineProbe records the deadline of the context its commands run
// under, after the hooks installed before it (the command timeout's).
type deadlineProbe struct{ left chan time.Duration }

func (deadlineProbe) DialHook(next redis.DialHook) redis.DialHook { return next }
func (p deadlineProbe) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		left := time.Duration(-1)
		if dl, ok := ctx.Deadline(); ok {
			left = time.Until(dl)
		}
		select {
		case p.left <- left:
		default:
		}
		return next(ctx, cmd)
	}
}
func (deadlineProbe) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestCommandTimeoutFromGoRedis: options set in code without read and
// write timeouts get go-redis's default (5 s in go-redis v9.23, resolved
// by go-redis when it builds the client), not a copy of an older default,
// as the command timeout.
func TestCommandTimeoutFromGoRedis(t *testing.T) {
	srv := miniredis.RunT(t)
	logger, _ := newLogger()
	inst, err := rediscache.New("cache", rediscache.Deps{Logger: logger},
		settings.WithConnectionString(srv.Addr()),
		settings.DisableTracing(), settings.DisableMetrics(),
		settings.ConfigureOptions(func(o *redis.UniversalOptions) { o.ReadTimeout, o.WriteTimeout = 0, 0 }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	c, ok := inst.Client.(*redis.Client)
	if !ok {
		t.Fatalf("client is %T, want *redis.Client", inst.Client)
	}
	want := c.Options().ReadTimeout // go-redis's default, resolved
	if want <= 0 {
		t.Fatalf("go-redis resolved ReadTimeout 0 to %v", want)
	}
	probe := deadlineProbe{left: make(chan time.Duration, 1)}
	inst.Client.AddHook(probe)
	if err := inst.Client.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	left := <-probe.left
	// The deadline is want (plus at most a shared deadline's slot) from
	// when the command started; far more than a second apart from any
	// other default, so a slow machine does not matter.
	if left <= want-time.Second || left > want+time.Second {
		t.Errorf("command deadline %v from now, want about %v (go-redis's resolved ReadTimeout)", left.Round(time.Millisecond), want)
	}
}
