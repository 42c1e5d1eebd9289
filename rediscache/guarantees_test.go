package rediscache_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// These tests pin down what the client does not guarantee, as
// docs/reliability.md and docs/multiplexing.md state it: if one of them
// starts failing, the behaviour changed and so must the documentation.

// TestCommandMapIsNotASecurityBoundary: $FLUSHALL= keeps the client from
// sending FLUSHALL, nothing more. A pipeline that is not a transaction
// from MULTI to its last command (here MULTI, SET, FLUSHALL, EXEC, PING)
// is sent without the disabled command, so the server runs the
// transaction MULTI, SET, EXEC and applies the SET; a script runs
// FLUSHALL on the server, which never sees the command map. .NET behaves
// the same: its command map too only renames what the client sends.
func TestCommandMapIsNotASecurityBoundary(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	for _, ap := range []bool{false, true} {
		t.Run(fmt.Sprintf("autopipelining=%t", ap), func(t *testing.T) {
			opts := []settings.Option{settings.DisableTracing()}
			if ap {
				opts = append(opts, settings.EnableAutoPipelining())
			}
			inst, err := rediscache.New("cache", rediscache.Deps{
				Config: config(t, map[string]any{"ConnectionStrings:cache": srv.ConnectionString() + ",$FLUSHALL="}),
			}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = inst.Close() })
			c := inst.Client
			ctx := context.Background()
			if err := c.Set(ctx, "before", "1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.FlushAll(ctx).Err(); !errors.Is(err, rediscache.ErrCommandDisabled) {
				t.Fatalf("FLUSHALL: %v, want ErrCommandDisabled", err)
			}

			p := c.Pipeline()
			p.Do(ctx, "multi")
			p.Set(ctx, "in-tx", "1", 0)
			flush := p.Do(ctx, "flushall")
			p.Do(ctx, "exec")
			p.Ping(ctx)
			_, _ = p.Exec(ctx)
			if !errors.Is(flush.Err(), rediscache.ErrCommandDisabled) {
				t.Errorf("FLUSHALL in the pipeline: %v, want ErrCommandDisabled", flush.Err())
			}
			if v := srv.Do(t, "GET", "in-tx"); v != "1" {
				t.Errorf("GET in-tx = %v: the SET of the pipeline's transaction was not applied", v)
			}
			if v := srv.Do(t, "GET", "before"); v != "1" {
				t.Errorf("GET before = %v: FLUSHALL ran", v)
			}

			if err := c.Eval(ctx, "return redis.call('FLUSHALL')", nil).Err(); err != nil {
				t.Fatalf("EVAL of FLUSHALL: %v", err)
			}
			if n := srv.Do(t, "DBSIZE"); n != int64(0) {
				t.Errorf("DBSIZE = %v after a script ran FLUSHALL", n)
			}
		})
	}
}

// TestSwapDBLeavesCachedReadsStale: SWAPDB from another client changes
// what database 0 holds without an invalidation (Redis sends none for
// SWAPDB), so the client-side cache keeps serving the old value, with
// this client as with raw go-redis's cache. Only ClientSideCacheTTL, a
// reconnect or a write to the key ends it.
func TestSwapDBLeavesCachedReadsStale(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	other := redis.NewClient(srv.ClientOptions())
	t.Cleanup(func() { _ = other.Close() })

	inst, _, _ := cachedClient(t, srv.Addr, false)
	raw := rawCachedClient(t, srv)

	for _, tc := range []struct {
		name string
		c    redis.UniversalClient
	}{{"rediscache", inst.Client}, {"go-redis", raw}} {
		t.Run(tc.name, func(t *testing.T) {
			key := "swapped-" + tc.name
			if err := other.Set(ctx, key, "db0", 0).Err(); err != nil {
				t.Fatal(err)
			}
			db1Opts := srv.ClientOptions()
			db1Opts.DB = 1
			db1 := redis.NewClient(db1Opts)
			t.Cleanup(func() { _ = db1.Close() })
			if err := db1.Set(ctx, key, "db1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			for range 3 { // cached from the second read on
				if v, err := tc.c.Get(ctx, key).Result(); err != nil || v != "db0" {
					t.Fatalf("GET = %q, %v", v, err)
				}
			}
			if err := other.Do(ctx, "swapdb", 0, 1).Err(); err != nil {
				t.Fatal(err)
			}
			if v := other.Get(ctx, key).Val(); v != "db1" {
				t.Fatalf("after SWAPDB the server holds %q in database 0", v)
			}
			// Long enough for any invalidation to arrive (one arrives
			// within milliseconds of a write).
			time.Sleep(200 * time.Millisecond)
			if v, err := tc.c.Get(ctx, key).Result(); err != nil || v != "db0" {
				t.Errorf("GET after SWAPDB = %q, %v; want the stale db0: the cache now sees SWAPDB, update the docs", v, err)
			}
			// A write to the key ends it.
			if err := other.Set(ctx, key, "new", 0).Err(); err != nil {
				t.Fatal(err)
			}
			waitValue(t, tc.c, key, "new", 2*time.Second)
			if err := other.Do(ctx, "swapdb", 0, 1).Err(); err != nil { // back, for the next case
				t.Fatal(err)
			}
		})
	}
}

