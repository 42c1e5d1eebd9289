package docs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// healthOf asks a health handler for /health.
func healthOf(h http.Handler) string {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	return fmt.Sprint(rec.Code, " ", rec.Body.String())
}

// With the default abortConnect=false the service starts while Redis is
// down; /health says so, and the same client works once Redis is back.
func Example_startWhileRedisIsDown() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	defer setenv("ConnectionStrings__cache", connectionString)()
	srv.Close() // Redis is down when the service starts

	var health struct {
		fx.In
		Handler http.Handler `name:"health"` // /health and /alive, from fxmodule.Module
	}
	var rdb redis.UniversalClient
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")),
		fx.Populate(&rdb, &health),
	)
	ctx := context.Background()
	fmt.Println("start:", app.Start(ctx))
	defer app.Stop(ctx)
	fmt.Println("/health:", healthOf(health.Handler))

	if err := srv.Restart(); err != nil { // Redis comes back
		fmt.Println(err)
		return
	}
	fmt.Println("/health:", healthOf(health.Handler))
	fmt.Println("SET:", rdb.Set(ctx, "k", "v", 0).Err())
	// Output:
	// start: <nil>
	// /health: 503 Unhealthy
	// /health: 200 Healthy
	// SET: <nil>
}

// With abortConnect=true, a server that cannot be reached stops the
// application from starting, with an error that names the client.
func Example_abortConnect() {
	defer setenv("ConnectionStrings__cache", "127.0.0.1:1,abortConnect=true,connectRetry=1")()

	app := fx.New(
		fx.NopLogger,
		fx.Supply(stdoutLogger()),
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(func(redis.UniversalClient) {}),
	)
	err := app.Start(context.Background())

	var ce *rediscache.Error
	fmt.Println(errors.Is(err, rediscache.ErrConnect), errors.As(err, &ce), ce.Client)
	fmt.Println(err)
	// Output:
	// level=INFO msg="redis client built" redis.client=cache target="standalone endpoints=[127.0.0.1:1] dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=true" topology=standalone source="ConnectionStrings:cache (environment variable ConnectionStrings__cache)"
	// level=INFO msg="redis client closed" redis.client=cache
	// true true cache
	// rediscache: client "cache": abortConnect=true and connecting to standalone endpoints=[127.0.0.1:1] dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=true failed: dial tcp 127.0.0.1:1: connect: connection refused
}

// DisableAutoActivation=false makes the client PING at start; without
// abortConnect=true a failure is logged and the service starts anyway.
func Example_autoActivation() {
	defer setenv(
		"ConnectionStrings__cache", "127.0.0.1:1,password=s3cret,connectRetry=1",
		"Aspire__StackExchange__Redis__cache__DisableAutoActivation", "false",
	)()

	app := fx.New(
		fx.NopLogger,
		fx.Supply(stdoutLogger()),
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(func(redis.UniversalClient) {}),
	)
	ctx := context.Background()
	fmt.Println("start:", app.Start(ctx))
	fmt.Println("stop:", app.Stop(ctx))
	// Output:
	// level=INFO msg="redis client built" redis.client=cache target="standalone endpoints=[127.0.0.1:1] password=*** dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false" topology=standalone source="ConnectionStrings:cache (environment variable ConnectionStrings__cache)"
	// level=WARN msg="redis client could not connect at start; it will retry on use" redis.client=cache target="standalone endpoints=[127.0.0.1:1] password=*** dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false" error="dial tcp 127.0.0.1:1: connect: connection refused"
	// start: <nil>
	// level=INFO msg="redis client closed" redis.client=cache
	// stop: <nil>
}

// Everything fx does is plain Go: New builds (without dialing), Start
// PINGs when the settings ask for it, Close closes.
func Example_withoutFx() {
	srv, connectionString := startMiniredis()
	defer srv.Close()

	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:cache": connectionString})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg}, settings.EnableAutoActivation())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Close()
	if err := inst.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(inst.Client.Incr(ctx, "visits").Val(), inst.Checks[0].Name)
	// Output:
	// 1 redis_cache
}

// The clients log to the *slog.Logger in the container.
func Example_logger() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	defer setenv("ConnectionStrings__cache", connectionString)()

	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := fx.New(
		fx.NopLogger,
		fx.Supply(logger), // the clients' logger
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(func(redis.UniversalClient) {}),
	)
	fmt.Println(app.Err())
	// Output:
	// <nil>
}
