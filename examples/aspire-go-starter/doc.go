// Command aspire-go-starter is the API of Aspire's Go starter template
// (`aspire new aspire-go-starter`, api/main.go and api/telemetry.go in
// microsoft/aspire's src/Aspire.Cli/Templating/Templates/go-starter) built
// on this library: the same endpoints and behaviour, without reading a
// connection string, an OTLP variable or a health probe by hand.
//
//	GET /api/weatherforecast  five random forecasts, read through the
//	                          "cache" Redis with a 5 s TTL; counted in
//	                          aspired.api.cache.requests{result=hit|miss|skip}
//	GET /health               every health check, Redis included (200 Healthy
//	                          or 503 Unhealthy); / answers the same
//	GET /alive                liveness only
//
// It listens on :PORT (what WithHttpEndpoint(env: "PORT") sets), :8080
// without one. The Redis connection comes from what WithReference(cache)
// injects (ConnectionStrings__cache, else CACHE_URI or CACHE_HOST +
// CACHE_PORT + CACHE_PASSWORD), or appsettings.json; with none of them the
// API runs without a cache, as the starter does. Traces, metrics and logs go
// to the Aspire dashboard as the OTEL_* variables of WithOtlpExporter say.
//
//	go run ./examples/aspire-go-starter
//	ConnectionStrings__cache=localhost:6379 PORT=8080 go run ./examples/aspire-go-starter
//
// See README.md for the comparison with the starter, and
// docs/aspire-apphost.md for the AppHost side (C# or Go).
package main
