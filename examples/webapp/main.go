package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/otlp"
	"github.com/aspirego/redis/rediscache"
)

func main() {
	os.Exit(run(os.Stderr, nil))
}

// run starts the service, waits for SIGINT, SIGTERM or an fx.Shutdowner,
// stops it, and returns the exit code. started, when not nil, is called
// with the listening address once the service accepts requests and the
// signal handlers are installed.
func run(stderr io.Writer, started func(addr string)) int {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	fallbacks := &embedded{}
	defer fallbacks.Close()
	var srv *server
	app := fx.New(
		fx.NopLogger,
		fx.Supply(logger, fallbacks),
		options(),
		fx.Populate(&srv),
	)
	if err := app.Err(); err != nil {
		logger.Error("cannot build the application", slog.String("error", err.Error()))
		return 1
	}
	startCtx, cancel := context.WithTimeout(context.Background(), app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		logger.Error("cannot start", slog.String("error", err.Error()))
		return 1
	}
	done := app.Wait() // installs the SIGINT/SIGTERM handlers
	if started != nil {
		started(srv.Addr())
	}
	sig := <-done
	logger.Info("stopping", slog.String("signal", fmt.Sprint(sig.Signal)))

	stopCtx, cancel := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancel()
	if err := app.Stop(stopCtx); err != nil {
		logger.Error("stopped with errors", slog.String("error", err.Error()))
		return 1
	}
	logger.Info("stopped")
	return sig.ExitCode
}

// options is the application: the Redis integration, the two clients,
// the embedded fallback, the features and the HTTP server.
func options() fx.Option {
	return fx.Options(
		fxmodule.Module, // configuration, the health handler (name:"health")
		otlp.Module,     // traces, metrics and logs over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set
		fx.Provide(
			rediscache.Client("cache"), // redis.UniversalClient from ConnectionStrings:cache
			keyed.Client("chat"),       // redis.UniversalClient `name:"chat"` from ConnectionStrings:chat
			fx.Annotate(embeddedRedis("cache", "chat"), fx.ResultTags(`group:"`+rediscache.ConfigGroup+`"`)),
			newProducts,
			newChat,
			newServer,
		),
	)
}
