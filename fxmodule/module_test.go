package fxmodule_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/testlog"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testlog.Main(m)) }

type healthHandler struct {
	fx.In
	H http.Handler `name:"health"`
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func TestHealthHandler(t *testing.T) {
	cache, chat := miniredis.RunT(t), miniredis.RunT(t)
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", cache.Addr()+",setlib=false")
	t.Setenv("ConnectionStrings__chat", chat.Addr()+",setlib=false,password=hunter22,connectTimeout=200,syncTimeout=200")
	chat.RequireAuth("hunter22")
	t.Setenv("Aspire__StackExchange__Redis__HealthCheckTimeout", "00:00:01")

	var h healthHandler
	app := fxtest.New(t,
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache"), keyed.Client("chat")),
		fx.Populate(&h),
	)
	app.RequireStart()
	defer app.RequireStop()

	if code, body := get(t, h.H, "/health"); code != 200 || body != "Healthy" {
		t.Fatalf("/health = %d %q, want 200 Healthy", code, body)
	}
	chat.Close()
	code, body := get(t, h.H, "/health")
	if code != 503 || body != "Unhealthy" {
		t.Fatalf("/health with chat down = %d %q, want 503 Unhealthy", code, body)
	}
	if code, body := get(t, h.H, "/alive"); code != 200 || body != "Healthy" {
		t.Errorf("/alive with chat down = %d %q, want 200 Healthy (Redis is not a liveness check)", code, body)
	}
	for _, path := range []string{"/healthz", "/health/", "/"} {
		if code, _ := get(t, h.H, path); code != 404 {
			t.Errorf("%s = %d, want 404", path, code)
		}
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/health", nil)
	req.Header.Set("Accept", "application/json")
	h.H.ServeHTTP(rec, req)
	for _, want := range []string{`"redis_cache"`, `"redis_keyed_chat"`, `"Unhealthy"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("JSON report lacks %s: %s", want, rec.Body)
		}
	}
	if strings.Contains(rec.Body.String(), "hunter22") {
		t.Errorf("JSON report shows the password: %s", rec.Body)
	}
	if err := chat.Restart(); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, h.H, "/health"); code != 200 {
		t.Errorf("/health after chat came back = %d, want 200", code)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServesHealthOnConfiguredAddress(t *testing.T) {
	srv := miniredis.RunT(t)
	addr := freeAddr(t)
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", srv.Addr()+",setlib=false")
	t.Setenv("HealthChecks__Address", addr)
	app := fxtest.New(t, fxmodule.Module, fx.Provide(rediscache.Client("cache")))
	app.RequireStart()
	for _, path := range []string{"/health", "/alive"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "Healthy" {
			t.Errorf("GET %s = %d %q", path, resp.StatusCode, body)
		}
	}
	app.RequireStop()
	if _, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", addr); err == nil {
		t.Error("health server still listening after stop")
	}
}

func TestBadHealthDetails(t *testing.T) {
	app := fx.New(fx.NopLogger, fxmodule.Module,
		fx.Replace(mustConfig(t, map[string]any{"HealthChecks:Details": "maybe"})))
	if err := app.Err(); err == nil || !strings.Contains(err.Error(), fxmodule.HealthDetailsKey) {
		t.Fatalf("err = %v, want an error naming %s", err, fxmodule.HealthDetailsKey)
	}
}

func TestProvidesNoTelemetryProviders(t *testing.T) {
	t.Chdir(t.TempDir())
	app := fx.New(fx.NopLogger, fxmodule.Module, fx.Invoke(func(trace.TracerProvider) {}))
	if err := app.Err(); err == nil || !strings.Contains(err.Error(), "missing type") {
		t.Fatalf("fxmodule.Module provided a TracerProvider: err = %v", err)
	}
}

func mustConfig(t *testing.T, v map[string]any) *settings.Config {
	t.Helper()
	c, err := settings.NewConfig(v)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Example shows the design's first code block: configuration from the
// environment, one un-keyed and one keyed client, and the health handler.
func Example() {
	cache, _ := miniredis.Run()
	defer cache.Close()
	chat, _ := miniredis.Run()
	defer chat.Close()
	cfg, _ := settings.NewConfig(map[string]any{"ConnectionStrings": map[string]any{
		"cache": cache.Addr() + ",setlib=false",
		"chat":  chat.Addr() + ",setlib=false",
	}})

	type clients struct {
		fx.In
		Cache  redis.UniversalClient
		Chat   redis.UniversalClient `name:"chat"`
		Health http.Handler          `name:"health"`
	}
	app := fx.New(fx.NopLogger,
		fxmodule.Module,
		fx.Replace(cfg), // a service with its own configuration; drop this to load appsettings*.json and env
		fx.Provide(rediscache.Client("cache")),
		fx.Provide(keyed.Client("chat")),
		fx.Invoke(func(c clients) {
			ctx := context.Background()
			c.Cache.Set(ctx, "greeting", "hello", 0)
			c.Chat.RPush(ctx, "messages", "hi")
			rec := httptest.NewRecorder()
			c.Health.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
			fmt.Println(c.Cache.Get(ctx, "greeting").Val(), c.Chat.LLen(ctx, "messages").Val(), rec.Body.String())
		}),
	)
	if err := app.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	_ = app.Stop(context.Background())
	// Output: hello 1 Healthy
}