// TestCacheStalenessUnderLoad measures how long after another client's
// write is acknowledged a cached read still returns the old value, with
// every CPU busy, for this client and for raw go-redis's cache. It only
// reports (docs/multiplexing.md quotes it): set ASPIREGO_STALENESS=1.
func TestCacheStalenessUnderLoad(t *testing.T) {
	if os.Getenv("ASPIREGO_STALENESS") == "" {
		t.Skip("a measurement: set ASPIREGO_STALENESS=1 to run it")
	}
	srv := testserver.Start(t, testserver.Options{})
	// A cancellable context, as an HTTP request's: under this load a
	// client read on context.Background() was seen to fail for good
	// ("GET exceeded its timeout", issue 20 item 1), which this does not
	// measure.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	other := redis.NewClient(srv.ClientOptions())
	t.Cleanup(func() { _ = other.Close() })
	inst, _, _ := cachedClient(t, srv.Addr, false)
	raw := rawCachedClient(t, srv)

	for _, load := range []bool{false, true} {
		var stop atomic.Bool
		var wg sync.WaitGroup
		if load {
			for range 4 * runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					for x := 0; !stop.Load(); x++ {
						_ = strconv.Itoa(x)
					}
				})
			}
		}
		for _, tc := range []struct {
			name string
			c    redis.UniversalClient
		}{{"go-redis", raw}, {"rediscache", inst.Client}} {
			const rounds = 300
			key := fmt.Sprintf("stale-%s-%t", tc.name, load)
			var lags []time.Duration
			for i := range rounds {
				want := strconv.Itoa(i)
				if err := other.Set(ctx, key, want, 0).Err(); err != nil {
					t.Fatal(err)
				}
				acked := time.Now()
				for tc.c.Get(ctx, key).Val() != want {
					if time.Since(acked) > 10*time.Second {
						t.Logf("%s, CPU saturated %t: write %d of %d not seen after 10 s", tc.name, load, i, rounds)
						t.Fatalf("GET: %v", tc.c.Get(ctx, key).Err())
					}
				}
				lags = append(lags, time.Since(acked))
				// Read it a few times, so that the next write finds it
				// cached.
				for range 3 {
					_ = tc.c.Get(ctx, key).Val()
				}
			}
			slices.Sort(lags)
			t.Logf("%s, CPU saturated %t (GOMAXPROCS %d): write acknowledged → cached read sees it: median %v, p99 %v, max %v over %d writes",
				tc.name, load, runtime.GOMAXPROCS(0), lags[rounds/2], lags[rounds*99/100], lags[rounds-1], rounds)
		}
		stop.Store(true)
		wg.Wait()
	}
}

// rawCachedClient is a raw go-redis client of srv with go-redis's own
// client-side cache (RESP3), for side-by-side comparisons.
func rawCachedClient(t *testing.T, srv *testserver.Server) *redis.Client {
	t.Helper()
	o := srv.ClientOptions()
	o.Protocol = 3
	o.ClientSideCacheConfig = &redis.ClientSideCacheConfig{}
	raw := redis.NewClient(o)
	t.Cleanup(func() { _ = raw.Close() })
	return raw
}
