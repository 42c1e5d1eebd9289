package telemetry

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/aspirego/redis/internal/testserver"
)

// cachedMultiplexed instruments a client of srv with a client-side cache.
func cachedMultiplexed(t *testing.T, srv *testserver.Server, e *telemetryEnv, hitSpans bool) redis.UniversalClient {
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
	c, stop, err := InstrumentMultiplexed(Multiplexed{Base: base, Front: ap, Cache: cache, TraceCacheHits: hitSpans}, e.config("csc"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stop()
		_ = c.Close()
	})
	return c
}

func TestCacheTelemetry(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	for _, hitSpans := range []bool{false, true} {
		e := newEnv(t)
		c := cachedMultiplexed(t, srv, e, hitSpans)
		ctx := context.Background()
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if err := c.Get(ctx, "k").Err(); err != nil {
				t.Fatal(err)
			}
		}
		gets, hits := 0, 0
		for _, s := range e.spans.GetSpans() {
			if s.Name != "GET" {
				continue
			}
			gets++
			if attrMap(s.Attributes)[string(CacheHitKey)] == true {
				hits++
			}
		}
		m := e.metrics(t)
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
