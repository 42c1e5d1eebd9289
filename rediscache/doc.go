// Package rediscache gives a service its go-redis client for a named connection.
// Call fx.Provide(rediscache.Client("cache")) first; New is the same without fx.
//
// It builds clients the way .NET Aspire's AddRedisClient builds
// StackExchange.Redis multiplexers: from a named connection in
// configuration, instrumented with OpenTelemetry, health-checked, and tied
// to the application's lifecycle.
//
// # With fx
//
//	fx.New(
//		fxmodule.Module,                        // configuration, /health, telemetry wiring
//		fx.Provide(rediscache.Client("cache")), // redis.UniversalClient from ConnectionStrings:cache
//		fx.Invoke(func(rdb redis.UniversalClient) { /* ... */ }),
//	)
//
// Client resolves the connection called "cache" with the Aspire
// precedence (see package settings): ConnectionStrings:cache, the
// Aspire:StackExchange:Redis and Aspire:StackExchange:Redis:cache sections,
// the CACHE_URI / CACHE_HOST+CACHE_PORT connection properties, then the
// option funcs passed to Client. The client is a *redis.Client for one
// endpoint or a sentinel service, a *redis.ClusterClient for several.
// Its health check, redis_cache, joins the healthcheck.Group value group.
// For more clients, use package keyed.
//
// # Several endpoints and command maps
//
// Several endpoints may be a Redis Cluster or, as StackExchange.Redis
// allows, a primary and its replicas: the client discovers which at its
// first command (ROLE), sends writes to the endpoint that reports itself
// primary, and follows role changes; it logs what it found. A connection
// string's command map ($GET=MYGET, $FLUSHALL=) renames commands on the
// wire and refuses disabled ones (ErrCommandDisabled).
//
// # Without fx
//
// Everything Client does is callable in plain Go:
//
//	cfg, err := settings.LoadConfig(settings.LoadOptions{})
//	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg})
//	defer inst.Close()
//	err = inst.Start(ctx) // PING at start-up, when the settings ask for it
//	inst.Client.Set(ctx, "k", "v", 0)
//
// # Lifecycle
//
// go-redis does not dial at construction, and neither does New. With
// abortConnect=true or DisableAutoActivation=false, Start (fx OnStart)
// sends one PING bounded by the start context; with abortConnect=true its
// failure aborts start-up with an *Error naming the client (ErrConnect). By
// default (abortConnect=false, as in Aspire) the application starts while
// Redis is down, health reports Unhealthy, and commands succeed once Redis
// is back. Close (fx OnStop) closes the client and unregisters its
// telemetry.
//
// # Timeouts
//
// Every command and pipeline is bounded by syncTimeout (go-redis's
// ReadTimeout and WriteTimeout), or by the caller's context deadline when
// that is sooner, whatever the connection is doing: a TCP connect that
// hangs, a server that never answers, retries and back-off included, as
// StackExchange.Redis bounds every synchronous call. Running out of it is
// a *CommandTimeoutError. Blocking commands (BLPOP, XREAD BLOCK, WAIT, ...)
// get their own timeout on top. See docs/reliability.md.
//
// # Logging
//
// Lifecycle events (built, connected, closed) go to the *slog.Logger in the
// container, or slog.Default(), with the attribute redis.client=<name>;
// go-redis's own log lines go there too, with every known password
// scrubbed. No password is ever logged.
//
// # Multiplexed mode
//
// With Settings.AutoPipelining or Settings.ClientSideCaching, Client is a
// redis.UniversalClient in front of go-redis's auto-pipeliner and/or
// client-side cache that still records every command under its caller
// (see docs/multiplexing.md). The
// health check PINGs the client underneath, and the log line "redis
// client built" names the mode.
//
// # How a client is built
//
// Each feature that shapes a client (deadlines, telemetry, discovery,
// command maps, extensions, ...) is a layer; New installs the layers in one
// order, shown with the path from a connection name to a live client in
// docs/architecture.md.
//
// For unit tests of services that use these clients, see package
// rediscachetest.
package rediscache
