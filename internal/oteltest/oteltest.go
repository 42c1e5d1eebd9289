package oteltest

import (
	"context"
	"net"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Env is an SDK tracer and meter provider recording into memory.
type Env struct {
	Spans  *tracetest.InMemoryExporter
	TP     *sdktrace.TracerProvider
	Reader *sdkmetric.ManualReader
	MP     *sdkmetric.MeterProvider
}

// NewEnv returns an Env shut down when the test ends.
func NewEnv(t testing.TB) *Env {
	t.Helper()
	e := &Env{Spans: tracetest.NewInMemoryExporter(), Reader: sdkmetric.NewManualReader()}
	e.TP = sdktrace.NewTracerProvider(sdktrace.WithSyncer(e.Spans), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	e.MP = sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.Reader))
	t.Cleanup(func() {
		_ = e.TP.Shutdown(context.Background())
		_ = e.MP.Shutdown(context.Background())
	})
	return e
}

// Metrics collects and returns the metrics by name.
func (e *Env) Metrics(t testing.TB) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.Reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect: %v", err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// Options are go-redis options for addr that miniredis accepts.
func Options(addr string) *redis.Options {
	return &redis.Options{
		Addr:                     addr,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
}

// NewMini starts a miniredis server and a client for it.
func NewMini(t testing.TB) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	c := redis.NewClient(Options(mr.Addr()))
	t.Cleanup(func() { _ = c.Close() })
	return mr, c
}

// AttrMap turns attributes into a map of their emitted values.
func AttrMap(kvs []attribute.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

// HostPort splits addr, failing the test on error.
func HostPort(t testing.TB, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := net.LookupPort("tcp", p)
	if err != nil {
		t.Fatal(err)
	}
	return h, port
}

// StopHook ends every command before it reaches the network, so that
// benchmarks and allocation tests measure the hooks alone.
type StopHook struct{}

// DialHook passes.
func (StopHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook ends every command.
func (StopHook) ProcessHook(redis.ProcessHook) redis.ProcessHook {
	return func(context.Context, redis.Cmder) error { return nil }
}

// ProcessPipelineHook ends every pipeline.
func (StopHook) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(context.Context, []redis.Cmder) error { return nil }
}

// SpanNamed returns the only span called name.
func SpanNamed(t testing.TB, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
		if s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one span %q, got %d among %q", name, len(found), names)
	}
	return found[0]
}

// SpanPort returns the server.port of a span.
func SpanPort(s tracetest.SpanStub) int64 {
	p, _ := AttrMap(s.Attributes)["server.port"].(int64)
	return p
}

// Discard is a span exporter that drops everything.
type Discard struct{}

// ExportSpans drops spans.
func (Discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }

// Shutdown does nothing.
func (Discard) Shutdown(context.Context) error { return nil }

// SDKProviders returns SDK providers for benchmarks: every span sampled
// and dropped by a batch processor, metrics kept for a manual reader.
func SDKProviders(b *testing.B) (*sdktrace.TracerProvider, *sdkmetric.MeterProvider) {
	b.Helper()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithBatcher(Discard{}),
	)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return tp, mp
}

// StoppedGetAllocs returns the allocations of one GET on a client whose
// commands never reach the network, set up by install when not nil.
func StoppedGetAllocs(t *testing.T, install func(*redis.Client) (stop func() error, err error)) float64 {
	t.Helper()
	c := redis.NewClient(Options("127.0.0.1:1"))
	defer c.Close()
	if install != nil {
		stop, err := install(c)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
	}
	c.AddHook(StopHook{})
	return GetAllocs(c)
}

// GetAllocs returns the allocations of one GET on c, after a first one
// that warms its caches.
func GetAllocs(c redis.UniversalClient) float64 {
	ctx := context.Background()
	_ = c.Get(ctx, "k").Err()
	return testing.AllocsPerRun(1000, func() { _ = c.Get(ctx, "k").Err() })
}
