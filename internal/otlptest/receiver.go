package otlptest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetric "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// APIKeyHeader is the header the Aspire dashboard's OTLP endpoint requires
// (OTEL_EXPORTER_OTLP_HEADERS=x-otlp-api-key=...).
const APIKeyHeader = "x-otlp-api-key"

// Options configure a Receiver.
type Options struct {
	// Protocol is "grpc" or "http/protobuf" (the default).
	Protocol string
	// TLS serves https with a self-signed certificate for 127.0.0.1 and
	// localhost, written to Receiver.CertFile.
	TLS bool
	// APIKey, when set, makes the receiver reject requests whose
	// x-otlp-api-key header differs (401, or gRPC Unauthenticated).
	APIKey string
}

// Receiver is a running OTLP endpoint.
type Receiver struct {
	// Endpoint is the value for OTEL_EXPORTER_OTLP_ENDPOINT.
	Endpoint string
	// CertFile is the PEM certificate of a TLS receiver (self-signed: it is
	// its own CA), for OTEL_EXPORTER_OTLP_CERTIFICATE or SSL_CERT_DIR.
	CertFile string
	// CertPEM is the content of CertFile.
	CertPEM []byte

	opts     Options
	mu       sync.Mutex
	traces   []*coltrace.ExportTraceServiceRequest
	metrics  []*colmetric.ExportMetricsServiceRequest
	logs     []*collogs.ExportLogsServiceRequest
	rejected int
}

// Start starts a receiver on loopback and stops it when the test ends.
func Start(t testing.TB, opts Options) *Receiver {
	t.Helper()
	r := &Receiver{opts: opts}
	var tlsCfg *tls.Config
	if opts.TLS {
		cert, certPEM, err := selfSigned()
		if err != nil {
			t.Fatalf("otlptest: certificate: %v", err)
		}
		r.CertPEM = certPEM
		r.CertFile = filepath.Join(t.TempDir(), "otlp-cert.pem")
		if err := os.WriteFile(r.CertFile, certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("otlptest: %v", err)
	}
	scheme := "http://"
	if opts.TLS {
		scheme = "https://"
	}
	r.Endpoint = scheme + ln.Addr().String()

	if opts.Protocol == "grpc" {
		var so []grpc.ServerOption
		if tlsCfg != nil {
			so = append(so, grpc.Creds(credentials.NewTLS(tlsCfg)))
		}
		s := grpc.NewServer(so...)
		coltrace.RegisterTraceServiceServer(s, grpcTraces{r: r})
		colmetric.RegisterMetricsServiceServer(s, grpcMetrics{r: r})
		collogs.RegisterLogsServiceServer(s, grpcLogs{r: r})
		done := make(chan struct{})
		go func() { defer close(done); _ = s.Serve(ln) }()
		t.Cleanup(func() { s.Stop(); <-done })
		return r
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return r
}

// authorised checks the API key and counts rejections.
func (r *Receiver) authorised(key string) bool {
	if r.opts.APIKey == "" || key == r.opts.APIKey {
		return true
	}
	r.mu.Lock()
	r.rejected++
	r.mu.Unlock()
	return false
}

// Rejected is the number of requests refused for a wrong or missing key.
func (r *Receiver) Rejected() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rejected
}

// ServeHTTP implements OTLP/HTTP with protobuf bodies.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !r.authorised(req.Header.Get(APIKeyHeader)) {
		http.Error(w, "missing or wrong "+APIKeyHeader, http.StatusUnauthorized)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var resp proto.Message
	switch req.URL.Path {
	case "/v1/traces":
		m := &coltrace.ExportTraceServiceRequest{}
		if err = proto.Unmarshal(b, m); err == nil {
			r.add(func() { r.traces = append(r.traces, m) })
		}
		resp = &coltrace.ExportTraceServiceResponse{}
	case "/v1/metrics":
		m := &colmetric.ExportMetricsServiceRequest{}
		if err = proto.Unmarshal(b, m); err == nil {
			r.add(func() { r.metrics = append(r.metrics, m) })
		}
		resp = &colmetric.ExportMetricsServiceResponse{}
	case "/v1/logs":
		m := &collogs.ExportLogsServiceRequest{}
		if err = proto.Unmarshal(b, m); err == nil {
			r.add(func() { r.logs = append(r.logs, m) })
		}
		resp = &collogs.ExportLogsServiceResponse{}
	default:
		http.NotFound(w, req)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *Receiver) add(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}

func (r *Receiver) grpcAuth(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	var key string
	if v := md.Get(APIKeyHeader); len(v) > 0 {
		key = v[0]
	}
	if !r.authorised(key) {
		return status.Error(codes.Unauthenticated, "missing or wrong "+APIKeyHeader)
	}
	return nil
}

type grpcTraces struct {
	coltrace.UnimplementedTraceServiceServer
	r *Receiver
}

func (g grpcTraces) Export(ctx context.Context, m *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	if err := g.r.grpcAuth(ctx); err != nil {
		return nil, err
	}
	g.r.add(func() { g.r.traces = append(g.r.traces, m) })
	return &coltrace.ExportTraceServiceResponse{}, nil
}

type grpcMetrics struct {
	colmetric.UnimplementedMetricsServiceServer
	r *Receiver
}

func (g grpcMetrics) Export(ctx context.Context, m *colmetric.ExportMetricsServiceRequest) (*colmetric.ExportMetricsServiceResponse, error) {
	if err := g.r.grpcAuth(ctx); err != nil {
		return nil, err
	}
	g.r.add(func() { g.r.metrics = append(g.r.metrics, m) })
	return &colmetric.ExportMetricsServiceResponse{}, nil
}

type grpcLogs struct {
	collogs.UnimplementedLogsServiceServer
	r *Receiver
}

func (g grpcLogs) Export(ctx context.Context, m *collogs.ExportLogsServiceRequest) (*collogs.ExportLogsServiceResponse, error) {
	if err := g.r.grpcAuth(ctx); err != nil {
		return nil, err
	}
	g.r.add(func() { g.r.logs = append(g.r.logs, m) })
	return &collogs.ExportLogsServiceResponse{}, nil
}

// Span is a received span with its resource's and scope's attributes.
type Span struct {
	*tracepb.Span
	Resource map[string]any
	Scope    *commonpb.InstrumentationScope
	Attrs    map[string]any
}

// Child returns the last of spans named name whose parent is parent, or nil.
func Child(spans []Span, parent *Span, name string) *Span {
	var found *Span
	for i, s := range spans {
		if s.Name == name && bytes.Equal(s.ParentSpanId, parent.SpanId) {
			found = &spans[i]
		}
	}
	return found
}

// Spans returns every span received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Span
	for _, req := range r.traces {
		for _, rs := range req.ResourceSpans {
			res := Attrs(rs.GetResource().GetAttributes())
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					out = append(out, Span{Span: s, Resource: res, Scope: ss.Scope, Attrs: Attrs(s.Attributes)})
				}
			}
		}
	}
	return out
}

