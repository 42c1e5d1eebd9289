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
