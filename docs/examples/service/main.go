package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/otlp"
	"github.com/aspirego/redis/rediscache"
)

func main() {
	fx.New(app()).Run() // runs until SIGINT or SIGTERM, then stops everything
}

// app is the whole service.
func app() fx.Option {
	return fx.Options(
		fxmodule.Module,                        // configuration, /health and /alive
		otlp.Module,                            // traces and metrics over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set
		fx.Provide(rediscache.Client("cache")), // redis.UniversalClient from ConnectionStrings:cache
		fx.Provide(newMux),
		fx.Invoke(serve),
	)
}

// muxParams are what the routes need: the client and fxmodule's health
// handler.
type muxParams struct {
	fx.In
	Redis  redis.UniversalClient
	Health http.Handler `name:"health"`
}

func newMux(p muxParams) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /health", p.Health) // every check: is Redis reachable?
	mux.Handle("GET /alive", p.Health)  // liveness: the process answers
	mux.HandleFunc("GET /visits/{page}", func(w http.ResponseWriter, r *http.Request) {
		n, err := p.Redis.Incr(r.Context(), "visits:"+r.PathValue("page")).Result()
		if err != nil {
			http.Error(w, "redis: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, n)
	})
	return mux
}

// serve runs the HTTP server from start to stop, on $PORT (8080 by
// default), the variable an AppHost sets with WithHttpEndpoint(env: "PORT").
func serve(lc fx.Lifecycle, mux *http.ServeMux) {
	addr := ":8080"
	if port := os.Getenv("PORT"); port != "" {
		addr = net.JoinHostPort(os.Getenv("HOST"), port)
	}
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
			if err != nil {
				return err
			}
			slog.Info("listening", "address", ln.Addr().String())
			go func() {
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					slog.Error("http server", "error", err)
				}
			}()
			return nil
		},
		OnStop: srv.Shutdown, // waits for requests in flight
	})
}
