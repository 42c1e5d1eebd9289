package docs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// mountHealth puts the health endpoints that fxmodule.Module provides on
// the service's own mux.
func mountHealth(mux *http.ServeMux, health http.Handler) {
	mux.Handle("GET /health", health) // readiness: every check, Redis included
	mux.Handle("GET /alive", health)  // liveness: only checks tagged "live"
}

// get sends one request to h and prints the answer. JSON is indented, and
// what changes from run to run is masked: durations as 00:00:00.0000000,
// miniredis's port as PORT.
func get(h http.Handler, path, accept string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	var indented bytes.Buffer
	if json.Indent(&indented, rec.Body.Bytes(), "", "  ") == nil {
		body = indented.String()
	}
	body = regexp.MustCompile(`\d{2}:\d{2}:\d{2}(\.\d{1,7})?`).ReplaceAllString(body, "00:00:00.0000000")
	body = regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(body, "127.0.0.1:PORT")
	fmt.Println("GET", path, "->", rec.Code, rec.Header().Get("Content-Type"))
	printLines(body)
}

// /health and /alive while Redis is up, then down; the JSON report with
// HealthChecks:Details=true.
func Example_healthEndpoints() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	defer setenv(
		"ConnectionStrings__cache", connectionString,
		"HealthChecks__Details", "true",
	)()

	var mux *http.ServeMux
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")),
		fx.Provide(http.NewServeMux),
		fx.Invoke(fx.Annotate(mountHealth, fx.ParamTags(``, `name:"health"`))),
		fx.Populate(&mux),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)

	get(mux, "/health", "")
	srv.Close() // Redis goes down
	get(mux, "/health", "")
	get(mux, "/alive", "")
	get(mux, "/health", "application/json")
	// Output:
	// GET /health -> 200 text/plain; charset=utf-8
	// Healthy
	// GET /health -> 503 text/plain; charset=utf-8
	// Unhealthy
	// GET /alive -> 200 text/plain; charset=utf-8
	// Healthy
	// GET /health -> 503 application/json
	// {
	//   "status": "Unhealthy",
	//   "totalDuration": "00:00:00.0000000",
	//   "entries": {
	//     "redis_cache": {
	//       "status": "Unhealthy",
	//       "duration": "00:00:00.0000000",
	//       "tags": [],
	//       "description": "PING: dial tcp 127.0.0.1:PORT: connect: connection refused"
	//     },
	//     "self": {
	//       "status": "Healthy",
	//       "duration": "00:00:00.0000000",
	//       "tags": [
	//         "live"
	//       ]
	//     }
	//   }
	// }
}

// Without fx: build the checker from the clients' checks and mount it.
func Example_healthWithoutFx() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:cache": connectionString})
	if err != nil {
		fmt.Println(err)
		return
	}
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Close()

	checker, err := healthcheck.New(inst.Checks...)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("GET /readyz", checker.HealthHandler())
	mux.Handle("GET /livez", checker.AliveHandler())

	get(mux, "/readyz", "")
	get(mux, "/livez", "")
	// Output:
	// GET /readyz -> 200 text/plain; charset=utf-8
	// Healthy
	// GET /livez -> 200 text/plain; charset=utf-8
	// Healthy
}

// HealthChecks:Address serves /health and /alive on their own port from
// start to stop.
func TestHealthChecksAddress(t *testing.T) {
	srv, connectionString := startMiniredis()
	t.Cleanup(srv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", connectionString)
	t.Setenv("HealthChecks__Address", addr)

	app := fxtest.New(t, fx.NopLogger, fxmodule.Module, fx.Provide(rediscache.Client("cache")))
	app.RequireStart()
	for path, want := range map[string]string{"/health": "200 Healthy", "/alive": "200 Healthy"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := fmt.Sprint(resp.StatusCode, " ", string(body)); got != want {
			t.Errorf("GET %s = %q, want %q", path, got, want)
		}
	}
	app.RequireStop()
	if _, err := http.Get("http://" + addr + "/health"); err == nil {
		t.Error("the health server still answers after stop")
	}
}

// A server that accepts connections and never answers: /health answers
// Unhealthy when HealthCheckTimeout is up, instead of hanging.
func TestHealthCheckTimeout(t *testing.T) {
	hole := testserver.NewBlackhole(t)
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", hole.Addr)
	t.Setenv("Aspire__StackExchange__Redis__cache__HealthCheckTimeout", "00:00:01")
	t.Setenv("HealthChecks__Details", "true")

	var health struct {
		fx.In
		Handler http.Handler `name:"health"`
	}
	app := fxtest.New(t, fx.NopLogger, fxmodule.Module, fx.Provide(rediscache.Client("cache")), fx.Populate(&health))
	app.RequireStart()
	defer app.RequireStop()

	req := httptest.NewRequest(http.MethodGet, "/health", nil)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	start := time.Now()
	health.Handler.ServeHTTP(rec, req)
	t.Logf("answered in %v: %d %s", time.Since(start), rec.Code, rec.Body)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"redis_cache":{"status":"Unhealthy"`) {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
}
