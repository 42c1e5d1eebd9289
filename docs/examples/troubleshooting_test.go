package docs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/rediscache"
)

// cacheStore is a service that takes the "chat" client under a tag of its
// own choosing.
type cacheStore struct{ rdb redis.UniversalClient }

// Custom annotations: rediscache.Constructor is the plain constructor
// behind rediscache.Client and keyed.Client. Tag its results yourself; the
// second tag, rediscache.GroupTag, puts the client's health check on
// /health.
func Example_customAnnotations() {
	srv, conn := startMiniredis()
	defer srv.Close()
	defer setenv("ConnectionStrings__chat", conn)()

	var checker *healthcheck.Checker
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(fx.Annotate(
			rediscache.Constructor("chat"),
			fx.ResultTags(`name:"messages"`, rediscache.GroupTag),
		)),
		fx.Provide(fx.Annotate(
			func(rdb redis.UniversalClient) *cacheStore { return &cacheStore{rdb: rdb} },
			fx.ParamTags(`name:"messages"`),
		)),
		fx.Invoke(func(*cacheStore) {}),
		fx.Populate(&checker),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)
	for _, c := range checker.Checks() {
		fmt.Println(c.Name)
	}
	// Output:
	// self
	// redis_chat
}

// Without rediscache.GroupTag the checks would be provided as a plain
// []healthcheck.Check, which nothing reads: fxmodule.Module stops the
// application instead of serving /health without them.
func Example_forgottenGroupTag() {
	srv, conn := startMiniredis()
	defer srv.Close()
	defer setenv("ConnectionStrings__chat", conn)()

	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(fx.Annotate(rediscache.Constructor("chat"), fx.ResultTags(`name:"messages"`))),
		fx.Invoke(fx.Annotate(func(redis.UniversalClient) {}, fx.ParamTags(`name:"messages"`))),
	)
	err := app.Err()
	fmt.Println(err != nil && strings.Contains(err.Error(),
		"health checks redis_chat were provided as a plain []healthcheck.Check"))
	// Output:
	// true
}

// fx logs every provide, invoke and hook through its own console logger;
// fxmodule.Module replaces it with one that logs them at DEBUG on
// slog.Default(). fxevent.SlogLogger, after fxmodule.Module, sends those
// events to your slog logger instead; set its levels so that only failures
// show, or use fx.NopLogger to drop them.
func Example_quietFxLogger() {
	srv, conn := startMiniredis()
	defer srv.Close()
	defer setenv("ConnectionStrings__cache", conn)()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := fx.New(
		fxmodule.Module,
		fx.Supply(logger),
		fx.WithLogger(func(l *slog.Logger) fxevent.Logger { // after fxmodule.Module, which sets one too
			fl := &fxevent.SlogLogger{Logger: l}
			fl.UseLogLevel(slog.LevelDebug) // fx's events, below the handler's level
			fl.UseErrorLevel(slog.LevelError)
			return fl
		}),
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(func(redis.UniversalClient) {}),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(app.Stop(ctx))
	// Output:
	// <nil>
}
