// Command quickstart is the first program to run: a service that gets a
// configured, instrumented, health-checked Redis client from one line of
// fx wiring, uses it, shows its health and its spans, and exits.
//
//	go run ./examples/quickstart
//
// With nothing configured it starts an embedded in-memory Redis
// (miniredis) and says so. Point it at a real server the way an Aspire
// AppHost would:
//
//	ConnectionStrings__cache=localhost:6379 go run ./examples/quickstart
//	CACHE_URI=redis://:secret@localhost:6379 go run ./examples/quickstart
//
// or with an appsettings.json in the working directory:
//
//	{ "ConnectionStrings": { "cache": "localhost:6379,password=secret" } }
package main
