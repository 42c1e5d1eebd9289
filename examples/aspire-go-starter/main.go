package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/otlp"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

const (
	cacheKey    = "weatherforecast"
	cacheTTL    = 5 * time.Second
	defaultPort = "8080"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	fxErrors := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fx.New(
		fx.WithLogger(func() fxevent.Logger { return &fxevent.SlogLogger{Logger: fxErrors} }),
		fx.Supply(logger),
		options(),
	).Run() // until SIGINT or SIGTERM (the AppHost stops it so); exits 1 when it cannot start
}

// options is the API: the Redis integration, the optional cache client and
// the HTTP server.
func options() fx.Option {
	return fx.Options(
		fxmodule.Module, // configuration (environment, appsettings*.json), the /health handler
		otlp.Module,     // traces, metrics and logs over OTLP, as the OTEL_* variables say
		fx.Provide(fx.Annotate(cacheOrNone, fx.ResultTags(``, rediscache.GroupTag))),
		fx.Invoke(serve),
	)
}

// cacheOrNone is rediscache.Client("cache") when a connection for "cache"
// is configured, and no client (nil) when none is: the API then runs
// without a cache, as the starter does without ConnectionStrings__cache. A
// connection that is configured wrongly is not "none": its error stops the
// start-up.
func cacheOrNone(p rediscache.Params) (redis.UniversalClient, []healthcheck.Check, error) {
	cfg := p.Config
	for _, o := range p.Overlays { // rediscachetest's, in a test
		cfg = cfg.Merge(o)
	}
	if _, err := settings.Resolve(cfg, "cache"); errors.Is(err, settings.ErrNoEndpoints) {
		p.Logger.Warn("no Redis connection configured: running without a cache",
			slog.String("configure", settings.ConnectionStringsKey+"__cache=host:port[,password=...] or CACHE_URI"))
		return nil, nil, nil
	}
	return rediscache.Constructor("cache")(p)
}

type serveParams struct {
	fx.In
	Lifecycle      fx.Lifecycle
	Config         *settings.Config
	Cache          redis.UniversalClient // nil: no cache
	Health         http.Handler          `name:"health"`
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Logger         *slog.Logger
}

// serve runs the HTTP server from start to stop.
func serve(p serveParams) error {
	port, _ := p.Config.String("PORT") // WithHttpEndpoint(env: "PORT")
	if port == "" {
		port = defaultPort
	}
	lookups, err := p.MeterProvider.Meter("aspired-api").Int64Counter("aspired.api.cache.requests",
		metric.WithDescription("Weather forecast cache lookups by result"),
		metric.WithUnit("{request}"))
	if err != nil {
		return err
	}
	a := &api{cache: p.Cache, lookups: lookups, logger: p.Logger}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/weatherforecast", a.weatherforecast)
	mux.Handle("/health", p.Health)
	mux.Handle("/alive", p.Health)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { // the starter's / answers as /health
		r = r.Clone(r.Context())
		r.URL.Path = "/health"
		p.Health.ServeHTTP(w, r)
	})
	srv := &http.Server{
		Handler: otelhttp.NewHandler(mux, "api",
			otelhttp.WithTracerProvider(p.TracerProvider),
			otelhttp.WithMeterProvider(p.MeterProvider),
			otelhttp.WithPropagators(propagation.TraceContext{}), // a .NET caller's trace goes on here
			// Health probes are not traced, as in Aspire's ServiceDefaults.
			otelhttp.WithFilter(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") })),
		ReadHeaderTimeout: 5 * time.Second,
	}
	done := make(chan struct{})
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", ":"+port)
			if err != nil {
				return err
			}
			p.Logger.Info("api listening", slog.String("address", ln.Addr().String()))
			go func() {
				defer close(done)
				if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
					p.Logger.Error("HTTP server failed", slog.String("error", err.Error()))
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error {
			err := srv.Shutdown(ctx) // requests in flight finish; the Redis client closes after
			<-done
			return err
		},
	})
	return nil
}

// api serves the weather forecast.
type api struct {
	cache   redis.UniversalClient // nil: no cache
	lookups metric.Int64Counter
	logger  *slog.Logger
}

var (
	hit  = metric.WithAttributes(attribute.String("result", "hit"))
	miss = metric.WithAttributes(attribute.String("result", "miss"))
	skip = metric.WithAttributes(attribute.String("result", "skip"))
)

type forecast struct {
	Date         string `json:"date"`
	TemperatureC int    `json:"temperatureC"`
	TemperatureF int    `json:"temperatureF"`
	Summary      string `json:"summary"`
}

var summaries = []string{
	"Freezing", "Bracing", "Chilly", "Cool", "Mild",
	"Warm", "Balmy", "Hot", "Sweltering", "Scorching",
}

// weatherforecast reads the forecast through the cache: a hit is served
// as cached; a miss (or a cache that fails) makes a new one, cached for
// cacheTTL.
func (a *api) weatherforecast(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if a.cache == nil {
		a.lookups.Add(ctx, 1, skip)
	} else {
		cached, err := a.cache.Get(ctx, cacheKey).Bytes()
		if err == nil {
			a.lookups.Add(ctx, 1, hit)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(cached)
			return
		}
		a.lookups.Add(ctx, 1, miss)
		if !errors.Is(err, redis.Nil) {
			a.logger.WarnContext(ctx, "cache read failed: serving a new forecast", slog.String("error", err.Error()))
		}
	}

	forecasts := make([]forecast, 5)
	for i := range forecasts {
		tempC := rand.IntN(75) - 20
		forecasts[i] = forecast{
			Date:         time.Now().AddDate(0, 0, i+1).Format("2006-01-02"),
			TemperatureC: tempC,
			TemperatureF: tempC*9/5 + 32,
			Summary:      summaries[rand.IntN(len(summaries))],
		}
	}
	body, err := json.Marshal(forecasts)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if a.cache != nil {
		if err := a.cache.Set(ctx, cacheKey, body, cacheTTL).Err(); err != nil {
			a.logger.WarnContext(ctx, "cache write failed", slog.String("error", err.Error()))
		} else {
			a.logger.InfoContext(ctx, "forecast cached", slog.String("key", cacheKey), slog.Duration("ttl", cacheTTL))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
