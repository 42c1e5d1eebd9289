// An Aspire AppHost written in Go (Aspire 13.4 and later): `aspire new
// aspire-go-starter` creates one, and the Aspire CLI generates the
// apphost/modules/aspire package it imports. It lives under testdata
// because that package exists only in an Aspire project; the names are
// those of microsoft/aspire's go-starter template and Go code generator.
package main

import (
	"log"

	"apphost/modules/aspire"
)

func main() {
	builder, err := aspire.CreateBuilder()
	if err != nil {
		log.Fatal(aspire.FormatError(err))
	}

	// Redis; or builder.AddValkey("cache"), or builder.AddGarnet("cache").
	cache := builder.AddRedis("cache")

	builder.AddGoApp("api", "./api").
		WithModTidy().
		WithReference(cache). // ConnectionStrings__cache, CACHE_HOST, CACHE_PORT, CACHE_PASSWORD, CACHE_URI
		WaitFor(cache).
		WithHttpEndpoint(&aspire.WithHttpEndpointOptions{Env: aspire.StringPtr("PORT")}).
		WithHttpHealthCheck(&aspire.WithHttpHealthCheckOptions{Path: aspire.StringPtr("/health")}).
		WithExternalHttpEndpoints().
		WithOtlpExporter() // OTEL_*: AddGoApp adds it already, AddExecutable does not

	if err := builder.Err(); err != nil {
		log.Fatal(aspire.FormatError(err))
	}
	app, err := builder.Build()
	if err != nil {
		log.Fatal(aspire.FormatError(err))
	}
	if err := app.Run(); err != nil {
		log.Fatal(aspire.FormatError(err))
	}
}
