package multiplex

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Cache metric names.
const (
	CacheHitsMetric          = "redis.client.cache.hits"
	CacheMissesMetric        = "redis.client.cache.misses"
	CacheEvictionsMetric     = "redis.client.cache.evictions"
	CacheInvalidationsMetric = "redis.client.cache.invalidations"
	CacheEntriesMetric       = "redis.client.cache.entries"
)

// Cache is a client-side cache for Options.ClientSideCache: go-redis's
// LocalCache, counted for the cache metrics and able to tell Instrument
// which reads it served. Through the client Instrument returns, a GET of a
// value the cache holds is
// served by a fast path in front of it, which loses the value wherever
// the cache does (see docs/multiplexing.md, "GET's fast path").
type Cache struct {
	lc    *redis.LocalCache
	ttl   time.Duration
	size  int
	front atomic.Pointer[front] // GET's fast path, once a client uses the cache (see cachedReads)

	invalidated atomic.Uint64 // entries removed by an invalidation from the server
	flushed     atomic.Uint64 // entries removed because a connection went away, or FLUSHDB
	evictions   atomic.Uint64 // reported so far (kept monotonic)
}

var _ redis.Cache = (*Cache)(nil)

// opKey finds the opCtx of a command under the contexts hooks wrap it in
// (see opCtx.Value).
type opKey struct{}

// defaultCacheSize is go-redis's LocalCache size when none is given.
const defaultCacheSize = 10000

// NewCache returns a cache of at most size replies (zero: go-redis's
// default, defaultCacheSize), each served for at most ttl (zero: until
// invalidated).
func NewCache(size int, ttl time.Duration) *Cache {
	return &Cache{lc: redis.NewLocalCache(redis.CacheConfig{MaxEntries: size, MaxStaleness: ttl}), ttl: ttl, size: size}
}

// Stats returns go-redis's statistics of the cache (hits, misses, entries),
// with the GETs served by its fast path counted as hits.
func (c *Cache) Stats() redis.CSCStats {
	st := c.lc.Stats()
	if f := c.front.Load(); f != nil {
		st.Hits += f.hits()
	}
	return st
}

// reads returns the client cached reads go to: base, the client the cache
// lives on, with GETs served from the cache's fast path (see front) when
// base is a standalone client and the cache has no TTL.
func (c *Cache) reads(base redis.UniversalClient) redis.UniversalClient {
	rc, ok := base.(*redis.Client)
	if !ok || c.ttl > 0 {
		return base
	}
	size := c.size
	if size <= 0 {
		size = defaultCacheSize
	}
	f := c.front.Load()
	if f == nil {
		c.front.CompareAndSwap(nil, newFront(size, rc))
		f = c.front.Load()
	}
	// A cache shared by clients (of other users, or servers) has no front:
	// a key's value may differ between them.
	if f.owner != rc {
		f.disable()
	}
	return cachedReads{UniversalClient: base, f: f}
}

// markHit tells the command ctx belongs to that the cache served it.
func markHit(ctx context.Context) {
	if op := asOpCtx(ctx); op != nil {
		op.hit = true
		return
	}
	// A fill of GET's fast path, or a context that hooks between the
	// multiplexed client and the cache (rediscache's command timeout, say)
	// wrapped: both find the marker through opKey.
	if op, ok := ctx.Value(opKey{}).(*opCtx); ok {
		op.hit = true
	}
}

// Invalidations returns how many cached replies the server's invalidations
// removed.
func (c *Cache) Invalidations() uint64 { return c.invalidated.Load() }

// Flushes returns how many cached replies were dropped because their
// connection went away (a reconnect or a failover) or the database was
// flushed.
func (c *Cache) Flushes() uint64 { return c.flushed.Load() }

// Get serves a cached reply and marks the command as served from the cache.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool) {
	v, ok := c.lc.Get(ctx, key)
	if !ok {
		return v, ok
	}
	if fc, isFill := ctx.Value(opKey{}).(*fillCtx); isFill {
		// A GET of the fast path: it may store the value under the name
		// go-redis gave its key.
		fc.hit = true
		if f := c.front.Load(); f != nil {
			fc.name = f.nameOf(key)
		}
		return v, ok
	}
	markHit(ctx)
	return v, ok
}

