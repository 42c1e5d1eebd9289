package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/otlptest"
	"github.com/aspirego/redis/internal/testlog"
	"github.com/aspirego/redis/internal/testserver"
)

// TestCacheAsideAndChat runs the service against real servers and checks
// that the cache and the chat feed land where their connections point:
// the product key only on the cache's server and database, the feed only on
// the chat's.
func TestCacheAsideAndChat(t *testing.T) {
	const password = "webapp-cache-secret-7f3a"
	shared := testserver.Start(t, testserver.Options{Password: password})
	other := testserver.Start(t, testserver.Options{})

	for _, tc := range []struct {
		name       string
		cache      string // connection strings
		chat       string
		cacheProbe *redis.Options // where the cache's keys must be
		chatProbe  *redis.Options // where the chat's keys must be
	}{
		{
			name:       "separate servers",
			cache:      shared.Addr + ",password=" + password,
			chat:       other.Addr,
			cacheProbe: shared.ClientOptions(),
			chatProbe:  other.ClientOptions(),
		},
		{
			name:       "one server, chat in database 1",
			cache:      shared.Addr + ",password=" + password,
			chat:       "redis://:" + password + "@" + shared.Addr + "/1",
			cacheProbe: shared.ClientOptions(),
			chatProbe:  withDB(shared.ClientOptions(), 1),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cacheProbe, chatProbe := probe(t, tc.cacheProbe), probe(t, tc.chatProbe)
			flush(t, cacheProbe, chatProbe)
			isolate(t)
			t.Setenv("ConnectionStrings__cache", tc.cache)
			t.Setenv("ConnectionStrings__chat", tc.chat)
			app := start(t)

			// Cache-aside: a miss loads from the store and caches, then a hit.
			res := app.get(t, "/products/2")
			wantStatus(t, res, http.StatusOK)
			if got := res.Header.Get("X-Cache"); got != "MISS" {
				t.Fatalf("first GET: X-Cache = %q, want MISS", got)
			}
			var p Product
			if err := json.Unmarshal(res.body, &p); err != nil || p.Name != "Moka pot" {
				t.Fatalf("first GET: body %s (%v)", res.body, err)
			}
			res = app.get(t, "/products/2")
			wantStatus(t, res, http.StatusOK)
			if got := res.Header.Get("X-Cache"); got != "HIT" {
				t.Fatalf("second GET: X-Cache = %q, want HIT", got)
			}
			if ttl := cacheProbe.TTL(t.Context(), "product:2").Val(); ttl <= 0 || ttl > defaultCacheTTL {
				t.Errorf("product:2 TTL on the cache's server = %v, want within (0, %v]", ttl, defaultCacheTTL)
			}
			wantStatus(t, app.get(t, "/products/404"), http.StatusNotFound)

			// The chat feed.
			res = app.post(t, "/messages", `{"user": "ada", "text": "hello from the test"}`)
			wantStatus(t, res, http.StatusCreated)
			app.post(t, "/messages", `{"user": "bob", "text": "second"}`)
			wantStatus(t, app.post(t, "/messages", `{"text": ""}`), http.StatusBadRequest)
			wantStatus(t, app.post(t, "/messages", `not json`), http.StatusBadRequest)
			res = app.get(t, "/messages")
			wantStatus(t, res, http.StatusOK)
			var msgs []Message
			if err := json.Unmarshal(res.body, &msgs); err != nil {
				t.Fatalf("GET /messages: %s (%v)", res.body, err)
			}
			if len(msgs) != 2 || msgs[0].Text != "second" || msgs[1].User != "ada" {
				t.Fatalf("GET /messages = %+v, want bob's then ada's message", msgs)
			}

			// Each feature wrote to its own server or database only.
			wantExists(t, cacheProbe, "product:2", true)
			wantExists(t, chatProbe, "product:2", false)
			wantExists(t, chatProbe, feedKey, true)
			wantExists(t, cacheProbe, feedKey, false)

			res = app.get(t, "/health")
			wantStatus(t, res, http.StatusOK)
			if string(res.body) != "Healthy" {
				t.Errorf("/health body = %q", res.body)
			}
			wantStatus(t, app.get(t, "/alive"), http.StatusOK)

			if code := app.stop(t); code != 0 {
				t.Errorf("exit code %d", code)
			}
			if strings.Contains(app.logs.String(), password) {
				t.Errorf("the password appears in the logs:\n%s", app.logs)
			}
			if strings.Contains(app.logs.String(), "miniredis") {
				t.Errorf("embedded Redis started although both connections are configured:\n%s", app.logs)
			}
		})
	}
}

