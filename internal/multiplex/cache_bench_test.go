package multiplex

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/testserver"
)

// BenchmarkCachedRead measures a GET the client-side cache serves through
// Instrument, with a hook wrapping the command's context as
// rediscache's command timeout does.
func BenchmarkCachedRead(b *testing.B) {
	srv := testserver.Start(b, testserver.Options{})
	for _, bc := range []struct {
		name             string
		tracing, metrics bool
		hitSpans         bool
	}{
		{"off", false, false, false},
		{"metrics", false, true, false},
		{"tracing+metrics", true, true, false},
		{"hit-spans", true, true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tp, mp := sdkProviders(b)
			cfg := instrument.Config{Name: "bench", DisableTracing: !bc.tracing, DisableMetrics: !bc.metrics}
			if bc.tracing {
				cfg.TracerProvider = tp
			}
			if bc.metrics {
				cfg.MeterProvider = mp
			}
			cache := NewCache(100, 0)
			base := redis.NewClient(&redis.Options{
				Addr: srv.Addr, Protocol: 3, ClientSideCache: cache, DisableIdentity: true,
				MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
			})
			c, stop, err := Instrument(Multiplexed{Base: base, Front: base, Cache: cache, TraceCacheHits: bc.hitSpans}, cfg)
			if err != nil {
				b.Fatal(err)
			}
			base.AddHook(wrapHook{})
			b.Cleanup(func() {
				_ = stop()
				_ = c.Close()
				_ = base.Close()
			})
			ctx := context.Background()
			if err := c.Set(ctx, "hot", "v", 0).Err(); err != nil {
				b.Fatal(err)
			}
			_ = c.Get(ctx, "hot").Err()
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Get(ctx, "hot").Err(); err != nil {
					b.Fatal(err)
				}
			}
			if hits := cache.Stats().Hits; hits < uint64(b.N) {
				b.Fatalf("%d cache hits of %d reads", hits, b.N)
			}
		})
	}
}
