package telemetry

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// discard is a span exporter that drops everything.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// benchClient returns a client whose commands never reach the network,
// instrumented with cfg unless raw.
func benchClient(b *testing.B, raw bool, cfg Config) *redis.Client {
	b.Helper()
	c := redis.NewClient(testOptions("127.0.0.1:1"))
	b.Cleanup(func() { _ = c.Close() })
	if !raw {
		stop, err := Instrument(c, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = stop() })
	}
	c.AddHook(stopHook{})
	return c
}

func sdkProviders(b *testing.B) (*sdktrace.TracerProvider, *sdkmetric.MeterProvider) {
	b.Helper()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(discard{}),
	)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return tp, mp
}

// BenchmarkHook measures one GET through the hooks, stopped before the
// network, against the same client without hooks.
func BenchmarkHook(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, c *redis.Client) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.Get(ctx, "key").Err()
		}
	}
	b.Run("raw", func(b *testing.B) { run(b, benchClient(b, true, Config{})) })
	b.Run("disabled", func(b *testing.B) {
		run(b, benchClient(b, false, Config{DisableTracing: true, DisableMetrics: true}))
	})
	b.Run("no-sdk", func(b *testing.B) { run(b, benchClient(b, false, Config{})) })
	b.Run("metrics", func(b *testing.B) {
		_, mp := sdkProviders(b)
		run(b, benchClient(b, false, Config{MeterProvider: mp, DisableTracing: true}))
	})
	b.Run("tracing", func(b *testing.B) {
		tp, _ := sdkProviders(b)
		run(b, benchClient(b, false, Config{TracerProvider: tp, DisableMetrics: true}))
	})
	b.Run("tracing+metrics", func(b *testing.B) {
		tp, mp := sdkProviders(b)
		run(b, benchClient(b, false, Config{TracerProvider: tp, MeterProvider: mp}))
	})
	b.Run("redisotel", func(b *testing.B) {
		tp, mp := sdkProviders(b)
		run(b, benchClient(b, false, Config{TracerProvider: tp, MeterProvider: mp, Redisotel: true}))
	})
}

// BenchmarkHookPipeline measures a pipeline of 16 GETs.
func BenchmarkHookPipeline(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, c *redis.Client) {
		b.ReportAllocs()
		for b.Loop() {
			p := c.Pipeline()
			for range 16 {
				p.Get(ctx, "key")
			}
			_, _ = p.Exec(ctx)
		}
	}
	b.Run("raw", func(b *testing.B) { run(b, benchClient(b, true, Config{})) })
	b.Run("tracing+metrics", func(b *testing.B) {
		tp, mp := sdkProviders(b)
		run(b, benchClient(b, false, Config{TracerProvider: tp, MeterProvider: mp}))
	})
}
