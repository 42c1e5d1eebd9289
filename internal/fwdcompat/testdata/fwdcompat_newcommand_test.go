// Copied by internal/fwdcompat into rediscache of a scratch copy of this
// module built against go-redis with one more Cmdable command,
// FwdCompatEcho (which this file uses, so it compiles only there).

package rediscache_test

import (
	"context"
	"slices"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aspirego/redis/internal/surface"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// TestFwdCompatNewCommand: a command go-redis added after internal/surface
// was generated works through the multiplexed client (AutoPipelining), and
// is recorded at least as the plain client records it: a span under the
// caller's, with the plain client's attributes, and one duration sample.
func TestFwdCompatNewCommand(t *testing.T) {
	srv := miniredis.RunT(t)
	type recorded struct {
		name    string
		keys    []attribute.Key
		samples int
	}
	run := func(t *testing.T, multiplexed bool) recorded {
		t.Helper()
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		t.Cleanup(func() {
			_ = tp.Shutdown(context.Background())
			_ = mp.Shutdown(context.Background())
		})
		opts := []settings.Option{settings.WithConnectionString(srv.Addr() + ",setlib=false")}
		if multiplexed {
			opts = append(opts, settings.EnableAutoPipelining())
		}
		inst, err := rediscache.New("cache", rediscache.Deps{TracerProvider: tp, MeterProvider: mp}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = inst.Close() })
		if _, ok := inst.Client.(*surface.Client); ok != multiplexed {
			t.Fatalf("client %T: multiplexed wrapper %t, want %t", inst.Client, ok, multiplexed)
		}

		ctx, caller := tp.Tracer("fwdcompat").Start(context.Background(), "caller")
		v, err := inst.Client.FwdCompatEcho(ctx, "hello").Result()
		caller.End()
		if err != nil || v != "hello" {
			t.Fatalf("FwdCompatEcho = %q, %v; want hello", v, err)
		}

		var got recorded
		for _, s := range rec.Ended() {
			if s.Parent().SpanID() != caller.SpanContext().SpanID() {
				continue
			}
			if got.name != "" {
				t.Errorf("more than one span under the caller: %s and %s", got.name, s.Name())
			}
			got.name = s.Name()
			for _, kv := range s.Attributes() {
				got.keys = append(got.keys, kv.Key)
			}
		}
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "db.client.operation.duration" {
					for _, dp := range h.DataPoints {
						if op, _ := dp.Attributes.Value("db.operation.name"); op.AsString() == got.name {
							got.samples += int(dp.Count)
						}
					}
				}
			}
		}
		return got
	}
	plain, multi := run(t, false), run(t, true)
	t.Logf("plain client: %+v", plain)
	t.Logf("multiplexed client: %+v", multi)
	if plain.name == "" || plain.samples != 1 {
		t.Fatalf("the plain client recorded %+v: want a span under the caller and one duration sample (the test's assumptions are wrong)", plain)
	}
	if multi.name != plain.name || multi.samples != 1 {
		t.Errorf("multiplexed client: span %q under the caller and %d duration samples; want %q and 1, as the plain client", multi.name, multi.samples, plain.name)
	}
	for _, k := range plain.keys {
		if !slices.Contains(multi.keys, k) {
			t.Errorf("the multiplexed client's span lacks %s, which the plain client's has", k)
		}
	}
}