// MetricNames returns the names of every metric received so far.
func (r *Receiver) MetricNames() map[string]bool {
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

// IntSums returns, for the int64 sum (a counter) called name, the value
// last received for each of its attribute sets, keyed by the set written
// as sorted k=v pairs joined by "," ("result=hit"). With the SDK's default
// cumulative temporality, that is the total so far.
func (r *Receiver) IntSums(name string) map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	sums := map[string]int64{}
	for _, req := range r.metrics {
		for _, rm := range req.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					if m.Name != name {
						continue
					}
					for _, dp := range m.GetSum().GetDataPoints() {
						var kv []string
						for k, v := range Attrs(dp.Attributes) {
							kv = append(kv, fmt.Sprintf("%s=%v", k, v))
						}
						sort.Strings(kv)
						sums[strings.Join(kv, ",")] = dp.GetAsInt()
					}
				}
			}
		}
	}
	return sums
}

// Log is a received log record with its resource's attributes.
type Log struct {
	*logspb.LogRecord
	Resource map[string]any
	Scope    *commonpb.InstrumentationScope
	Attrs    map[string]any
}

// Body is the record's body as a string.
func (l Log) Body() string { return l.LogRecord.GetBody().GetStringValue() }

// Logs returns every log record received so far.
func (r *Receiver) Logs() []Log {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Log
	for _, req := range r.logs {
		for _, rl := range req.ResourceLogs {
			res := Attrs(rl.GetResource().GetAttributes())
			for _, sl := range rl.ScopeLogs {
				for _, l := range sl.LogRecords {
					out = append(out, Log{LogRecord: l, Resource: res, Scope: sl.Scope, Attrs: Attrs(l.Attributes)})
				}
			}
		}
	}
	return out
}

// Attrs turns OTLP attributes into a map of strings, int64s, bools and
// float64s.
func Attrs(kvs []*commonpb.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.Key] = v.IntValue
		case *commonpb.AnyValue_BoolValue:
			m[kv.Key] = v.BoolValue
		case *commonpb.AnyValue_DoubleValue:
			m[kv.Key] = v.DoubleValue
		}
	}
	return m
}

// selfSigned makes a certificate for 127.0.0.1, ::1 and localhost that is
// its own CA, as the ASP.NET development certificate the Aspire dashboard
// serves OTLP with.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"otlptest"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	return cert, bytes.Clone(certPEM), err
}