// TestChatServerDown: /health reports the outage, /alive does not, the
// cache feature keeps working and the chat feature answers 503.
func TestChatServerDown(t *testing.T) {
	cacheSrv := testserver.Start(t, testserver.Options{})
	chatSrv := testserver.Start(t, testserver.Options{})
	isolate(t)
	t.Setenv("ConnectionStrings__cache", cacheSrv.Addr)
	// No command retries: the outage shows at once.
	t.Setenv("ConnectionStrings__chat", "redis://"+chatSrv.Addr+"?max_retries=-1")
	t.Setenv("Products__LoadDelay", "1ms")
	app := start(t)
	wantStatus(t, app.get(t, "/health"), http.StatusOK)

	chatSrv.Stop()
	res := app.get(t, "/health")
	wantStatus(t, res, http.StatusServiceUnavailable)
	if string(res.body) != "Unhealthy" {
		t.Errorf("/health body = %q", res.body)
	}
	wantStatus(t, app.get(t, "/alive"), http.StatusOK)
	wantStatus(t, app.get(t, "/products/1"), http.StatusOK)
	wantStatus(t, app.get(t, "/messages"), http.StatusServiceUnavailable)
	if code := app.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// TestEmbeddedWhenNothingConfigured: with no configuration at all the
// service starts on two embedded servers and says so.
func TestEmbeddedWhenNothingConfigured(t *testing.T) {
	isolate(t)
	t.Setenv("Products__LoadDelay", "1ms")
	app := start(t)
	logs := app.logs.String()
	for _, name := range []string{"cache", "chat"} {
		if !strings.Contains(logs, "embedded in-memory Redis (miniredis)") || !strings.Contains(logs, "connection="+name) {
			t.Errorf("logs do not say that %q uses an embedded Redis:\n%s", name, logs)
		}
	}
	if got := app.get(t, "/products/3").Header.Get("X-Cache"); got != "MISS" {
		t.Errorf("first GET: X-Cache = %q", got)
	}
	if got := app.get(t, "/products/3").Header.Get("X-Cache"); got != "HIT" {
		t.Errorf("second GET: X-Cache = %q", got)
	}
	wantStatus(t, app.post(t, "/messages", `{"text": "hi"}`), http.StatusCreated)
	res := app.get(t, "/messages")
	if !strings.Contains(string(res.body), `"user":"anonymous","text":"hi"`) {
		t.Errorf("GET /messages = %s", res.body)
	}
	wantStatus(t, app.get(t, "/health"), http.StatusOK)
	if code := app.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// TestGracefulShutdown: SIGTERM while a request is in flight lets it
// finish, then the server stops listening and run returns 0.
func TestGracefulShutdown(t *testing.T) {
	isolate(t)
	t.Setenv("Products__LoadDelay", "500ms")
	app := start(t)

	written := make(chan struct{})
	type result struct {
		status int
		cache  string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { close(written) },
		})
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, app.base+"/products/1", nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- result{err: err}
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		got <- result{status: res.StatusCode, cache: res.Header.Get("X-Cache")}
	}()
	<-written
	time.Sleep(50 * time.Millisecond) // let the server pick the request up; the store takes 500ms
	if code := app.stop(t); code != 0 {
		t.Errorf("exit code %d", code)
	}
	r := <-got
	if r.err != nil || r.status != http.StatusOK || r.cache != "MISS" {
		t.Fatalf("in-flight request: status %d, X-Cache %q, error %v; want 200 MISS", r.status, r.cache, r.err)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(app.base, "http://"), time.Second); err == nil {
		conn.Close()
		t.Errorf("still listening after stop")
	}
}

