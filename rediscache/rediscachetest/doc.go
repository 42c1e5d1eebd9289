// Package rediscachetest helps unit-test services that use
// rediscache.Client and keyed.Client: it starts an in-memory Redis
// (miniredis) for a test and points the named clients at it.
//
//	srv, opt := rediscachetest.Start(t, "cache")
//	app := fxtest.New(t, opt, fx.Provide(rediscache.Client("cache")), fx.Invoke(useCache))
//	app.RequireStart()
//	defer app.RequireStop()
//
// The returned fx.Option lays a configuration over whatever the
// application loads (files, environment), so the service's own module
// stays as it is in production. Telemetry keeps working: pass your own
// providers into the container to observe spans.
package rediscachetest
