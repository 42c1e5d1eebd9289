// Package fxmodule wires the Redis integration into an uber fx
// application through one value, [Module], added before the clients.
//
// Module loads configuration the way a .NET host does and collects every
// client's health check behind one HTTP handler. OTLP export for the
// Aspire dashboard is github.com/aspirego/redis/otlp's Module, added
// beside this one.
//
//	fx.New(
//		fxmodule.Module,
//		fx.Provide(rediscache.Client("cache")),
//		fx.Provide(keyed.Client("chat")),
//		fx.Invoke(run),
//	)
//
// # Configuration
//
// Module provides a *settings.Config loaded from appsettings.json,
// appsettings.{Environment}.json (working directory) and the environment,
// later winning, keys case-insensitive (see settings.LoadConfig). A
// service that has its own configuration replaces it with
// fx.Replace(cfg), cfg built by settings.NewConfig.
//
// # Health
//
// Module provides an http.Handler tagged name:"health" that serves
// /health (every check) and /alive (checks tagged live), built from the
// healthcheck.Group value group, into which every client puts its
// check (redis_<name>, redis_keyed_<name> for a keyed client). Because
// the handler takes the whole group, fx builds every client in fx.New,
// and a client without a connection fails fx.New even if nothing injects
// it. Mount it on your own mux:
//
//	fx.Invoke(fx.Annotate(func(mux *http.ServeMux, h http.Handler) {
//		mux.Handle("/health", h)
//		mux.Handle("/alive", h)
//	}, fx.ParamTags(``, `name:"health"`)))
//
// or set the configuration key HealthChecks:Address (for example
// HealthChecks__Address=:8081) and Module serves both paths on that
// address from start to stop. That server bounds every connection (idle
// keep-alive connections are closed after HealthIdleTimeout, slow requests
// after HealthReadHeaderTimeout and HealthReadTimeout) and keeps at most
// HealthMaxConns open at once.
//
// # fx's event logger
//
// Module sets fx's event logger (fx.WithLogger): fx's events go to
// slog.Default() at DEBUG, and a failure at ERROR, once. fx reports one
// constructor error up to four times, at the end of chains of "could not
// build arguments for function ..." lines, and names a constructor made
// with fx.Annotate "reflect".makeFuncStub; this logger logs
//
//	start-up failed: rediscache.Client("cache"): rediscache: client "cache": settings: ...
//
// naming this module's constructors as written in fx.Provide. An
// fx.WithLogger (or fx.NopLogger) after Module replaces it; one before
// Module is replaced by it.
//
// # Telemetry
//
// Module provides no TracerProvider or MeterProvider: clients use the ones
// in the container when present and the otel globals otherwise. Add
// otlp.Module (package github.com/aspirego/redis/otlp) to build SDK
// providers from the OTEL_* variables an Aspire AppHost injects: traces,
// metrics, and the application's slog records as OTLP logs. It is a
// separate package so that this one does not link the OpenTelemetry SDK,
// the exporters and gRPC (internal/depcheck checks it).
package fxmodule