// TestOTLPExport: with OTEL_EXPORTER_OTLP_ENDPOINT set, as an Aspire AppHost
// sets it, a request's trace (server span, Redis GET and SET spans with
// server.address and server.port) and db.client.operation.duration reach
// the collector.
func TestOTLPExport(t *testing.T) {
	isolate(t)
	col := otlptest.Start(t, otlptest.Options{})
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", col.Endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_SERVICE_NAME", "webapp")
	t.Setenv("Products__LoadDelay", "1ms")
	t.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	})
	app := start(t)
	wantStatus(t, app.get(t, "/products/1"), http.StatusOK)
	if code := app.stop(t); code != 0 { // flushes the exporters
		t.Fatalf("exit code %d\n%s", code, app.logs)
	}

	spans := col.Spans()
	var server *otlptest.Span
	for i, s := range spans {
		if s.Name == "GET /products/{id}" && s.Kind == tracepb.Span_SPAN_KIND_SERVER {
			server = &spans[i]
		}
	}
	if server == nil {
		t.Fatalf("no server span GET /products/{id} among %d spans", len(spans))
	}
	if service := server.Resource["service.name"]; service != "webapp" {
		t.Errorf("service.name = %v, want webapp", service)
	}
	for _, cmd := range []string{"GET", "SET"} {
		found := otlptest.Child(spans, server, cmd)
		if found == nil {
			t.Errorf("no %s span under the request's span", cmd)
			continue
		}
		a := found.Attrs
		if a["db.system.name"] != "redis" || a["server.address"] != "127.0.0.1" || a["server.port"] == nil || a["server.port"] == int64(0) {
			t.Errorf("%s span attributes = %v", cmd, a)
		}
	}
	if !col.MetricNames()["db.client.operation.duration"] {
		t.Errorf("no db.client.operation.duration metric exported")
	}
}

func TestBadListenConfiguration(t *testing.T) {
	isolate(t)
	t.Setenv("Http__Address", "")
	t.Setenv("PORT", "eighty")
	var logs testlog.Buffer
	if code := run(&logs, func(string) { t.Error("started") }); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(logs.String(), `configuration key PORT (environment variable PORT): \"eighty\" is not a port number`) {
		t.Errorf("logs:\n%s", logs.String())
	}
}

// ---- helpers ----

// isolate runs the test in an empty directory, with no configuration from
// the environment that could reach the service, and a free loopback port.
func isolate(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		u := strings.ToUpper(k)
		for _, p := range []string{"CONNECTIONSTRINGS", "ASPIRE__", "CACHE_", "CHAT_", "OTEL_", "HTTP__", "PORT", "PRODUCTS__", "DOTNET_", "ASPNETCORE_", "HEALTHCHECKS__"} {
			if strings.HasPrefix(u, p) {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
		}
	}
	t.Setenv("Http__Address", "127.0.0.1:0")
}

type app struct {
	base    string
	logs    *testlog.Buffer
	code    chan int
	stopped bool
}

// start runs the service as main does, and stops it with SIGTERM when the
// test ends.
func start(t *testing.T) *app {
	t.Helper()
	a := &app{logs: &testlog.Buffer{}, code: make(chan int, 1)}
	addr := make(chan string, 1)
	go func() { a.code <- run(a.logs, func(s string) { addr <- s }) }()
	select {
	case s := <-addr:
		a.base = "http://" + s
	case code := <-a.code:
		t.Fatalf("run returned %d before starting:\n%s", code, a.logs)
	case <-time.After(15 * time.Second):
		t.Fatalf("not started after 15s:\n%s", a.logs)
	}
	t.Cleanup(func() {
		if !a.stopped {
			a.stop(t)
		}
	})
	return a
}

// stop sends SIGTERM to the process, which the service handles, and
// returns run's exit code.
func (a *app) stop(t *testing.T) int {
	t.Helper()
	a.stopped = true
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-a.code:
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20s after SIGTERM:\n%s", a.logs)
		return -1
	}
}

type response struct {
	*http.Response
	body []byte
}

func (a *app) get(t *testing.T, path string) response {
	t.Helper()
	return a.do(t, http.MethodGet, path, "")
}

func (a *app) post(t *testing.T, path, body string) response {
	t.Helper()
	return a.do(t, http.MethodPost, path, body)
}

func (a *app) do(t *testing.T, method, path, body string) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return response{Response: res, body: b}
}

func wantStatus(t *testing.T, res response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, res.body)
	}
}

func probe(t *testing.T, o *redis.Options) *redis.Client {
	t.Helper()
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

func withDB(o *redis.Options, db int) *redis.Options {
	o.DB = db
	return o
}

func flush(t *testing.T, clients ...*redis.Client) {
	t.Helper()
	for _, c := range clients {
		if err := c.FlushDB(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func wantExists(t *testing.T, c *redis.Client, key string, want bool) {
	t.Helper()
	n, err := c.Exists(t.Context(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if (n == 1) != want {
		t.Errorf("%s on %s db %d: exists = %v, want %v", key, c.Options().Addr, c.Options().DB, n == 1, want)
	}
}

// TestMain checks that a stopped service leaves no goroutine behind. With
// WEBAPP_TEST_RUN_SERVICE=1 the binary is the service itself (see
// TestAppHostEnvironment).
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(run(os.Stderr, nil))
	}
	goleak.VerifyTestMain(m)
}
