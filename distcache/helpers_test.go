package distcache_test

import (
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/testlog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testlog.Main(m)) }

// Sources of the golden entries (docs/distributed-cache.md lists them):
//
//	[EXT]  dotnet/extensions@4faba0e3d1aff81ba7c4227564471ad50d1144dc
//	       src/Caching/StackExchangeRedis/src/RedisCache.cs: the Lua write path (HMSET, EXPIRE)
//	[ASP]  dotnet/aspnetcore@8d116707db029fd3e65d6365bead225ddc4aa87d
//	       src/Caching/StackExchangeRedis/src/RedisCache.cs: the HSET + EXPIRE write path (.NET 9+)
//	[HYB]  dotnet/extensions@5862342c9a100ca33f5d1f2bd58c511bde1e8f40
//	       src/Libraries/Microsoft.Extensions.Caching.Hybrid/Internal/HybridCachePayload.cs
//	[L2]   same commit, .../Internal/DefaultHybridCache.L2.cs

// goldenNow is 2026-12-06T23:00:00Z, 639321948000000000 ticks.
var goldenNow = time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mini starts a miniredis and a client for it, both closed when the test
// ends.
func mini(t *testing.T) (*miniredis.Miniredis, redis.UniversalClient) {
	t.Helper()
	srv := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), DisableIdentity: true})
	t.Cleanup(func() { _ = client.Close() })
	return srv, client
}

// ttlOf is the key's TTL on a miniredis, 0 for none.
func ttlOf(srv *miniredis.Miniredis, key string) time.Duration { return srv.TTL(key) }
