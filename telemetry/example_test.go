package telemetry_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"sort"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aspirego/redis/internal/untraced"
	"github.com/aspirego/redis/telemetry"
)

// A client instrumented with SDK providers: every command is a client
// span named after it.
func ExampleInstrument() {
	mr, _ := miniredis.Run()
	defer mr.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	rdb := redis.NewClient(&redis.Options{
		Addr: mr.Addr(),
		// miniredis knows neither CLIENT SETINFO nor MAINT_NOTIFICATIONS.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	defer rdb.Close()
	stop, err := telemetry.Instrument(rdb, telemetry.Config{Name: "cache", TracerProvider: tp, DisableMetrics: true})
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	ctx := context.Background()
	rdb.Set(ctx, "greeting", "hello", 0)
	rdb.Get(ctx, "missing") // redis.Nil: not an error
	rdb.LPush(ctx, "greeting", "x")
	rdb.Ping(untraced.Context(ctx)) // e.g. a health check: not recorded
	rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "a")
		p.Incr(ctx, "b")
		return nil
	})

	for _, s := range spans.GetSpans() {
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[string(kv.Key)] = kv.Value.String()
		}
		fmt.Printf("%s kind=%s db.system.name=%s db.operation.name=%s db.namespace=%s status=%s error.type=%q batch=%q\n",
			s.Name, s.SpanKind, attrs["db.system.name"], attrs["db.operation.name"], attrs["db.namespace"],
			s.Status.Code, attrs["error.type"], attrs["db.operation.batch.size"])
	}
	// Output:
	// SET kind=client db.system.name=redis db.operation.name=SET db.namespace=0 status=Unset error.type="" batch=""
	// GET kind=client db.system.name=redis db.operation.name=GET db.namespace=0 status=Unset error.type="" batch=""
	// LPUSH kind=client db.system.name=redis db.operation.name=LPUSH db.namespace=0 status=Error error.type="WRONGTYPE" batch=""
	// PIPELINE INCR kind=client db.system.name=redis db.operation.name=PIPELINE INCR db.namespace=0 status=Unset error.type="" batch="2"
}

// The metrics of an instrumented client.
func ExampleInstrument_metrics() {
	mr, _ := miniredis.Run()
	defer mr.Close()

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	rdb := redis.NewClient(&redis.Options{
		Addr:                     mr.Addr(),
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	defer rdb.Close()
	stop, err := telemetry.Instrument(rdb, telemetry.Config{Name: "cache", MeterProvider: mp, DisableTracing: true})
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	rdb.Get(context.Background(), "k")

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	var lines []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			lines = append(lines, fmt.Sprintf("%s (%s)", m.Name, m.Unit))
		}
	}
	sort.Strings(lines)
	fmt.Println(slices.Compact(lines))
	// Output:
	// [db.client.connection.count ({connection}) db.client.connection.idle.min ({connection}) db.client.connection.max ({connection}) db.client.connection.pending_requests ({request}) db.client.connection.timeouts ({timeout}) db.client.operation.duration (s) redis.client.connection.wait_time (s) redis.client.connection.waits ({wait})]
}
