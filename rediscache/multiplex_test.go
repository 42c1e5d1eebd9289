package rediscache_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/aspirego/redis/internal/multiplex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/aspirego/redis/internal/testlog"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// cachedClient builds the client "cache" for conn with the client-side
// cache on (and auto-pipelining when ap), recording metrics into a manual
// reader.
func cachedClient(t *testing.T, conn string, ap bool) (*rediscache.Instance, *sdkmetric.ManualReader, *testlog.Buffer) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	logger, logs := newLogger()
	opts := []settings.Option{settings.EnableClientSideCaching(), settings.DisableTracing()}
	if ap {
		opts = append(opts, settings.EnableAutoPipelining())
	}
	inst, err := rediscache.New("cache", rediscache.Deps{
		Config:        config(t, map[string]any{"ConnectionStrings:cache": conn}),
		MeterProvider: mp,
		Logger:        logger,
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	return inst, reader, logs
}

// cacheCounter returns the value of a cache metric.
func cacheCounter(t *testing.T, reader *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				return d.DataPoints[0].Value
			case metricdata.Gauge[int64]:
				return d.DataPoints[0].Value
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// waitValue reads key until it is want and returns how long that took.
func waitValue(t *testing.T, c redis.UniversalClient, key, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		v, err := c.Get(context.Background(), key).Result()
		if err != nil {
			t.Fatalf("GET %s: %v", key, err)
		}
		if v == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("GET %s still %q after %v, want %q", key, v, limit, want)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func TestClientSideCacheRealServer(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	other := redis.NewClient(srv.ClientOptions())
	t.Cleanup(func() { _ = other.Close() })
	ctx := context.Background()

	for _, ap := range []bool{false, true} {
		t.Run(fmt.Sprintf("autopipelining=%t", ap), func(t *testing.T) {
			inst, reader, _ := cachedClient(t, srv.Addr, ap)
			c := inst.Client
			key := fmt.Sprintf("hot-%t", ap)
			if err := other.Set(ctx, key, "v1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			for range 50 {
				if v, err := c.Get(ctx, key).Result(); err != nil || v != "v1" {
					t.Fatalf("GET = %q, %v", v, err)
				}
			}
			if hits := cacheCounter(t, reader, multiplex.CacheHitsMetric); hits < 40 {
				t.Fatalf("%d cache hits of 50 reads", hits)
			}

			// A write from another connection invalidates the entry.
			if err := other.Set(ctx, key, "v2", 0).Err(); err != nil {
				t.Fatal(err)
			}
			took := waitValue(t, c, key, "v2", 2*time.Second)
			t.Logf("another client's write seen after %v", took)
			// No stale read once the invalidation has arrived.
			for range 200 {
				if v := c.Get(ctx, key).Val(); v != "v2" {
					t.Fatalf("stale read %q after the invalidation", v)
				}
			}
			if inv := cacheCounter(t, reader, multiplex.CacheInvalidationsMetric); inv < 1 {
				t.Errorf("%s = %d", multiplex.CacheInvalidationsMetric, inv)
			}

			// A lost connection flushes what it fetched: kill every
			// connection of the client, then write while it cannot hear.
			for range 5 {
				_ = c.Get(ctx, key).Val()
			}
			if _, err := srv.DoErr("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"); err != nil {
				t.Fatal(err)
			}
			_ = other.Ping(ctx).Err() // the kill may have taken it too
			if err := other.Set(ctx, key, "v3", 0).Err(); err != nil {
				t.Fatal(err)
			}
			took = waitValue(t, c, key, "v3", 2*time.Second)
			t.Logf("write during the reconnect seen after %v", took)
		})
	}
}

func TestClientSideCacheWithoutTracking(t *testing.T) {
	// A server that rejects CLIENT TRACKING, as Garnet does.
	srv := testserver.Start(t, testserver.Options{Users: []testserver.User{{
		Name: "app", Password: "pw", Rules: []string{"~*", "&*", "+@all", "-client|tracking"},
	}}})
	inst, reader, logs := cachedClient(t, srv.Addr+",user=app,password=pw", true)
	checkWithoutTracking(t, inst, reader, logs)
}

// checkWithoutTracking checks a client whose server rejected CLIENT
// TRACKING: every read sees the last write, nothing is served from the
// cache, one warning says so, and the password "pw" is not in the logs.
func checkWithoutTracking(t *testing.T, inst *rediscache.Instance, reader *sdkmetric.ManualReader, logs *testlog.Buffer) {
	t.Helper()
	ctx := context.Background()
	for i := range 20 {
		if err := inst.Client.Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := inst.Client.Get(ctx, "k").Int(); err != nil || v != i {
			t.Fatalf("GET = %d, %v; want %d", v, err, i)
		}
	}
	if hits := cacheCounter(t, reader, multiplex.CacheHitsMetric); hits != 0 {
		t.Errorf("%d cache hits without CLIENT TRACKING", hits)
	}
	if n := strings.Count(logs.String(), "disabling client-side caching"); n != 1 {
		t.Errorf("%d warnings about the cache, want 1; logs:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), "pw") && strings.Contains(logs.String(), "password=pw") {
		t.Error("the password is in the logs")
	}
}

// TestClientSideCacheWithoutTrackingGarnet: the same against a fake RESP
// server that answers CLIENT TRACKING with Garnet's error text.
func TestClientSideCacheWithoutTrackingGarnet(t *testing.T) {
	srv := testserver.StartFake(t, testserver.FakeOptions{
		Password: "pw",
		Reject:   map[string]string{"CLIENT TRACKING": testserver.GarnetUnknownSubcommand("TRACKING")},
	})
	inst, reader, logs := cachedClient(t, srv.Addr+",password=pw", true)
	checkWithoutTracking(t, inst, reader, logs)
	if srv.Count("CLIENT TRACKING") == 0 {
		t.Fatalf("the client never sent CLIENT TRACKING; seen: %v", srv.Seen())
	}
}

func TestMultiplexedNotAvailable(t *testing.T) {
	logger, logs := newLogger()
	inst, err := rediscache.New("c", rediscache.Deps{
		Config: config(t, map[string]any{"ConnectionStrings:c": "localhost:1,defaultDatabase=2"}),
		Logger: logger,
	}, settings.EnableClientSideCaching(), settings.EnableAutoPipelining())
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	out := logs.String()
	if !strings.Contains(out, "database 0 only") || !strings.Contains(out, `"multiplexed":"auto-pipelining"`) {
		t.Errorf("logs:\n%s", out)
	}
	// The health check says the mode is on when it fails.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = inst.Checks[0].Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "(multiplexed: auto-pipelining)") {
		t.Errorf("health check of an unreachable server: %v", err)
	}
}

func TestAutoPipeliningTuning(t *testing.T) {
	srv := miniredis.RunT(t)
	tests := []struct {
		name string
		cfg  map[string]any
		want redis.AutoPipelineOptions
	}{
		{"defaults", nil, redis.AutoPipelineOptions{MaxBatchSize: 300}},
		{"tuned", map[string]any{
			"Aspire:StackExchange:Redis:cache:AutoPipeliningBatchSize":   "50",
			"Aspire:StackExchange:Redis:cache:AutoPipeliningFlushDelay":  "100us",
			"Aspire:StackExchange:Redis:cache:AutoPipeliningConcurrency": "4",
		}, redis.AutoPipelineOptions{MaxBatchSize: 50, MaxFlushDelay: 100 * time.Microsecond, MaxConcurrentBatches: 4, Unordered: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]any{
				"ConnectionStrings:cache":                         miniConn(srv, ""),
				"Aspire:StackExchange:Redis:cache:AutoPipelining": "true",
			}
			for k, v := range tt.cfg {
				values[k] = v
			}
			inst, err := rediscache.New("cache", rediscache.Deps{Config: config(t, values)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = inst.Close() })
			got := inst.Resolved.Connection.Options.AutoPipelineOptions
			if got == nil || got.MaxBatchSize != tt.want.MaxBatchSize || got.MaxFlushDelay != tt.want.MaxFlushDelay ||
				got.MaxConcurrentBatches != tt.want.MaxConcurrentBatches || got.Unordered != tt.want.Unordered {
				t.Fatalf("AutoPipelineOptions = %+v, want %+v", got, tt.want)
			}
			ctx := context.Background()
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					key := fmt.Sprint(tt.name, i)
					if err := inst.Client.Set(ctx, key, i, 0).Err(); err != nil {
						t.Error(err)
					}
					if v, err := inst.Client.Get(ctx, key).Int(); err != nil || v != i {
						t.Errorf("GET %s = %d, %v", key, v, err)
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestClientSideCacheServerCrash: a server that crashes and comes back
// empty: once the client has seen the key gone, no read returns the value
// cached before the crash (the connections' loss dropped it, from
// go-redis's cache and from GET's fast path).
func TestClientSideCacheServerCrash(t *testing.T) {
	for _, ap := range []bool{false, true} {
		t.Run(fmt.Sprintf("autopipelining=%t", ap), func(t *testing.T) { testClientSideCacheServerCrash(t, ap) })
	}
}

func testClientSideCacheServerCrash(t *testing.T, ap bool) {
	srv := testserver.Start(t, testserver.Options{})
	inst, reader, _ := cachedClient(t, srv.Addr, ap)
	c := inst.Client
	ctx := context.Background()
	if err := c.Set(ctx, "crash", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if v, err := c.Get(ctx, "crash").Result(); err != nil || v != "before" {
			t.Fatalf("GET = %q, %v", v, err)
		}
	}
	if hits := cacheCounter(t, reader, multiplex.CacheHitsMetric); hits < 18 {
		t.Fatalf("%d cache hits of 20 reads", hits)
	}
	srv.Kill()
	srv.Restart(t) // no persistence: the key is gone
	start := time.Now()
	for {
		err := c.Get(ctx, "crash").Err()
		if errors.Is(err, redis.Nil) {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("GET still answers %v %v after the restart", c.Get(ctx, "crash").Val(), err)
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("the crash seen after %v", time.Since(start))
	for range 200 {
		if v, err := c.Get(ctx, "crash").Result(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET after the crash = %q, %v; want redis.Nil", v, err)
		}
	}
}
