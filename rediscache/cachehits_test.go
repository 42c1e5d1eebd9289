package rediscache_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aspirego/redis/internal/multiplex"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// TestClientSideCacheHitsNotRecorded: a read the client-side cache serves
// is no operation against the server, so it gets neither a span nor a
// db.client.operation.duration sample, even though the client's own hooks
// (the command timeout) wrap each command's context before the cache
// sees it.
func TestClientSideCacheHitsNotRecorded(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	for _, ap := range []bool{false, true} {
		t.Run(fmt.Sprintf("autopipelining=%t", ap), func(t *testing.T) {
			rec, tp, reader, mp := sdkRecorders(t)
			logger, _ := newLogger()
			opts := []settings.Option{settings.EnableClientSideCaching()}
			if ap {
				opts = append(opts, settings.EnableAutoPipelining())
			}
			inst, err := rediscache.New("cache", rediscache.Deps{
				Config:         config(t, map[string]any{"ConnectionStrings:cache": srv.Addr}),
				TracerProvider: tp,
				MeterProvider:  mp,
				Logger:         logger,
			}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = inst.Close() })

			ctx := context.Background()
			key := fmt.Sprintf("hits-%t", ap)
			if err := inst.Client.Set(ctx, key, "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if err := inst.Client.Get(ctx, key).Err(); err != nil {
					t.Fatal(err)
				}
			}
			if hits := cacheCounter(t, reader, multiplex.CacheHitsMetric); hits != 9 {
				t.Fatalf("%d cache hits of 10 reads, want 9", hits)
			}
			gets := 0
			for _, s := range rec.Ended() {
				if s.Name() == "GET" {
					gets++
				}
			}
			if gets != 1 {
				t.Errorf("%d GET spans, want 1 (the miss)", gets)
			}
			samples := durationSamples(t, reader)["GET"]
			if samples != 1 {
				t.Errorf("%d GET duration samples, want 1 (the miss)", samples)
			}
		})
	}
}
