package rediscache_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/settings"
)

// TestAutoPipelinedStallEachCallOwnTimeout stalls the server under 1,000
// auto-pipelined callers (issue 20, item 6c): each call must end within
// about its own syncTimeout, not wait for a failing batch and then for
// its own batch's timeout too (which took 1.04 s at syncTimeout=500). The
// bound, twice syncTimeout, is what the old code always reached: a call
// queued behind a batch that times out waits that batch's timeout and
// then its own.
func TestAutoPipelinedStallEachCallOwnTimeout(t *testing.T) {
	const (
		callers     = 1000
		syncTimeout = 500 * time.Millisecond
		stall       = 3 * time.Second
	)
	for _, telemetryOn := range []bool{false, true} {
		name := "telemetry off"
		opts := []settings.Option{settings.EnableAutoPipelining(), settings.DisableTracing(), settings.DisableMetrics()}
		if telemetryOn {
			name = "telemetry on"
			opts = []settings.Option{settings.EnableAutoPipelining()}
		}
		t.Run(name, func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{})
			proxy := testserver.NewStallProxy(t, srv.Addr)
			inst, err := connect(t, proxy.Addr+",syncTimeout=500,connectTimeout=500,abortConnect=true", opts...)
			if err != nil {
				t.Fatal(err)
			}
			c := inst.Client
			ctx := context.Background()
			if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}

			var slowest atomic.Int64 // ns, of the calls that started during the stall
			var failed atomic.Int64
			var stalled atomic.Bool
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						during := stalled.Load()
						start := time.Now()
						err := c.Get(ctx, "k").Err()
						took := time.Since(start)
						if during && stalled.Load() {
							if err != nil {
								failed.Add(1)
							}
							for {
								cur := slowest.Load()
								if int64(took) <= cur || slowest.CompareAndSwap(cur, int64(took)) {
									break
								}
							}
						}
						if err != nil {
							// As a caller would: do not spin on a failing server.
							time.Sleep(10 * time.Millisecond)
						}
					}
				}()
			}
			time.Sleep(300 * time.Millisecond)
			stalled.Store(true)
			proxy.Stall()
			time.Sleep(stall)
			stalled.Store(false)
			proxy.Resume()
			close(stop)
			wg.Wait()

			worst := time.Duration(slowest.Load())
			t.Logf("%d callers, syncTimeout %v, %v stall: slowest call %v, %d failed", callers, syncTimeout, stall, worst.Round(time.Millisecond), failed.Load())
			if failed.Load() == 0 {
				t.Fatal("no call failed during the stall: the stall did not happen")
			}
			// The client recovers: a batch that did not wait keeps the
			// whole timeout.
			recovered := false
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if err := c.Get(ctx, "k").Err(); err == nil {
					recovered = true
					break
				}
			}
			if !recovered {
				t.Error("GET still fails 5 s after the stall ended")
			}
			if worst >= 2*syncTimeout {
				t.Errorf("slowest call during the stall took %v, want < %v (2 × syncTimeout): it waited for another batch's timeout too", worst, 2*syncTimeout)
			}
		})
	}
}
