package otlp_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/otlp"
	"github.com/aspirego/redis/telemetry"
)

// Export to the Aspire dashboard (or any OTLP endpoint) as configured by
// the OTEL_* environment variables the AppHost injects.
func ExampleNew() {
	ctx := context.Background()
	providers, err := otlp.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if providers == nil {
		fmt.Println("OTEL_EXPORTER_OTLP_ENDPOINT is not set: nothing is exported")
	}
	defer providers.Shutdown(ctx) // flushes; a nil *Providers does nothing
	providers.SetGlobal()         // clients instrumented with nil providers use them

	// A logger whose records are printed as before and, with an endpoint,
	// exported as OTLP log records (with the trace and span ids of the
	// span in the context passed to InfoContext and friends).
	logger := providers.Logger(slog.Default())
	_ = logger

	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	stop, err := telemetry.Instrument(rdb, telemetry.Config{Name: "cache"})
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	// Output:
	// OTEL_EXPORTER_OTLP_ENDPOINT is not set: nothing is exported
}

// In an fx application, Module does the same beside fxmodule.Module: the
// Redis clients get its TracerProvider and MeterProvider, the graph's
// *slog.Logger exports too, the globals are set on start and everything
// is flushed on stop. Without OTEL_EXPORTER_OTLP_ENDPOINT it exports
// nothing and the clients use the otel globals.
func ExampleModule() {
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		otlp.Module,
		// fx.Provide(rediscache.Client("cache")), ...
		fx.Invoke(func(p *otlp.Providers, tp trace.TracerProvider) {
			fmt.Println("exporting:", p != nil)
		}),
	)
	if err := app.Err(); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		log.Fatal(err)
	}
	if err := app.Stop(ctx); err != nil { // flushes
		log.Fatal(err)
	}
	// Output:
	// exporting: false
}
