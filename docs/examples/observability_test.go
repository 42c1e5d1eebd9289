package docs_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// printSpans prints each span's name, kind, status and attributes, with
// miniredis's port shown as PORT.
func printSpans(spans tracetest.SpanStubs, port string) {
	for _, s := range spans {
		var attrs []string
		for _, kv := range s.Attributes {
			attrs = append(attrs, string(kv.Key)+"="+kv.Value.String())
		}
		slices.Sort(attrs)
		line := fmt.Sprintf("%s %s %s %s", s.Name, s.SpanKind, s.Status.Code, strings.Join(attrs, " "))
		fmt.Println(strings.ReplaceAll(line, port, "PORT"))
	}
}

// Spans go to the TracerProvider in the fx container when there is one;
// otherwise to the otel global.
func Example_tracing() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	defer setenv("ConnectionStrings__cache", connectionString)()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	var rdb redis.UniversalClient
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Supply(fx.Annotate(tp, fx.As(new(trace.TracerProvider)))), // the clients' tracer provider
		fx.Provide(rediscache.Client("cache")),
		fx.Populate(&rdb),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)

	rdb.Set(ctx, "user:42", "Ada", 0)
	rdb.Get(ctx, "missing")        // redis.Nil is not an error
	rdb.LPush(ctx, "user:42", "x") // WRONGTYPE
	rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "visits")
		p.Expire(ctx, "visits", 0)
		return nil
	})
	printSpans(spans.GetSpans(), srv.Port())
	// Output:
	// SET client Unset db.namespace=0 db.operation.name=SET db.system.name=redis db.system=redis server.address=127.0.0.1 server.port=PORT
	// GET client Unset db.namespace=0 db.operation.name=GET db.system.name=redis db.system=redis server.address=127.0.0.1 server.port=PORT
	// LPUSH client Error db.namespace=0 db.operation.name=LPUSH db.response.status_code=WRONGTYPE db.system.name=redis db.system=redis error.type=WRONGTYPE server.address=127.0.0.1 server.port=PORT
	// PIPELINE client Unset db.namespace=0 db.operation.batch.size=2 db.operation.name=PIPELINE db.system.name=redis db.system=redis server.address=127.0.0.1 server.port=PORT
}

// RecordQueryText adds a sanitised db.query.text: the key, and "?" for
// every other argument.
func Example_queryText() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	defer setenv("ConnectionStrings__cache", connectionString)()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	var rdb redis.UniversalClient
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Supply(fx.Annotate(tp, fx.As(new(trace.TracerProvider)))),
		fx.Provide(rediscache.Client("cache", settings.RecordQueryText())),
		fx.Populate(&rdb),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)

	rdb.Set(ctx, "user:42", "Ada Lovelace", 0)
	rdb.HSet(ctx, "session:7", "token", "s3cret")
	for _, s := range spans.GetSpans() {
		for _, kv := range s.Attributes {
			if kv.Key == "db.query.text" {
				fmt.Println(s.Name, kv.Value.String())
			}
		}
	}
	// Output:
	// SET SET user:42 ?
	// HSET HSET session:7 ? ?
}

// Metrics go to the MeterProvider in the container: the operation
// duration histogram and the connection pool.
func Example_metrics() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	defer setenv("ConnectionStrings__cache", connectionString)()

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	var rdb redis.UniversalClient
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Supply(fx.Annotate(mp, fx.As(new(metric.MeterProvider)))), // the clients' meter provider
		fx.Provide(rediscache.Client("cache")),
		fx.Populate(&rdb),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)
	rdb.Set(ctx, "k", "v", 0)
	rdb.Get(ctx, "k")

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		fmt.Println(err)
		return
	}
	for _, sm := range rm.ScopeMetrics {
		fmt.Println("scope:", sm.Scope.Name)
		for _, m := range sm.Metrics {
			fmt.Printf("  %s (%s)\n", m.Name, m.Unit)
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
				var points []string
				for _, dp := range h.DataPoints {
					var attrs []string
					for _, kv := range dp.Attributes.ToSlice() {
						attrs = append(attrs, string(kv.Key)+"="+kv.Value.String())
					}
					points = append(points, fmt.Sprintf("    count=%d %s", dp.Count, strings.ReplaceAll(strings.Join(attrs, " "), srv.Port(), "PORT")))
				}
				slices.Sort(points)
				fmt.Println(strings.Join(points, "\n"))
			}
		}
	}
	// Output:
	// scope: github.com/aspirego/redis/telemetry
	//   db.client.operation.duration (s)
	//     count=1 db.namespace=0 db.operation.name=GET db.system.name=redis server.address=127.0.0.1 server.port=PORT
	//     count=1 db.namespace=0 db.operation.name=SET db.system.name=redis server.address=127.0.0.1 server.port=PORT
	//   db.client.connection.count ({connection})
	//   db.client.connection.max ({connection})
	//   db.client.connection.idle.min ({connection})
	//   db.client.connection.pending_requests ({request})
	//   db.client.connection.timeouts ({timeout})
	//   redis.client.connection.wait_time (s)
	//   redis.client.connection.waits ({wait})
}

// DisableTracing and DisableMetrics, from configuration or code, install
// no hook at all.
func Example_disableTelemetry() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	defer setenv(
		"ConnectionStrings__cache", connectionString,
		"Aspire__StackExchange__Redis__cache__DisableTracing", "true",
	)()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	var rdb redis.UniversalClient
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Supply(fx.Annotate(tp, fx.As(new(trace.TracerProvider)))),
		fx.Provide(rediscache.Client("cache", settings.DisableMetrics())),
		fx.Populate(&rdb),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)
	rdb.Set(ctx, "k", "v", 0)
	fmt.Println("spans:", len(spans.GetSpans()))
	// Output:
	// spans: 0
}

// UseRedisotel (or the Redisotel key) instruments the client with
// go-redis's redisotel instead, for dashboards built on its names.
func Example_redisotel() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	defer setenv(
		"ConnectionStrings__cache", connectionString,
		"Aspire__StackExchange__Redis__cache__Redisotel", "true",
	)()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	var rdb redis.UniversalClient
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Supply(fx.Annotate(tp, fx.As(new(trace.TracerProvider)))),
		fx.Provide(rediscache.Client("cache")),
		fx.Populate(&rdb),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)
	rdb.Set(ctx, "k", "v", 0)
	printSpans(spans.GetSpans(), srv.Port())
	// Output:
	// hello client Unset db.connection_string=redis://127.0.0.1:PORT db.system=redis server.address=127.0.0.1 server.port=PORT
	// set client Unset db.connection_string=redis://127.0.0.1:PORT db.system=redis server.address=127.0.0.1 server.port=PORT
}
