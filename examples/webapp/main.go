// Command webapp is a small HTTP service built on two Redis connections,
// the way a Go service runs beside .NET services in an Aspire application:
//
//	GET  /products/{id}  cache-aside on the "cache" connection: read from
//	                     Redis, else load from a slow store and cache with a
//	                     TTL; the X-Cache response header says HIT, MISS,
//	                     or BYPASS when Redis failed and the store answered
//	POST /messages       append {"user": "...", "text": "..."} to a chat
//	                     feed on the "chat" connection (the last 100 are kept)
//	GET  /messages       the feed, newest first
//	GET  /health         every health check, Redis included (200 or 503)
//	GET  /alive          liveness only (200 while the process runs)
//
// Run it with nothing configured and it starts an embedded in-memory Redis
// (miniredis) for each connection that is missing, and says so on stderr:
//
//	go run ./examples/webapp
//	curl -i localhost:8080/products/1
//
// Point it at real servers with the variables an Aspire AppHost injects
// (or an appsettings.json in the working directory):
//
//	ConnectionStrings__cache=localhost:6379 \
//	ConnectionStrings__chat=localhost:6380,password=secret \
//	go run ./examples/webapp
//
// Configuration, read like a .NET host reads it (appsettings.json,
// appsettings.{Environment}.json, then environment variables):
//
//	ConnectionStrings:cache   the cache connection (or CACHE_URI, CACHE_HOST...)
//	ConnectionStrings:chat    the chat connection (or CHAT_URI, CHAT_HOST...)
//	Http:Address              listen address, e.g. 127.0.0.1:9000 (env Http__Address)
//	PORT                      listen on :PORT when Http:Address is not set
//	                          (what WithHttpEndpoint(env: "PORT") sets);
//	                          the default is localhost:8080
//	Products:CacheTTL         how long a product stays cached (default 1m)
//	Products:LoadDelay        how slow the fake store is (default 300ms)
//	OTEL_EXPORTER_OTLP_ENDPOINT  export traces, metrics and logs over OTLP
//	                          (set by an Aspire AppHost for the dashboard)
//
// SIGINT or SIGTERM stops it gracefully: requests in flight finish, then the
// Redis clients close. See README.md for running it under an Aspire AppHost.
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
