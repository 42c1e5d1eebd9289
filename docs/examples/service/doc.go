// Command service is the small web service of the documentation: a page
// counter on the "cache" Redis client, with /health and /alive, traces and
// metrics to the Aspire dashboard, and graceful shutdown.
//
//	ConnectionStrings__cache=localhost:6379 PORT=8080 go run ./docs/examples/service
package main
