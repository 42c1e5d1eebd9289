package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/apphosttest"
	"github.com/aspirego/redis/internal/otlptest"
	"github.com/aspirego/redis/internal/secrettest"
	"github.com/aspirego/redis/internal/testserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestAppHostEnvironment builds the example once and runs it as a fresh
// process with exactly the environment that an Aspire 13.x AppHost gives
// AddGoApp("api", ...).WithReference(cache).WithOtlpExporter()
// .WithHttpEndpoint(env: "PORT") in Development (apphosttest.Redis and
// apphosttest.OTLP say where each variable comes from): a TLS redis-server
// with a password, its CA trusted through SSL_CERT_DIR as Aspire trusts
// its development certificate; the repository's OTLP receiver over gRPC
// with TLS and the dashboard's API key.
func TestAppHostEnvironment(t *testing.T) {
	exe := build(t)

	t.Run("TLS and password", func(t *testing.T) {
		t.Parallel()
		const password = "Aspire-generated-7f3Kq9"
		srv := testserver.Start(t, testserver.Options{TLS: true, Password: password})
		recv, env := dashboard(t, srv)
		svc := start(t, exe, apphosttest.Merge(env, apphosttest.Redis("cache", "localhost", srv.Port, password, true)))

		// Read-through: the first call makes and caches the page, the
		// second is served from Redis, byte for byte.
		first := svc.Get(t, "/api/weatherforecast")
		var page []forecast
		if first.StatusCode != http.StatusOK || json.Unmarshal(first.Body, &page) != nil || len(page) != 5 {
			t.Fatalf("first GET: %d %s\n%s", first.StatusCode, first.Body, svc.Output())
		}
		if second := svc.Get(t, "/api/weatherforecast"); !bytes.Equal(second.Body, first.Body) {
			t.Errorf("second GET is not the cached page:\n%s\n%s", second.Body, first.Body)
		}
		if ttl, ok := srv.Do(t, "PTTL", cacheKey).(int64); !ok || ttl <= 0 || ttl > cacheTTL.Milliseconds() {
			t.Errorf("PTTL %s = %v, want within (0, %d]", cacheKey, srv.Do(t, "PTTL", cacheKey), cacheTTL.Milliseconds())
		}
		for _, path := range []string{"/health", "/"} {
			if res := svc.Get(t, path); res.StatusCode != http.StatusOK || string(res.Body) != "Healthy" {
				t.Errorf("GET %s: %d %q", path, res.StatusCode, res.Body)
			}
		}

		// Metrics: the starter's counter, go-redis's operation duration and
		// the pool (observed at each export, every second here).
		wantSums := map[string]int64{"result=miss": 1, "result=hit": 1}
		apphosttest.WaitFor(t, 20*time.Second, func() bool {
			names := recv.MetricNames()
			return names["db.client.operation.duration"] && names["db.client.connection.count"] &&
				equalSums(recv.IntSums("aspired.api.cache.requests"), wantSums)
		}, func() string {
			return "metrics " + strconv.Quote(strings.Join(keys(recv.MetricNames()), " ")) + ", counter " + strconv.Quote(strings.Join(sumList(recv.IntSums("aspired.api.cache.requests")), " "))
		})

		// Redis stops: the health report says so.
		srv.Stop()
		if res := svc.Get(t, "/health"); res.StatusCode != http.StatusServiceUnavailable || string(res.Body) != "Unhealthy" {
			t.Errorf("GET /health with Redis stopped: %d %q", res.StatusCode, res.Body)
		}
		svc.Stop(t) // SIGTERM: flushes the exporters

		// Spans: each request's server span, its Redis commands under it.
		var requests []*otlptest.Span
		spans := recv.Spans()
		for i, s := range spans {
			if s.Name == "GET /api/weatherforecast" && s.ParentSpanId == nil {
				requests = append(requests, &spans[i])
			}
		}
		if len(requests) != 2 {
			t.Fatalf("%d request spans, want 2, among %d spans\n%s", len(requests), len(spans), svc.Output())
		}
		if r := requests[0].Resource; r["service.name"] != "api" || r["service.instance.id"] != "api-x7k2m" {
			t.Errorf("resource %v", r)
		}
		for i, cmds := range [][]string{{"GET", "SET"}, {"GET"}} {
			for _, cmd := range cmds {
				s := otlptest.Child(spans, requests[i], cmd)
				if s == nil {
					t.Errorf("request %d: no %s span under the request's span", i+1, cmd)
					continue
				}
				if a := s.Attrs; a["db.system.name"] != "redis" || a["server.address"] != "localhost" || a["server.port"] != int64(srv.Port) {
					t.Errorf("request %d: %s span attributes %v", i+1, cmd, a)
				}
			}
		}
		if s := otlptest.Child(spans, requests[1], "SET"); s != nil {
			t.Errorf("the cached request wrote to Redis: %v", s.Attrs)
		}

		// Logs: the start-up line, and the request's line in its trace.
		var listening, cached bool
		for _, l := range recv.Logs() {
			switch l.Body() {
			case "api listening":
				listening = l.Resource["service.name"] == "api"
			case "forecast cached":
				cached = bytes.Equal(l.TraceId, requests[0].TraceId) && bytes.Equal(l.SpanId, requests[0].SpanId)
			}
		}
		if !listening || !cached {
			t.Errorf("log records: api listening %v, forecast cached in the request's span %v (%d records)", listening, cached, len(recv.Logs()))
		}
		if n := recv.Rejected(); n != 0 {
			t.Errorf("the receiver rejected %d requests", n)
		}
		secrettest.NoSecret(t, "the service's output", svc.Output(), "", password, 6)
	})

	// A password a user supplies (AddParameter) with ',' and '@'. Aspire
	// writes it as it is into ConnectionStrings__cache, where
	// StackExchange.Redis, .NET and this library split it at the comma
	// (the starter's parser then sends a truncated password); CACHE_URI
	// carries it percent-encoded.
	const userPassword = "Tq9v,Kd2@Wz7r"

	t.Run("password with , and @: ConnectionStrings__cache is refused", func(t *testing.T) {
		t.Parallel()
		srv := testserver.Start(t, testserver.Options{TLS: true, Password: userPassword})
		_, env := dashboard(t, srv)
		svc := apphosttest.Exec(t, exe, nil, apphosttest.Merge(env, apphosttest.Redis("cache", "localhost", srv.Port, userPassword, true)), nil)
		if code := svc.Wait(t, 30*time.Second); code != 1 {
			t.Errorf("exit status %d, want 1", code)
		}
		out := svc.Output()
		if !strings.Contains(out, "ConnectionStrings:cache") || !strings.Contains(out, "right after password=") {
			t.Errorf("the error does not say which key and piece to fix:\n%s", out)
		}
		secrettest.NoSecret(t, "the service's output", out, "", userPassword, 4)
	})

	t.Run("password with , and @: connection properties only", func(t *testing.T) {
		t.Parallel()
		srv := testserver.Start(t, testserver.Options{TLS: true, Password: userPassword})
		_, env := dashboard(t, srv)
		// WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionProperties):
		// CACHE_URI, CACHE_HOST, CACHE_PORT, CACHE_PASSWORD.
		redisEnv := apphosttest.ConnectionProperties(apphosttest.Redis("cache", "localhost", srv.Port, userPassword, true))
		svc := start(t, exe, apphosttest.Merge(env, redisEnv))
		first := svc.Get(t, "/api/weatherforecast")
		if second := svc.Get(t, "/api/weatherforecast"); first.StatusCode != http.StatusOK || !bytes.Equal(second.Body, first.Body) {
			t.Errorf("GET twice: %d %s, then %s\n%s", first.StatusCode, first.Body, second.Body, svc.Output())
		}
		if res := svc.Get(t, "/health"); res.StatusCode != http.StatusOK || string(res.Body) != "Healthy" {
			t.Errorf("GET /health: %d %q", res.StatusCode, res.Body)
		}
		svc.Stop(t)
		secrettest.NoSecret(t, "the service's output", svc.Output(), "", userPassword, 4)
	})

	// No WithReference: the API runs without a cache, as the starter does.
	t.Run("no Redis configured", func(t *testing.T) {
		t.Parallel()
		recv, env := dashboard(t, nil)
		svc := start(t, exe, env)
		for range 2 {
			if res := svc.Get(t, "/api/weatherforecast"); res.StatusCode != http.StatusOK {
				t.Errorf("GET: %d %s", res.StatusCode, res.Body)
			}
		}
		if res := svc.Get(t, "/health"); res.StatusCode != http.StatusOK || string(res.Body) != "Healthy" {
			t.Errorf("GET /health: %d %q", res.StatusCode, res.Body)
		}
		apphosttest.WaitFor(t, 20*time.Second, func() bool {
			return equalSums(recv.IntSums("aspired.api.cache.requests"), map[string]int64{"result=skip": 2})
		},
			func() string { return strings.Join(sumList(recv.IntSums("aspired.api.cache.requests")), " ") })
		svc.Stop(t)
		if !strings.Contains(svc.Output(), "running without a cache") {
			t.Errorf("no word of running without a cache:\n%s", svc.Output())
		}
	})
}

