package multiplex

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/oteltest"
)

// BenchmarkMultiplexed measures one GET through the multiplexed client's
// observer (Instrument), stopped before the network.
func BenchmarkMultiplexed(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, cfg instrument.Config) {
		base := redis.NewClient(testOptions("127.0.0.1:1"))
		b.Cleanup(func() { _ = base.Close() })
		base.AddHook(stopHook{})
		c, stop, err := Instrument(Multiplexed{Base: base, Front: base}, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = stop() })
		var _ redis.UniversalClient = c
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			_ = c.Get(ctx, "key").Err()
		}
	}
	b.Run("off", func(b *testing.B) {
		run(b, instrument.Config{DisableTracing: true, DisableMetrics: true})
	})
	b.Run("metrics", func(b *testing.B) {
		_, mp := sdkProviders(b)
		run(b, instrument.Config{MeterProvider: mp, DisableTracing: true})
	})
	b.Run("tracing+metrics", func(b *testing.B) {
		tp, mp := sdkProviders(b)
		run(b, instrument.Config{TracerProvider: tp, MeterProvider: mp})
	})
}

// TestMultiplexedAllocations bounds what the multiplexed client's observer
// allocates per command, stopped before the network, over the same client
// with telemetry disabled: with metrics, the opCtx; with tracing, as much
// as Instrument's hook on a plain client, and the opCtx and the span's
// timestamp option.
func TestMultiplexedAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	env := newEnv(t)
	multiplexed := func(cfg instrument.Config) float64 {
		base := redis.NewClient(testOptions("127.0.0.1:1"))
		c, stop, err := Instrument(Multiplexed{Base: base, Front: base}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close(); _ = stop() }()
		base.AddHook(stopHook{})
		return getAllocs(c)
	}
	plain := func(cfg *instrument.Config) float64 {
		if cfg == nil {
			return oteltest.StoppedGetAllocs(t, nil)
		}
		return oteltest.StoppedGetAllocs(t, func(c *redis.Client) (func() error, error) { return instrument.Instrument(c, *cfg) })
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discard{}))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	traced := instrument.Config{TracerProvider: tp, MeterProvider: env.MP}

	off := multiplexed(instrument.Config{DisableTracing: true, DisableMetrics: true})
	if got := multiplexed(instrument.Config{MeterProvider: env.MP, DisableTracing: true}); got-off > 1 {
		t.Errorf("metrics only: %v extra allocs per command, want <= 1", got-off)
	}
	hook := plain(&traced) - plain(nil)
	if got := multiplexed(traced); got-off > hook+2 {
		t.Errorf("tracing+metrics: %v extra allocs per command, want <= %v (Instrument's hook) + 2", got-off, hook)
	}
}

// TestObserverSpanStart checks the span the observer starts for a command,
// whether Begin saw the tracer (tracedOpCtx, the options held in the
// context) or not (an opCtx: the tracer became active after Begin).
func TestObserverSpanStart(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		ctx  func(*observer) context.Context
	}{
		{"begin", func(o *observer) context.Context {
			ctx := o.Begin(context.Background())
			if _, ok := ctx.(*tracedOpCtx); !ok {
				t.Fatalf("Begin with a tracer: %T, want *tracedOpCtx", ctx)
			}
			asOpCtx(ctx).start = start
			return ctx
		}},
		{"tracer after begin", func(*observer) context.Context {
			return &opCtx{Context: context.Background(), start: start}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			in, _, err := instrument.New(configOf(env, "obs"))
			if err != nil {
				t.Fatal(err)
			}
			o := &observer{in: in, fixed: in.NewEndpoint("127.0.0.1:6379", 0)}
			ctx := tc.ctx(o)
			o.End(ctx, redis.NewStringCmd(ctx, "get", "k"))
			spans := env.Spans.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Name != "GET" || s.SpanKind != trace.SpanKindClient || !s.StartTime.Equal(start) {
				t.Errorf("span %q kind %v start %v; want GET, client, %v", s.Name, s.SpanKind, s.StartTime, start)
			}
		})
	}
}
