package docs_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// Auto-pipelining from configuration, as a .NET service's
// ConnectionMultiplexer would share one pipelined connection.
func Example_autoPipelining() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	defer setenv(
		"ConnectionStrings__cache", connectionString,
		"Aspire__StackExchange__Redis__cache__AutoPipelining", "true",
	)()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.Background())

	cfg, err := settings.LoadConfig(settings.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg, TracerProvider: tp})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Close()
	var rdb redis.UniversalClient = inst.Client

	// Concurrent callers share pipelines; each command is still its own
	// span, a child of its caller's.
	tracer := tp.Tracer("shop")
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			ctx, span := tracer.Start(context.Background(), "handle request")
			defer span.End()
			rdb.Incr(ctx, fmt.Sprintf("visits:%d", i%2))
		})
	}
	wg.Wait()

	incr := 0
	for _, s := range spans.GetSpans() {
		if s.Name == "INCR" && s.Parent.IsValid() {
			incr++
		}
	}
	fmt.Println("AutoPipelining:", inst.Resolved.Settings.AutoPipelining)
	fmt.Println("INCR spans under their callers:", incr)
	fmt.Println(rdb.Get(context.Background(), "visits:0").Val(), rdb.Get(context.Background(), "visits:1").Val())
	// Output:
	// AutoPipelining: true
	// INCR spans under their callers: 10
	// 5 5
}

// The same in code, with the client-side cache too.
func Example_multiplexedInCode() {
	srv, connectionString := startMiniredis()
	defer srv.Close()

	inst, err := rediscache.New("cache", rediscache.Deps{},
		settings.WithConnectionString(connectionString),
		settings.EnableAutoPipelining(),
		settings.EnableClientSideCaching(),
		func(s *settings.Settings) {
			s.AutoPipeliningBatchSize = 100
			s.ClientSideCacheSize = 5000
		},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Close()
	fmt.Println(inst.Client.Set(context.Background(), "greeting", "hello", 0).Err())
	// Output:
	// <nil>
}