// build compiles the example, with -race when this test binary has it
// (so that the build cache of the test's own packages serves), into a
// temporary directory.
func build(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "api")
	args := []string{"build", "-o", exe}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	start := time.Now()
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("go %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return exe
}

// dashboard starts an OTLP receiver as the Aspire dashboard (gRPC, TLS with
// a certificate of its own, API key) and returns it with the variables
// WithOtlpExporter injects and SSL_CERT_DIR, which trusts the dashboard's
// certificate and srv's CA (srv may be nil).
func dashboard(t *testing.T, srv *testserver.Server) (*otlptest.Receiver, map[string]string) {
	t.Helper()
	const apiKey = "dashboard-key-5d1e"
	recv := otlptest.Start(t, otlptest.Options{Protocol: "grpc", TLS: true, APIKey: apiKey})
	pems := [][]byte{recv.CertPEM}
	if srv != nil && srv.TLS != nil {
		pems = append(pems, srv.TLS.CAPEM)
	}
	endpoint := strings.Replace(recv.Endpoint, "127.0.0.1", "localhost", 1)
	env := apphosttest.OTLP(endpoint, "grpc", "api", "api-x7k2m", apiKey)
	env["SSL_CERT_DIR"] = apphosttest.CertDir(t, pems...)
	return recv, env
}

// start runs the example on a free port, as WithHttpEndpoint(env: "PORT")
// gives one, and waits until it listens.
func start(t *testing.T, exe string, env map[string]string) *apphosttest.Process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	_ = ln.Close()
	env = apphosttest.Merge(env, map[string]string{"PORT": port})
	return apphosttest.Start(t, exe, nil, env, func(line string) (string, bool) {
		return "http://127.0.0.1:" + port, strings.Contains(line, `msg="api listening"`)
	})
}

func equalSums(got, want map[string]int64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func sumList(sums map[string]int64) []string {
	var out []string
	for k, v := range sums {
		out = append(out, k+":"+strconv.FormatInt(v, 10))
	}
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
