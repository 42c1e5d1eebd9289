package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	// Lifecycle logs (client built, closed) go to stderr; the story goes to out.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	extra, stop, err := embeddedRedisUnlessConfigured(out)
	if err != nil {
		return err
	}
	defer stop()

	// Spans go to an in-process recorder that prints them at the end; a
	// real service would add otlp.Module to export them to the Aspire
	// dashboard instead.
	spans := &spanPrinter{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))

	app := fx.New(
		fx.NopLogger,
		fx.Supply(logger),
		fx.Supply(fx.Annotate(tp, fx.As(new(trace.TracerProvider)))),
		fxmodule.Module,                        // configuration, /health, /alive
		fx.Provide(rediscache.Client("cache")), // the one line: redis.UniversalClient from ConnectionStrings:cache
		extra,
		fx.Invoke(func(lc fx.Lifecycle, rdb redis.UniversalClient, h health) {
			lc.Append(fx.StartHook(func(ctx context.Context) error { return useRedis(ctx, out, rdb, h.Handler) }))
		}),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := app.Start(ctx); err != nil {
		return err
	}
	if err := app.Stop(ctx); err != nil {
		return err
	}
	_ = tp.Shutdown(ctx)
	spans.print(out)
	return nil
}

// health is the handler fxmodule provides for /health and /alive.
type health struct {
	fx.In
	Handler http.Handler `name:"health"`
}

// embeddedRedisUnlessConfigured starts miniredis when no connection for
// "cache" is configured, and returns the fx option that points the client
// at it.
func embeddedRedisUnlessConfigured(out io.Writer) (fx.Option, func(), error) {
	cfg, err := settings.LoadConfig(settings.LoadOptions{})
	if err != nil {
		return nil, nil, err
	}
	res, err := settings.Resolve(cfg, "cache")
	switch {
	case err == nil:
		fmt.Fprintf(out, "using the configured Redis: %s (from %s)\n", res.Connection, res.Source)
		return fx.Options(), func() {}, nil
	case !errors.Is(err, settings.ErrNoEndpoints):
		return nil, nil, err
	}
	srv := miniredis.NewMiniRedis()
	if err := srv.Start(); err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(out, "no ConnectionStrings:cache configured: started an embedded Redis (miniredis) on %s\n", srv.Addr())
	overlay, err := settings.NewConfig(map[string]any{"ConnectionStrings:cache": srv.Addr() + ",setlib=false"})
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	return fx.Supply(fx.Annotated{Group: rediscache.ConfigGroup, Target: overlay}), srv.Close, nil
}

// useRedis is the service's work: a few commands and a health probe.
func useRedis(ctx context.Context, out io.Writer, rdb redis.UniversalClient, h http.Handler) error {
	if err := rdb.Set(ctx, "quickstart:greeting", "hello from Go", time.Minute).Err(); err != nil {
		return fmt.Errorf("SET: %w", err)
	}
	greeting, err := rdb.Get(ctx, "quickstart:greeting").Result()
	if err != nil {
		return fmt.Errorf("GET: %w", err)
	}
	visits, err := rdb.Incr(ctx, "quickstart:visits").Result()
	if err != nil {
		return fmt.Errorf("INCR: %w", err)
	}
	if _, err := rdb.Get(ctx, "quickstart:missing").Result(); !errors.Is(err, redis.Nil) {
		return fmt.Errorf("GET of a missing key: %v", err)
	}
	pipe := rdb.Pipeline()
	pipe.HSet(ctx, "quickstart:user:1", "name", "Ada")
	pipe.Expire(ctx, "quickstart:user:1", time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	fmt.Fprintf(out, "GET quickstart:greeting = %q, visits = %d\n", greeting, visits)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	fmt.Fprintf(out, "GET /health -> %d %s\n", rec.Code, rec.Body)
	return nil
}

// spanPrinter records finished spans and prints one line for each.
type spanPrinter struct{ spans []sdktrace.ReadOnlySpan }

func (p *spanPrinter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	p.spans = append(p.spans, s...)
	return nil
}

func (p *spanPrinter) Shutdown(context.Context) error { return nil }

func (p *spanPrinter) print(out io.Writer) {
	fmt.Fprintf(out, "spans (%d):\n", len(p.spans))
	for _, s := range p.spans {
		attrs := make([]string, 0, len(s.Attributes()))
		for _, kv := range s.Attributes() {
			attrs = append(attrs, string(kv.Key)+"="+value(kv.Value))
		}
		sort.Strings(attrs)
		fmt.Fprintf(out, "  %-12s %-6s %s\n", s.Name(), s.Status().Code, strings.Join(attrs, " "))
	}
}

func value(v attribute.Value) string { return v.String() }
