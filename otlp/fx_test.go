package otlp_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/internal/otlptest"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/otlp"
	"github.com/aspirego/redis/rediscache"
)

// lockedBuffer is a bytes.Buffer for a logger and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestModule: with an endpoint, otlp.Module gives the clients the SDK's
// providers, sets the otel globals when the application starts (not when
// the graph is built), exports the graph logger's records as well as
// printing them, and flushes everything when it stops.
func TestModule(t *testing.T) {
	recv := otlptest.Start(t, otlptest.Options{APIKey: "k"})
	mr := miniredis.RunT(t)
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", mr.Addr()+",setlib=false")
	// A server that is gone: go-redis logs its failed dials.
	dead := miniredis.RunT(t)
	deadAddr := dead.Addr()
	dead.Close()
	t.Setenv("ConnectionStrings__dead", deadAddr+",setlib=false,connectRetry=1,connectTimeout=200")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.Endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-otlp-api-key=k")
	t.Setenv("OTEL_SERVICE_NAME", "fx-svc")
	t.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	})
	otel.SetTracerProvider(tracenoop.NewTracerProvider())
	before := otel.GetTracerProvider()

	var local lockedBuffer
	var got struct {
		fx.In
		Providers *otlp.Providers
		Tracer    trace.TracerProvider
		Client    redis.UniversalClient
		Dead      redis.UniversalClient `name:"dead"`
		Logger    *slog.Logger
	}
	app := fxtest.New(t,
		fx.NopLogger,
		fx.Supply(slog.New(slog.NewTextHandler(&local, nil))),
		fxmodule.Module,
		otlp.Module,
		fx.Provide(rediscache.Client("cache"), keyed.Client("dead")),
		fx.Populate(&got),
	)
	if got.Providers == nil || got.Tracer != trace.TracerProvider(got.Providers.TracerProvider) {
		t.Fatalf("providers %+v, tracer provider %T", got.Providers, got.Tracer)
	}
	if otel.GetTracerProvider() != before {
		t.Error("otel globals set while building the graph")
	}
	app.RequireStart()
	if otel.GetTracerProvider() != trace.TracerProvider(got.Providers.TracerProvider) {
		t.Error("otel globals not set on start")
	}
	ctx, span := otel.Tracer("test").Start(context.Background(), "request")
	_ = got.Client.Get(ctx, "k").Err()
	got.Logger.InfoContext(ctx, "handled", slog.String("k", "v"))
	_ = got.Dead.Get(ctx, "k").Err()
	span.End()
	app.RequireStop() // flushes

	var get, req bool
	for _, s := range recv.Spans() {
		get = get || s.Name == "GET" && s.Attrs["db.system"] == "redis"
		req = req || s.Name == "request"
	}
	if !get || !req {
		t.Errorf("spans received: GET %v, request %v", get, req)
	}
	var logged bool
	for _, l := range recv.Logs() {
		if l.Body() == "handled" && len(l.TraceId) > 0 && l.Resource["service.name"] == "fx-svc" {
			logged = true
		}
	}
	if !logged {
		t.Errorf("log record not exported: %d records", len(recv.Logs()))
	}
	var lifecycle, goRedis bool
	for _, l := range recv.Logs() {
		lifecycle = lifecycle || l.Body() == "redis client built" && l.Attrs["redis.client"] == "cache"
		goRedis = goRedis || l.Attrs["logger"] == "go-redis"
	}
	if !lifecycle || !goRedis {
		t.Errorf("exported: this module's lifecycle line %v, a go-redis line %v\n%s", lifecycle, goRedis, local.String())
	}
	if !bytes.Contains([]byte(local.String()), []byte("handled")) {
		t.Errorf("log line not printed locally: %q", local.String())
	}
	if !recv.MetricNames()["db.client.operation.duration"] {
		t.Errorf("metrics received: %v", recv.MetricNames())
	}
}

// TestModuleNoEndpoint: without an endpoint nothing is built or set, and the
// graph's logger is the one supplied.
func TestModuleNoEndpoint(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "")
	logger := slog.New(slog.DiscardHandler)
	var got struct {
		fx.In
		Providers *otlp.Providers
		Logger    *slog.Logger
		Tracer    trace.TracerProvider
	}
	app := fxtest.New(t, fx.NopLogger, fx.Supply(logger), otlp.Module, fx.Populate(&got))
	app.RequireStart().RequireStop()
	if got.Providers != nil || got.Logger != logger || got.Tracer != otel.GetTracerProvider() {
		t.Errorf("providers %+v, logger changed %v, tracer %T", got.Providers, got.Logger != logger, got.Tracer)
	}
}

// TestModuleBadEnv: a variable Module cannot use fails the graph with an
// error that wraps ErrConfig and names the variable, before anything
// starts.
func TestModuleBadEnv(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	app := fx.New(fx.NopLogger, otlp.Module, fx.Invoke(func(*otlp.Providers) {}))
	err := app.Err()
	if !errors.Is(err, otlp.ErrConfig) || !strings.Contains(err.Error(), `OTEL_EXPORTER_OTLP_PROTOCOL="http/json"`) {
		t.Fatalf("fx.New: %v, want otlp.ErrConfig naming OTEL_EXPORTER_OTLP_PROTOCOL", err)
	}
}
