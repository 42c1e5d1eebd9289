package multiplex

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/testserver"
)

// frontOf returns the front c.reads gives a client (which never dials).
func frontOf(t *testing.T, c *Cache) (*front, *redis.Client) {
	t.Helper()
	base := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", Protocol: 3, DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	t.Cleanup(func() { _ = base.Close() })
	reads, ok := c.reads(base).(cachedReads)
	if !ok {
		t.Fatalf("reads: %T, want cachedReads", c.reads(base))
	}
	return reads.f, base
}

// TestFrontRemovals: every way go-redis's cache loses a value, the front
// loses it too, and a value read before a removal is not stored after it.
// The front matches an invalidation to its value by the name go-redis
// gave the key when it reserved the reply, whatever its form.
func TestFrontRemovals(t *testing.T) {
	const name = "some\x00name of k"
	for _, tc := range []struct {
		name   string
		remove func(c *Cache)
	}{
		{"invalidation", func(c *Cache) { c.DeleteByRedisKey(name) }},
		{"lost connection", func(c *Cache) { c.EvictByConn(7) }},
		{"flush", func(c *Cache) { c.Flush() }},
		{"undecodable reply", func(c *Cache) { c.DeleteByCacheKey("whatever") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCache(100, 0)
			f, _ := frontOf(t, c)

			_, ok, gen := f.lookup("k")
			if ok {
				t.Fatal("a value in a new front")
			}
			f.fill(gen, "k", name, "v1")
			if v, ok, _ := f.lookup("k"); !ok || v != "v1" {
				t.Fatalf("after fill: %q, %v", v, ok)
			}
			tc.remove(c)
			if v, ok, _ := f.lookup("k"); ok {
				t.Fatalf("value %q still served after the removal", v)
			}

			// A GET that read "old" from go-redis's cache before the removal
			// ran must not store it after.
			_, _, gen = f.lookup("k")
			tc.remove(c)
			f.fill(gen, "k", name, "old")
			if v, ok, _ := f.lookup("k"); ok {
				t.Fatalf("value %q, read before a removal, stored after it", v)
			}
			if f.off.Load() {
				t.Error("the front turned itself off")
			}
		})
	}
}

// TestFrontNames: a value is stored only with the name go-redis reserved
// its key under; another key's invalidation leaves it.
func TestFrontNames(t *testing.T) {
	c := NewCache(100, 0)
	f, _ := frontOf(t, c)
	c.Reserve("cache key of GET k", []string{"name of k"})
	if got := f.nameOf("cache key of GET k"); got != "name of k" {
		t.Fatalf("nameOf = %q, want the reserved name", got)
	}
	c.Reserve("cache key of MGET a b", []string{"name of a", "name of b"})
	if got := f.nameOf("cache key of MGET a b"); got != "" {
		t.Errorf("nameOf a command of two keys = %q, want none", got)
	}
	_, _, gen := f.lookup("k")
	f.fill(gen, "k", "", "v")
	if _, ok, _ := f.lookup("k"); ok {
		t.Fatal("a value without a name stored: no invalidation could reach it")
	}
	_, _, gen = f.lookup("k")
	f.fill(gen, "k", "name of k", "v")
	c.DeleteByRedisKey("name of j")
	if _, ok, _ := f.lookup("k"); !ok {
		t.Error("another key's invalidation removed the value")
	}
}

// TestFrontOneClient: a cache shared by two clients has no front.
func TestFrontOneClient(t *testing.T) {
	c := NewCache(100, 0)
	f, _ := frontOf(t, c)
	frontOf(t, c)
	if !f.off.Load() {
		t.Fatal("a second client left the shared front on")
	}
}

func TestFrontBounded(t *testing.T) {
	c := NewCache(frontShards*2, 0)
	f, _ := frontOf(t, c)
	for i := range 10000 {
		k := strconv.Itoa(i)
		_, _, gen := f.lookup(k)
		f.fill(gen, k, "name "+k, k)
		f.reserved("cache key "+k, "name "+k)
	}
	n, names, keyNames := 0, 0, 0
	for i := range f.shards {
		n += len(f.shards[i].m)
		names += len(f.names[i].m)
		keyNames += len(f.keyNames[i].m)
	}
	if n > frontShards*2 || names > n || keyNames > frontShards*2 {
		t.Errorf("%d values, %d names, %d reserved names in a front of %d", n, names, keyNames, frontShards*2)
	}
}

func TestFrontNotWithTTL(t *testing.T) {
	base := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = base.Close() })
	if _, ok := NewCache(0, time.Minute).reads(base).(cachedReads); ok {
		t.Error("a cache with a TTL has a front: it cannot know when a value expires")
	}
}

// TestFrontRealServer: against redis-server, GETs of a hot key are served
// by the front; another connection's writes reach every reader, and once a
// final write's invalidation has arrived no reader sees an older value,
// with readers racing the writer; a closed client serves nothing.
func TestFrontRealServer(t *testing.T) {
	testserver.EachBinary(t, testFrontRealServer)
}

