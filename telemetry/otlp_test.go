package telemetry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// receiver collects what an OTLP exporter sends.
type receiver struct {
	mu      sync.Mutex
	traces  []*coltracepb.ExportTraceServiceRequest
	metrics []*colmetricpb.ExportMetricsServiceRequest
	apiKeys []string
}

func (r *receiver) addKey(k string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.apiKeys = append(r.apiKeys, k)
}

// spans returns every received span with its resource attributes.
func (r *receiver) spans() (spans []*tracepb.Span, resources [][]*commonpb.KeyValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, req := range r.traces {
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					spans = append(spans, s)
					resources = append(resources, rs.GetResource().GetAttributes())
				}
			}
		}
	}
	return spans, resources
}

func (r *receiver) metricNames() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := map[string]bool{}
	for _, req := range r.metrics {
		for _, rm := range req.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					names[m.Name] = true
				}
			}
		}
	}
	return names
}

// ServeHTTP is an OTLP/HTTP (protobuf) receiver.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.addKey(req.Header.Get("x-otlp-api-key"))
	var resp proto.Message
	switch req.URL.Path {
	case "/v1/traces":
		m := &coltracepb.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(body, m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.traces = append(r.traces, m)
		r.mu.Unlock()
		resp = &coltracepb.ExportTraceServiceResponse{}
	case "/v1/metrics":
		m := &colmetricpb.ExportMetricsServiceRequest{}
		if err := proto.Unmarshal(body, m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.metrics = append(r.metrics, m)
		r.mu.Unlock()
		resp = &colmetricpb.ExportMetricsServiceResponse{}
	default:
		http.NotFound(w, req)
		return
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// grpcReceiver is an OTLP/gRPC receiver.
type grpcReceiver struct {
	*receiver
	coltracepb.UnimplementedTraceServiceServer
}

func (g grpcReceiver) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("x-otlp-api-key"); len(v) > 0 {
		g.addKey(v[0])
	} else {
		g.addKey("")
	}
	g.mu.Lock()
	g.traces = append(g.traces, req)
	g.mu.Unlock()
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

type grpcMetrics struct {
	*receiver
	colmetricpb.UnimplementedMetricsServiceServer
}

func (g grpcMetrics) Export(_ context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	g.mu.Lock()
	g.metrics = append(g.metrics, req)
	g.mu.Unlock()
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

// startReceiver starts a receiver for protocol on loopback and returns it
// with its endpoint URL.
func startReceiver(t *testing.T, protocol string) (*receiver, string) {
	t.Helper()
	r := &receiver{}
	if protocol == "http/protobuf" {
		srv := httptest.NewServer(r)
		t.Cleanup(srv.Close)
		return r, srv.URL
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(s, grpcReceiver{receiver: r})
	colmetricpb.RegisterMetricsServiceServer(s, grpcMetrics{receiver: r})
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ln) }()
	t.Cleanup(func() { s.Stop(); <-done })
	return r, "http://" + ln.Addr().String()
}

func kvString(kvs []*commonpb.KeyValue) map[string]any {
	m := map[string]any{}
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.Key] = v.IntValue
		}
	}
	return m
}

// TestOTLPEndToEnd sends a GET through a client instrumented with
// providers built from the environment an Aspire AppHost sets, to an
// in-process OTLP receiver, over both protocols.
func TestOTLPEndToEnd(t *testing.T) {
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(protocol, func(t *testing.T) {
			recv, endpoint := startReceiver(t, protocol)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
			t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-otlp-api-key=k3y")
			t.Setenv("OTEL_SERVICE_NAME", "orders")
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=abc123")
			t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
			t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
			t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "50")

			ctx := context.Background()
			p, err := NewOTLPProviders(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if p == nil || p.TracerProvider == nil || p.MeterProvider == nil {
				t.Fatalf("providers %+v", p)
			}
			mr, c := newMini(t)
			instrument(t, c, Config{Name: "cache", TracerProvider: p.TracerProvider, MeterProvider: p.MeterProvider})
			_ = c.Get(ctx, "k").Err()

			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := p.Shutdown(sctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			spans, resources := recv.spans()
			if len(spans) != 1 || spans[0].Name != "GET" {
				t.Fatalf("received %d spans: %v", len(spans), spans)
			}
			host, port := hostPort(t, mr.Addr())
			got := kvString(spans[0].Attributes)
			want := map[string]any{
				"db.system.name": "redis", "db.operation.name": "GET", "db.namespace": "0",
				"server.address": host, "server.port": int64(port),
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if spans[0].Kind != tracepb.Span_SPAN_KIND_CLIENT {
				t.Errorf("kind %v", spans[0].Kind)
			}
			res := kvString(resources[0])
			if res["service.name"] != "orders" || res["service.instance.id"] != "abc123" {
				t.Errorf("resource %v", res)
			}
			recv.mu.Lock()
			keys := append([]string(nil), recv.apiKeys...)
			recv.mu.Unlock()
			if len(keys) == 0 || keys[0] != "k3y" {
				t.Errorf("x-otlp-api-key headers %q", keys)
			}
			names := recv.metricNames()
			for _, n := range []string{"db.client.operation.duration", "db.client.connection.count"} {
				if !names[n] {
					t.Errorf("metric %s not received (got %v)", n, names)
				}
			}
		})
	}
}

func TestOTLPDisabled(t *testing.T) {
	for _, env := range []map[string]string{
		{},
		{"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
		{"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
	} {
		clearOTELEnv(t)
		for k, v := range env {
			t.Setenv(k, v)
		}
		p, err := NewOTLPProviders(context.Background())
		if p != nil || err != nil {
			t.Errorf("%v: %+v, %v; want nil, nil", env, p, err)
		}
		if err := p.Shutdown(context.Background()); err != nil {
			t.Errorf("nil Shutdown: %v", err)
		}
		p.SetGlobal()
	}
}

func TestOTLPPerSignal(t *testing.T) {
	clearOTELEnv(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	p, err := NewOTLPProviders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	if p.TracerProvider == nil || p.MeterProvider != nil {
		t.Errorf("providers %+v: want traces only", p)
	}
}

func TestOTLPErrors(t *testing.T) {
	for _, env := range []map[string]string{
		{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"},
		{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "thrift"},
		{"OTEL_TRACES_EXPORTER": "zipkin"},
	} {
		clearOTELEnv(t)
		t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
		for k, v := range env {
			t.Setenv(k, v)
		}
		p, err := NewOTLPProviders(context.Background())
		if !errors.Is(err, ErrOTLPConfig) || p != nil {
			t.Errorf("%v: %+v, %v; want ErrOTLPConfig", env, p, err)
		}
	}
}

func clearOTELEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER",
	} {
		t.Setenv(k, "")
	}
}
