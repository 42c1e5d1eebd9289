package multiplex_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/multiplex"
)

// An auto-pipelined client whose commands are traced one by one under
// their callers, although go-redis sends them in shared batches.
func ExampleInstrument() {
	mr, _ := miniredis.Run()
	defer mr.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	base := redis.NewClient(&redis.Options{
		Addr:                     mr.Addr(),
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	ap, err := base.AutoPipeline()
	if err != nil {
		fmt.Println(err)
		return
	}
	rdb, stop, err := multiplex.Instrument(multiplex.Multiplexed{Base: base, Front: ap},
		instrument.Config{Name: "cache", TracerProvider: tp, DisableMetrics: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	defer rdb.Close() // closes the auto-pipeliner, then base

	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			ctx, span := tp.Tracer("app").Start(context.Background(), fmt.Sprint("request ", i))
			defer span.End()
			rdb.Set(ctx, fmt.Sprint("k", i), "v", 0)
		})
	}
	wg.Wait()

	parents := map[string]string{}
	for _, s := range spans.GetSpans() {
		parents[s.SpanContext.SpanID().String()] = s.Name
	}
	for _, s := range spans.GetSpans() {
		if s.Name == "SET" {
			fmt.Println("SET under", parents[s.Parent.SpanID().String()][:7])
		}
	}
	// Output:
	// SET under request
	// SET under request
	// SET under request
}
