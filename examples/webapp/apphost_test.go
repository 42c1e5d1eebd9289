package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aspirego/redis/internal/apphosttest"
	"github.com/aspirego/redis/internal/otlptest"
	"github.com/aspirego/redis/internal/testserver"
)

// childEnv makes the test binary run the service (main) instead of the
// tests: TestAppHostEnvironment starts it as a process of its own, so that
// SSL_CERT_DIR is read afresh (Go loads the system roots once per process).
const childEnv = "WEBAPP_TEST_RUN_SERVICE"

// TestAppHostEnvironment runs the service with exactly the environment an
// Aspire 13 AppHost injects into an executable (see
// docs/observability.md#the-apphost-environment): a TLS Redis with a
// password, whose test CA is trusted through SSL_CERT_DIR; an https OTLP
// endpoint with a self-signed certificate (trusted the same way), which
// rejects requests without the x-otlp-api-key header; one-second export
// intervals. Over grpc and http/protobuf, it checks that the Redis spans
// (with db.system, under the request's span), the metrics and the log
// records (with the request's trace and span ids) arrive.
func TestAppHostEnvironment(t *testing.T) {
	const password = "apphost-Redis-pw;7%x"
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(protocol, func(t *testing.T) {
			t.Parallel()
			const apiKey = "dashboard-key-0c1d"
			recv := otlptest.Start(t, otlptest.Options{Protocol: protocol, TLS: true, APIKey: apiKey})

			srv := testserver.Start(t, testserver.Options{TLS: true, Password: password})
			endpoint := strings.Replace(recv.Endpoint, "127.0.0.1", "localhost", 1)
			env := apphosttest.Merge(
				apphosttest.Redis("cache", "localhost", srv.Port, password, true), // WithReference(cache)
				apphosttest.Redis("chat", "localhost", srv.Port, password, true),  // WithReference(chat)
				apphosttest.OTLP(endpoint, protocol, "webapp", "webapp-x7k2m", apiKey),
				map[string]string{
					"SSL_CERT_DIR":           apphosttest.CertDir(t, srv.TLS.CAPEM, recv.CertPEM),
					"DOTNET_ENVIRONMENT":     "Development",
					"ASPNETCORE_ENVIRONMENT": "Development",
					"Http__Address":          "127.0.0.1:0",
					"Products__LoadDelay":    "1ms",
					childEnv:                 "1",
				})
			svc := apphosttest.Start(t, exe, []string{"-test.run=^$"}, env, func(line string) (string, bool) {
				m := listeningLine.FindStringSubmatch(line)
				if m == nil {
					return "", false
				}
				return m[1], true
			})

			res := svc.Get(t, "/products/1")
			if res.StatusCode != http.StatusOK || res.Header.Get("X-Cache") != "MISS" {
				t.Fatalf("GET /products/1: %d %s, X-Cache %q\n%s", res.StatusCode, res.Body, res.Header.Get("X-Cache"), svc.Output())
			}
			if res = svc.Get(t, "/products/1"); res.Header.Get("X-Cache") != "HIT" {
				t.Errorf("second GET: X-Cache %q", res.Header.Get("X-Cache"))
			}
			if res = svc.Get(t, "/health"); res.StatusCode != http.StatusOK {
				t.Errorf("/health: %d %s", res.StatusCode, res.Body)
			}
			// Pool metrics are observed at each export (every second here),
			// and no longer once the clients are closed: wait for one.
			apphosttest.WaitFor(t, 10*time.Second, func() bool { return recv.MetricNames()["db.client.connection.count"] }, func() string { return fmt.Sprint(recv.MetricNames()) })
			svc.Stop(t) // flushes the exporters

			// Spans: the request's server span, and the Redis commands under it.
			var server *otlptest.Span
			spans := recv.Spans()
			for i, s := range spans {
				if s.Name == "GET /products/{id}" && s.ParentSpanId == nil && server == nil {
					server = &spans[i]
				}
			}
			if server == nil {
				t.Fatalf("no request span among %d spans\n%s", len(spans), svc.Output())
			}
			if server.Resource["service.name"] != "webapp" || server.Resource["service.instance.id"] != "webapp-x7k2m" {
				t.Errorf("resource %v", server.Resource)
			}
			for _, cmd := range []string{"GET", "SET"} {
				found := otlptest.Child(spans, server, cmd)
				if found == nil {
					t.Errorf("no %s span under the request's span", cmd)
					continue
				}
				a := found.Attrs
				if a["db.system"] != "redis" || a["db.system.name"] != "redis" || a["server.address"] != "localhost" || a["server.port"] != int64(srv.Port) {
					t.Errorf("%s span attributes %v", cmd, a)
				}
			}
			// Metrics.
			if names := recv.MetricNames(); !names["db.client.operation.duration"] || !names["db.client.connection.count"] {
				t.Errorf("metrics received: %v", names)
			}
			// Logs: a lifecycle line, and the request's line with its ids.
			var listening, cached bool
			for _, l := range recv.Logs() {
				switch l.Body() {
				case "listening":
					listening = true
				case "product cached":
					cached = true
					if !bytes.Equal(l.TraceId, server.TraceId) || !bytes.Equal(l.SpanId, server.SpanId) {
						t.Errorf("log record in trace %x span %x, want the request's %x %x", l.TraceId, l.SpanId, server.TraceId, server.SpanId)
					}
					if l.Attrs["key"] != "product:1" || l.Resource["service.name"] != "webapp" {
						t.Errorf("log record attributes %v resource %v", l.Attrs, l.Resource)
					}
				}
			}
			if !listening || !cached {
				t.Errorf("log records received: listening %v, product cached %v (%d records)", listening, cached, len(recv.Logs()))
			}
			if n := recv.Rejected(); n != 0 {
				t.Errorf("the receiver rejected %d requests", n)
			}
			if out := svc.Output(); strings.Contains(out, password) || strings.Contains(out, apiKey) {
				t.Errorf("a secret appears in the service's output:\n%s", out)
			}
		})
	}
}

var listeningLine = regexp.MustCompile(`msg=listening url=(\S+)`)