// Reserve is go-redis's LocalCache's; the fast path notes the name
// go-redis gives the key of a command of one key, which its invalidation
// will carry. FulfillOwned and Cancel are go-redis's LocalCache's.
func (c *Cache) Reserve(cacheKey string, redisKeys []string) (uint64, bool) {
	if f := c.front.Load(); f != nil && len(redisKeys) == 1 {
		f.reserved(cacheKey, redisKeys[0])
	}
	return c.lc.Reserve(cacheKey, redisKeys)
}

func (c *Cache) FulfillOwned(cacheKey string, token, ownerConnID uint64, value []byte) bool {
	return c.lc.FulfillOwned(cacheKey, token, ownerConnID, value)
}

func (c *Cache) Cancel(cacheKey string, token uint64) bool { return c.lc.Cancel(cacheKey, token) }

// DeleteByRedisKey applies an invalidation of redisKey.
func (c *Cache) DeleteByRedisKey(redisKey string) int {
	n := c.lc.DeleteByRedisKey(redisKey)
	c.invalidated.Add(uint64(n))
	// After the cache: a GET that read the value from it before this
	// removal either stored it in the front already, or finds the front's
	// generation changed and does not.
	if f := c.front.Load(); f != nil {
		f.invalidate(redisKey)
	}
	return n
}

// DeleteByCacheKey drops one cached reply (go-redis does when a reply
// cannot be decoded), and the whole front, which cannot tell its key.
func (c *Cache) DeleteByCacheKey(cacheKey string) bool {
	ok := c.lc.DeleteByCacheKey(cacheKey)
	c.flushFront()
	return ok
}

func (c *Cache) flushFront() {
	if f := c.front.Load(); f != nil {
		f.flush()
	}
}

// EvictByConn drops the replies fetched on a connection that went away.
func (c *Cache) EvictByConn(connID uint64) int {
	n := c.lc.EvictByConn(connID)
	c.flushed.Add(uint64(n))
	// The front does not know which connection fetched a value: it drops
	// them all.
	c.flushFront()
	return n
}

// Flush drops every reply.
func (c *Cache) Flush() int {
	n := c.lc.Flush()
	c.flushed.Add(uint64(n))
	c.flushFront()
	return n
}

// evicted estimates the replies removed to make room or because they
// outlived the TTL: every miss fetches one reply, and each leaves by an
// invalidation, a flush, an eviction, or is still cached.
func (c *Cache) evicted() uint64 {
	st := c.lc.Stats()
	out := int64(st.Misses) - int64(c.invalidated.Load()) - int64(c.flushed.Load()) - int64(st.Entries)
	for {
		prev := c.evictions.Load()
		if out <= int64(prev) {
			return prev
		}
		if c.evictions.CompareAndSwap(prev, uint64(out)) {
			return uint64(out)
		}
	}
}

// register creates the cache metrics, labelled with the client's pool name.
func (c *Cache) register(meter metric.Meter, pool string) (metric.Registration, error) {
	set := metric.WithAttributeSet(attribute.NewSet(attribute.String("db.client.connection.pool.name", pool)))
	hits, err := meter.Int64ObservableCounter(CacheHitsMetric, metric.WithUnit("{read}"),
		metric.WithDescription("Reads served from the client-side cache."))
	if err != nil {
		return nil, err
	}
	misses, err := meter.Int64ObservableCounter(CacheMissesMetric, metric.WithUnit("{read}"),
		metric.WithDescription("Cacheable reads the client-side cache could not serve."))
	if err != nil {
		return nil, err
	}
	evictions, err := meter.Int64ObservableCounter(CacheEvictionsMetric, metric.WithUnit("{entry}"),
		metric.WithDescription("Cached replies removed to make room or after their TTL (estimated)."))
	if err != nil {
		return nil, err
	}
	inval, err := meter.Int64ObservableCounter(CacheInvalidationsMetric, metric.WithUnit("{entry}"),
		metric.WithDescription("Cached replies removed by the server's invalidations, connection loss or FLUSHDB."))
	if err != nil {
		return nil, err
	}
	entries, err := meter.Int64ObservableGauge(CacheEntriesMetric, metric.WithUnit("{entry}"),
		metric.WithDescription("Replies in the client-side cache."))
	if err != nil {
		return nil, err
	}
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := c.Stats()
		o.ObserveInt64(hits, int64(st.Hits), set)
		o.ObserveInt64(misses, int64(st.Misses), set)
		o.ObserveInt64(evictions, int64(c.evicted()), set)
		o.ObserveInt64(inval, int64(c.invalidated.Load()+c.flushed.Load()), set)
		o.ObserveInt64(entries, int64(st.Entries), set)
		return nil
	}, hits, misses, evictions, inval, entries)
}
