package distcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/aspirego/redis/distcache"
)

// BenchmarkRealServer: a plain Get (HMGET), a sliding Get (HMGET and
// PEXPIRE), a HybridCache Get (HMGET, then the tag records in one
// pipeline) and a Set (MULTI HSET EXPIRE EXEC) against a local
// redis-server.
func BenchmarkRealServer(b *testing.B) {
	_, client := realServerB(b, "")
	ctx := context.Background()
	cache := distcache.New(client, distcache.WithInstanceName("bench:"))
	value := make([]byte, 512)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(cache.Set(ctx, "plain", value, distcache.EntryOptions{AbsoluteExpirationRelativeToNow: time.Hour}))
	must(cache.Set(ctx, "sliding", value, distcache.EntryOptions{SlidingExpiration: time.Hour}))
	must(cache.Hybrid().Set(ctx, "hybrid", value, distcache.HybridEntryOptions{Expiration: time.Hour, Tags: []string{"a", "b"}}))
	b.Run("Get", func(b *testing.B) {
		for b.Loop() {
			_, err := cache.Get(ctx, "plain")
			must(err)
		}
	})
	b.Run("Get sliding", func(b *testing.B) {
		for b.Loop() {
			_, err := cache.Get(ctx, "sliding")
			must(err)
		}
	})
	b.Run("Hybrid Get, 2 tags", func(b *testing.B) {
		for b.Loop() {
			_, err := cache.Hybrid().Get(ctx, "hybrid")
			must(err)
		}
	})
	b.Run("Set", func(b *testing.B) {
		for b.Loop() {
			must(cache.Set(ctx, "plain", value, distcache.EntryOptions{AbsoluteExpirationRelativeToNow: time.Hour}))
		}
	})
}
