package otlp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/otlptest"
	"github.com/aspirego/redis/telemetry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// aspireEnv sets the variables an Aspire AppHost injects for the
// dashboard's OTLP endpoint, with short export intervals.
func aspireEnv(t *testing.T, r *otlptest.Receiver, protocol string) {
	t.Helper()
	clearOTELEnv(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", r.Endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", otlptest.APIKeyHeader+"=k3y")
	t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", r.CertFile)
	t.Setenv("OTEL_SERVICE_NAME", "orders")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=abc123")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
	t.Setenv("OTEL_BLRP_SCHEDULE_DELAY", "50")
	t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "50")
}

// TestNew sends a traced GET and a log line inside the trace through
// providers built from the environment an Aspire AppHost sets, to an https
// receiver that requires the API key, over both protocols.
func TestNew(t *testing.T) {
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(protocol, func(t *testing.T) {
			recv := otlptest.Start(t, otlptest.Options{Protocol: protocol, TLS: true, APIKey: "k3y"})
			aspireEnv(t, recv, protocol)
			ctx := context.Background()
			p, err := New(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if p == nil || p.TracerProvider == nil || p.MeterProvider == nil || p.LoggerProvider == nil {
				t.Fatalf("providers %+v", p)
			}
			mr := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: mr.Addr(), DisableIdentity: true,
				MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
			t.Cleanup(func() { _ = c.Close() })
			stop, err := telemetry.Instrument(c, telemetry.Config{Name: "cache", TracerProvider: p.TracerProvider, MeterProvider: p.MeterProvider})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = stop() })

			var local bytes.Buffer
			logger := p.Logger(slog.New(slog.NewTextHandler(&local, nil)))
			rctx, req := p.TracerProvider.Tracer("test").Start(ctx, "GET /orders/{id}")
			_ = c.Get(rctx, "k").Err()
			logger.InfoContext(rctx, "order loaded", slog.String("order", "42"))
			req.End()

			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := p.Shutdown(sctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			var get *otlptest.Span
			for _, s := range recv.Spans() {
				if s.Name == "GET" {
					get = &s
				}
			}
			if get == nil {
				t.Fatalf("no GET span among %d", len(recv.Spans()))
			}
			if get.Attrs["db.system"] != "redis" || get.Attrs["db.system.name"] != "redis" {
				t.Errorf("GET attributes %v", get.Attrs)
			}
			if get.Resource["service.name"] != "orders" || get.Resource["service.instance.id"] != "abc123" {
				t.Errorf("resource %v", get.Resource)
			}
			if get.Scope.GetName() != telemetry.ScopeName || get.Scope.GetVersion() != instrument.Version() {
				t.Errorf("scope %v", get.Scope)
			}
			names := recv.MetricNames()
			for _, n := range []string{"db.client.operation.duration", "db.client.connection.count"} {
				if !names[n] {
					t.Errorf("metric %s not received (got %v)", n, names)
				}
			}
			var found bool
			for _, l := range recv.Logs() {
				if l.Body() != "order loaded" {
					continue
				}
				found = true
				if !bytes.Equal(l.TraceId, get.TraceId) || !bytes.Equal(l.SpanId, get.ParentSpanId) {
					t.Errorf("log record trace %x span %x, want the request's %x %x", l.TraceId, l.SpanId, get.TraceId, get.ParentSpanId)
				}
				if l.Attrs["order"] != "42" || l.Resource["service.name"] != "orders" || l.Scope.GetName() != LogScope {
					t.Errorf("log record attributes %v, resource %v, scope %v", l.Attrs, l.Resource, l.Scope)
				}
			}
			if !found {
				t.Errorf("log record not received (got %d records)", len(recv.Logs()))
			}
			if !bytes.Contains(local.Bytes(), []byte("order loaded")) {
				t.Errorf("log line not printed locally: %q", local.String())
			}
			if recv.Rejected() != 0 {
				t.Errorf("%d requests rejected", recv.Rejected())
			}
		})
	}
}

