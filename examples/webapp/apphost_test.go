package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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
	srv := testserver.Start(t, testserver.Options{TLS: true, Password: password})
	for i, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(protocol, func(t *testing.T) {
			t.Parallel()
			// The subtests share the server: each has its own databases.
			cacheDB, chatDB := strconv.Itoa(2*i+2), strconv.Itoa(2*i+3)
			const apiKey = "dashboard-key-0c1d"
			recv := otlptest.Start(t, otlptest.Options{Protocol: protocol, TLS: true, APIKey: apiKey})

			certs := t.TempDir()
			writeFile(t, filepath.Join(certs, "redis-ca.pem"), srv.TLS.CAPEM)
			writeFile(t, filepath.Join(certs, "aspire-dev-cert.pem"), recv.CertPEM)
			port := strconv.Itoa(srv.Port)
			env := map[string]string{
				// The Redis resource (WithReference(cache)).
				"ConnectionStrings__cache": "localhost:" + port + ",password=" + password + ",ssl=true,defaultDatabase=" + cacheDB,
				"CACHE_URI":                "rediss://:" + password + "@localhost:" + port + "/" + cacheDB,
				"CACHE_HOST":               "localhost",
				"CACHE_PORT":               port,
				"CACHE_PASSWORD":           password,
				"ConnectionStrings__chat":  "localhost:" + port + ",password=" + password + ",ssl=true,defaultDatabase=" + chatDB,
				"SSL_CERT_DIR":             certs,
				// The dashboard (OtlpConfigurationExtensions.RegisterOtlpEnvironment).
				"OTEL_EXPORTER_OTLP_ENDPOINT":                        strings.Replace(recv.Endpoint, "127.0.0.1", "localhost", 1),
				"OTEL_EXPORTER_OTLP_PROTOCOL":                        protocol,
				"OTEL_EXPORTER_OTLP_HEADERS":                         otlptest.APIKeyHeader + "=" + apiKey,
				"OTEL_SERVICE_NAME":                                  "webapp",
				"OTEL_RESOURCE_ATTRIBUTES":                           "service.instance.id=webapp-x7k2m",
				"OTEL_BSP_SCHEDULE_DELAY":                            "1000",
				"OTEL_BLRP_SCHEDULE_DELAY":                           "1000",
				"OTEL_METRIC_EXPORT_INTERVAL":                        "1000",
				"OTEL_TRACES_SAMPLER":                                "always_on",
				"OTEL_METRICS_EXEMPLAR_FILTER":                       "trace_based",
				"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
				"DOTNET_ENVIRONMENT":                                 "Development",
				"ASPNETCORE_ENVIRONMENT":                             "Development",
				"Http__Address":                                      "127.0.0.1:0",
				"Products__LoadDelay":                                "1ms",
			}
			svc := startService(t, env)

			res := svc.get(t, "/products/1")
			if res.StatusCode != http.StatusOK || res.Header.Get("X-Cache") != "MISS" {
				t.Fatalf("GET /products/1: %d %s, X-Cache %q\n%s", res.StatusCode, res.body, res.Header.Get("X-Cache"), svc.logs())
			}
			if res = svc.get(t, "/products/1"); res.Header.Get("X-Cache") != "HIT" {
				t.Errorf("second GET: X-Cache %q", res.Header.Get("X-Cache"))
			}
			if res = svc.get(t, "/health"); res.StatusCode != http.StatusOK {
				t.Errorf("/health: %d %s", res.StatusCode, res.body)
			}
			// Pool metrics are observed at each export (every second here),
			// and no longer once the clients are closed: wait for one.
			waitFor(t, 10*time.Second, func() bool { return recv.MetricNames()["db.client.connection.count"] })
			svc.stop(t) // flushes the exporters

			// Spans: the request's server span, and the Redis commands under it.
			var server *otlptest.Span
			spans := recv.Spans()
			for i, s := range spans {
				if s.Name == "GET /products/{id}" && s.ParentSpanId == nil && server == nil {
					server = &spans[i]
				}
			}
			if server == nil {
				t.Fatalf("no request span among %d spans\n%s", len(spans), svc.logs())
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
			if out := svc.logs(); strings.Contains(out, password) || strings.Contains(out, apiKey) {
				t.Errorf("a secret appears in the service's output:\n%s", out)
			}
		})
	}
}

// service is the webapp running as a child process.
type service struct {
	cmd  *exec.Cmd
	base string
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

var listeningLine = regexp.MustCompile(`msg=listening url=(\S+)`)

// startService runs the test binary as the service with exactly env (and
// the PATH, HOME and Go variables it needs), in an empty directory, and
// waits for it to listen.
func startService(t *testing.T, env map[string]string) *service {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{childEnv + "=1"}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &service{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.out.WriteString(line + "\n")
			s.mu.Unlock()
			if m := listeningLine.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	select {
	case s.base = <-addr:
	case err := <-s.done:
		s.done <- err
		t.Fatalf("the service exited before listening (%v):\n%s", err, s.logs())
	case <-time.After(15 * time.Second):
		t.Fatalf("the service is not listening after 15s:\n%s", s.logs())
	}
	return s
}

func (s *service) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func (s *service) get(t *testing.T, path string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, s.logs())
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Response: res, body: b}
}

// stop sends SIGTERM, as the AppHost does, and waits for a clean exit.
func (s *service) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("the service exited with %v:\n%s", err, s.logs())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the service still runs 20s after SIGTERM:\n%s", s.logs())
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
