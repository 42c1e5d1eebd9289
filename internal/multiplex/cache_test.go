package multiplex

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/aspirego/redis/internal/testserver"
)

// cachedMultiplexed instruments a client of srv with a client-side cache.
// With wrapCtx, a hook of the client wraps each command's context before
// the cache sees it, as rediscache's command timeout does.
func cachedMultiplexed(t *testing.T, srv *testserver.Server, e *telemetryEnv, hitSpans, wrapCtx bool) redis.UniversalClient {
	t.Helper()
	cache := NewCache(100, 0)
	base := redis.NewClient(&redis.Options{
		Addr: srv.Addr, Protocol: 3, ClientSideCache: cache, DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	ap, err := base.AutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	c, stop, err := Instrument(Multiplexed{Base: base, Front: ap, Cache: cache, TraceCacheHits: hitSpans}, configOf(e, "csc"))
	if err != nil {
		t.Fatal(err)
	}
	if wrapCtx {
		// After Instrument's hooks, as rediscache adds its own.
		base.AddHook(wrapHook{})
	}
	t.Cleanup(func() {
		_ = stop()
		_ = c.Close()
	})
	return c
}

// wrapHook gives each command a context of its own.
type wrapHook struct{}

type wrapKey struct{}

func (wrapHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (wrapHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		return next(context.WithValue(ctx, wrapKey{}, true), cmd)
	}
}

func (wrapHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func TestCacheTelemetry(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	for _, tc := range []struct{ hitSpans, wrapCtx bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		hitSpans := tc.hitSpans
		t.Logf("TraceCacheHits %v, context wrapped by a hook %v", tc.hitSpans, tc.wrapCtx)
		e := newEnv(t)
		c := cachedMultiplexed(t, srv, e, hitSpans, tc.wrapCtx)
		ctx := context.Background()
		key := fmt.Sprintf("k-%v-%v", tc.hitSpans, tc.wrapCtx)
		if err := c.Set(ctx, key, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if err := c.Get(ctx, key).Err(); err != nil {
				t.Fatal(err)
			}
		}
		gets, hits := 0, 0
		for _, s := range e.Spans.GetSpans() {
			if s.Name != "GET" {
				continue
			}
			gets++
			if attrMap(s.Attributes)[string(CacheHitKey)] == true {
				hits++
			}
		}
		m := e.Metrics(t)
		value := func(name string) int64 {
			t.Helper()
			d, ok := m[name].Data.(metricdata.Sum[int64])
			if !ok || len(d.DataPoints) != 1 {
				t.Fatalf("%s: %#v", name, m[name].Data)
			}
			return d.DataPoints[0].Value
		}
		if value(CacheHitsMetric) != 9 || value(CacheMissesMetric) != 1 {
			t.Errorf("hits %d, misses %d; want 9 and 1", value(CacheHitsMetric), value(CacheMissesMetric))
		}
		var samples uint64
		for _, dp := range m["db.client.operation.duration"].Data.(metricdata.Histogram[float64]).DataPoints {
			samples += dp.Count
		}
		// SET and the GET that missed: hits are no operation on the server.
		if samples != 2 {
			t.Errorf("%d duration samples, want 2", samples)
		}
		switch {
		case !hitSpans && (gets != 1 || hits != 0):
			t.Errorf("without TraceCacheHits: %d GET spans (%d marked as hits), want the miss only", gets, hits)
		case hitSpans && (gets != 10 || hits != 9):
			t.Errorf("with TraceCacheHits: %d GET spans, %d marked as hits; want 10 and 9", gets, hits)
		}
	}
}