// TestWrongAPIKey: a receiver that rejects the key gets nothing, and
// Shutdown reports the failure.
func TestWrongAPIKey(t *testing.T) {
	recv := otlptest.Start(t, otlptest.Options{APIKey: "right"})
	aspireEnv(t, recv, "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "")
	p, err := New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, s := p.TracerProvider.Tracer("test").Start(context.Background(), "x")
	s.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err == nil {
		t.Error("Shutdown: no error although the receiver refused the export")
	}
	if len(recv.Spans()) != 0 || recv.Rejected() == 0 {
		t.Errorf("spans %d, rejected %d", len(recv.Spans()), recv.Rejected())
	}
}

func TestDisabled(t *testing.T) {
	for _, env := range []map[string]string{
		{},
		{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
		{"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
	} {
		clearOTELEnv(t)
		for k, v := range env {
			t.Setenv(k, v)
		}
		p, err := New(context.Background())
		if p != nil || err != nil {
			t.Errorf("%v: %+v, %v; want nil, nil", env, p, err)
		}
		if err := p.Shutdown(context.Background()); err != nil {
			t.Errorf("nil Shutdown: %v", err)
		}
		p.SetGlobal()
		h := slog.NewTextHandler(&bytes.Buffer{}, nil)
		if p.handler(h) != slog.Handler(h) {
			t.Error("nil Providers: Handler wraps")
		}
	}
}

func TestPerSignal(t *testing.T) {
	for _, tc := range []struct {
		env                   map[string]string
		traces, metrics, logs bool
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_METRICS_EXPORTER": "none"}, true, false, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_LOGS_EXPORTER": "none"}, true, true, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://127.0.0.1:4318"}, false, false, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "console"}, true, false, false}, // console needs no endpoint
	} {
		clearOTELEnv(t)
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		p, err := New(context.Background())
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if (p.TracerProvider != nil) != tc.traces || (p.MeterProvider != nil) != tc.metrics || (p.LoggerProvider != nil) != tc.logs {
			t.Errorf("%v: providers %+v", tc.env, p)
		}
		_ = p.Shutdown(context.Background())
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, `OTEL_EXPORTER_OTLP_PROTOCOL="http/json"`},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "thrift"}, `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="thrift"`},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, `OTEL_TRACES_EXPORTER="zipkin"`},
		{map[string]string{"OTEL_LOGS_EXPORTER": "syslog"}, `OTEL_LOGS_EXPORTER="syslog"`},
	} {
		clearOTELEnv(t)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		p, err := New(context.Background())
		if !errors.Is(err, ErrConfig) || p != nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%v: %+v, %v; want ErrConfig naming %s", tc.env, p, err, tc.want)
		}
	}
}

// TestSetGlobal: SetGlobal installs all three providers.
func TestSetGlobal(t *testing.T) {
	clearOTELEnv(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	p, err := New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
		_ = p.Shutdown(context.Background())
	})
	p.SetGlobal()
	if otel.GetTracerProvider() != p.TracerProvider || otel.GetMeterProvider() != p.MeterProvider || otel.GetLoggerProvider() != p.LoggerProvider {
		t.Error("globals not set")
	}
}

func clearOTELEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
		"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER", "OTEL_EXPORTER_OTLP_CERTIFICATE",
		"OTEL_EXPORTER_OTLP_HEADERS",
	} {
		t.Setenv(k, "")
	}
}

// slogsOwn is slog's own default handler: nothing has called
// slog.SetDefault yet when the package's variables are initialised.
var slogsOwn = slog.Default().Handler()

// TestIsSlogDefault holds the name of slog's own default handler, which
// console replaces, to the Go release in use.
func TestIsSlogDefault(t *testing.T) {
	if !isSlogDefault(slogsOwn) || !isSlogDefault(slogsOwn.WithAttrs([]slog.Attr{slog.Int("a", 1)})) {
		t.Errorf("slog's own default handler %T is not recognised", slogsOwn)
	}
	if isSlogDefault(slog.NewTextHandler(&bytes.Buffer{}, nil)) || isSlogDefault(slog.DiscardHandler) {
		t.Error("another handler is taken for slog's own default")
	}
}
