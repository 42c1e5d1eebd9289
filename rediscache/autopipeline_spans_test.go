package rediscache_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// TestAutoPipeliningRecordsEachCommandOnce: a client built by rediscache
// with AutoPipelining records every command once, as its own span and
// duration sample, and never the auto-pipeliner's batch as well, although
// the client's command-timeout hook wraps contexts (the batch's
// context.Background() must still be recognised).
func TestAutoPipeliningRecordsEachCommandOnce(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	rec, tp, reader, mp := sdkRecorders(t)
	logger, _ := newLogger()
	inst, err := rediscache.New("cache", rediscache.Deps{
		Config:         config(t, map[string]any{"ConnectionStrings:cache": srv.Addr}),
		TracerProvider: tp,
		MeterProvider:  mp,
		Logger:         logger,
	}, settings.EnableAutoPipelining())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })

	ctx := context.Background()
	if err := inst.Client.Set(ctx, "once", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := inst.Client.Get(ctx, "once").Err(); err != nil {
			t.Fatal(err)
		}
	}
	spans := map[string]int{}
	for _, s := range rec.Ended() {
		spans[s.Name()]++
	}
	if spans["SET"] != 1 || spans["GET"] != 3 || spans["PIPELINE"] != 0 {
		t.Errorf("spans by name %v, want SET 1, GET 3 and no PIPELINE", spans)
	}
	samples := durationSamples(t, reader)
	if samples["SET"] != 1 || samples["GET"] != 3 || samples["PIPELINE"] != 0 {
		t.Errorf("duration samples by operation %v, want SET 1, GET 3 and no PIPELINE", samples)
	}
}

// sdkRecorders returns SDK tracer and meter providers that keep what they
// record, shut down when the test ends.
func sdkRecorders(t *testing.T) (*tracetest.SpanRecorder, *sdktrace.TracerProvider, *sdkmetric.ManualReader, *sdkmetric.MeterProvider) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return rec, tp, reader, mp
}

// durationSamples counts the db.client.operation.duration samples reader
// holds, by db.operation.name.
func durationSamples(t *testing.T, reader *sdkmetric.ManualReader) map[string]uint64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	samples := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			h, ok := m.Data.(metricdata.Histogram[float64])
			if m.Name != "db.client.operation.duration" || !ok {
				continue
			}
			for _, dp := range h.DataPoints {
				v, _ := dp.Attributes.Value("db.operation.name")
				samples[v.AsString()] += dp.Count
			}
		}
	}
	return samples
}
