package instrument

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
)

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
	// The cost of db.system (the default, ConventionsAspire) is the
	// difference between tracing+metrics and this.
	b.Run("tracing+metrics-stable", func(b *testing.B) {
		tp, mp := sdkProviders(b)
		run(b, benchClient(b, false, Config{TracerProvider: tp, MeterProvider: mp, Conventions: ConventionsStable}))
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

// floorHook is the least a tracing hook can do: start and end one SDK span
// per command, with no attributes and no metrics. BenchmarkHookFloor
// compares it with this package's hook.
type floorHook struct{ tr trace.Tracer }

func (floorHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h floorHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		_, span := h.tr.Start(ctx, "GET")
		err := next(ctx, cmd)
		span.End()
		return err
	}
}
func (floorHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// BenchmarkHookFloor measures the bare SDK span (floor) next to this
// package's tracing hook, interleaved.
func BenchmarkHookFloor(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, c *redis.Client) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.Get(ctx, "key").Err()
		}
	}
	b.Run("floor", func(b *testing.B) {
		tp, _ := sdkProviders(b)
		c := redis.NewClient(testOptions("127.0.0.1:1"))
		b.Cleanup(func() { _ = c.Close() })
		c.AddHook(floorHook{tr: tp.Tracer("floor")})
		c.AddHook(stopHook{})
		run(b, c)
	})
	b.Run("tracing", func(b *testing.B) {
		tp, _ := sdkProviders(b)
		run(b, benchClient(b, false, Config{TracerProvider: tp, DisableMetrics: true}))
	})
}