func testFrontRealServer(t *testing.T, binary string) {
	srv := testserver.Start(t, testserver.Options{Binary: binary})
	e := newEnv(t)
	cache := NewCache(0, 0)
	base := redis.NewClient(&redis.Options{
		Addr: srv.Addr, Protocol: 3, ClientSideCache: cache, DisableIdentity: true, PoolSize: 8,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	c, stop, err := Instrument(Multiplexed{Base: base, Front: base, Cache: cache}, configOf(e, "front"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	other := redis.NewClient(srv.ClientOptions())
	t.Cleanup(func() { _ = other.Close() })
	ctx := context.Background()

	if err := other.Set(ctx, "hot", "0", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if v, err := c.Get(ctx, "hot").Result(); err != nil || v != "0" {
			t.Fatalf("GET = %q, %v", v, err)
		}
	}
	f := cache.front.Load()
	if f == nil || f.off.Load() || f.hits() < 10 {
		t.Fatalf("the front served %d of 20 GETs (off: %v)", f.hits(), f.off.Load())
	}
	if st := cache.Stats(); st.Hits < 19 {
		t.Errorf("cache hits %d, want the front's counted: 19", st.Hits)
	}

	const writes = 300
	var stopReaders atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for !stopReaders.Load() {
				if err := c.Get(ctx, "hot").Err(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := 1; i <= writes; i++ {
		if err := other.Set(ctx, "hot", strconv.Itoa(i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	final := strconv.Itoa(writes)
	took := waitFor(t, c, "hot", final, 2*time.Second)
	t.Logf("the last of %d writes seen after %v", writes, took)
	// Each reader connection has had time to hear the invalidations.
	time.Sleep(50 * time.Millisecond)
	for range 2000 {
		if v := c.Get(ctx, "hot").Val(); v != final {
			t.Fatalf("stale read %q after %q was seen", v, final)
		}
	}
	stopReaders.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "hot").Err(); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("GET on a closed client: %v, want %v", err, redis.ErrClosed)
	}
}

// waitFor reads key through c until it is want, and returns how long that
// took.
func waitFor(t *testing.T, c redis.UniversalClient, key, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		v, err := c.Get(context.Background(), key).Result()
		if err == nil && v == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("GET %s = %q, %v after %v; want %q", key, v, err, limit, want)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// TestFrontHitsUntimed: a GET the front serves does not go through the
// observer when hits get no span, so with metrics on it allocates no more
// than with telemetry off.
func TestFrontHitsUntimed(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	srv := testserver.Start(t, testserver.Options{})
	e := newEnv(t)
	hitAllocs := func(cfg instrument.Config) float64 {
		cache := NewCache(0, 0)
		base := redis.NewClient(&redis.Options{
			Addr: srv.Addr, Protocol: 3, ClientSideCache: cache, DisableIdentity: true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		})
		c, stop, err := Instrument(Multiplexed{Base: base, Front: base, Cache: cache}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = stop(); _ = c.Close() }()
		ctx := context.Background()
		if err := c.Set(ctx, "untimed", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		for range 3 { // the miss, the cache's hit that fills the front
			_ = c.Get(ctx, "untimed").Err()
		}
		hits := cache.Stats().Hits
		n := testing.AllocsPerRun(200, func() { _ = c.Get(ctx, "untimed").Err() })
		if got := cache.Stats().Hits - hits; got < 200 {
			t.Fatalf("%d cache hits of 201 reads", got)
		}
		return n
	}
	off := hitAllocs(instrument.Config{Name: "off", DisableTracing: true, DisableMetrics: true})
	metrics := configOf(e, "metrics")
	metrics.DisableTracing = true
	if got := hitAllocs(metrics); got > off {
		t.Errorf("a hit with metrics on allocates %v, with telemetry off %v", got, off)
	}
}

// TestFrontLateFillKeepsNames: a fill that loses to a removal must not
// drop the name of a value a later fill stored for the same key; the
// next invalidation would not find that value, and it would be served
// stale for good.
func TestFrontLateFillKeepsNames(t *testing.T) {
	f := newFront(100, nil)
	const key, name = "hot", "0\x000:\x00hot"
	_, _, late := f.lookup(key) // a GET whose value is read before the removal
	f.invalidate(name)          // the key changes
	_, _, fresh := f.lookup(key)
	f.fill(fresh, key, name, "new")
	f.fill(late, key, name, "old") // not stored: a removal ran since its lookup
	if v, ok, _ := f.lookup(key); !ok || v != "new" {
		t.Fatalf("front holds %q, %v; want the fresh value", v, ok)
	}
	f.invalidate(name) // the key changes again
	if v, ok, _ := f.lookup(key); ok {
		t.Fatalf("front still serves %q after the key's invalidation", v)
	}
}
