// Package distcache shares cache entries with .NET services: with fx,
// fx.Provide([Cache]("cache")) gives a [RedisCache]; without, [New] wraps a client.
//
// Its entries are, byte for byte, those of .NET's RedisCache
// (Microsoft.Extensions.Caching.StackExchangeRedis, the IDistributedCache
// behind Aspire's AddRedisDistributedCache) and of the second level of
// .NET's HybridCache: a Go service and a .NET service pointed at the same
// Redis with the same InstanceName read and write the same entries.
//
// # Entries
//
// An entry is a Redis hash under InstanceName + key with the fields absexp
// (the absolute expiration in UTC ticks, or -1), sldexp (the sliding
// expiration in ticks, or -1) and data (the value), and a TTL when it
// expires. Both .NET write paths produce it: the Lua script of .NET 8 and
// earlier (HMSET or HSET, then EXPIRE) and the HSET + EXPIRE of .NET 9 and
// later; New's cache reads both and writes what both read.
//
//	cache := distcache.New(client, distcache.WithInstanceName("shop:"))
//	err := cache.Set(ctx, "greeting", []byte("hello"), distcache.EntryOptions{
//		SlidingExpiration: 20 * time.Minute,
//	})
//	v, err := cache.Get(ctx, "greeting") // refreshes the sliding expiration
//	if errors.Is(err, distcache.ErrNotFound) { ... }
//
// Expirations behave as in .NET: an absolute expiration (a time, or a
// duration from now, which wins), a sliding one that every Get and Refresh
// starts again up to the absolute one, the key's TTL in whole seconds.
// Like .NET, a read returns an entry that Redis still holds even when its
// absexp has passed (another writer's clock may differ); for a sliding
// entry, that read's refresh removes it.
//
// # HybridCache
//
// RedisCache.Hybrid reads and writes the payload HybridCache keeps in the
// data field (header, creation time, duration, key, tags, value), so a Go
// service sees what HybridCache.GetOrCreateAsync cached, stores values a
// .NET service's GetOrCreateAsync returns, removes entries and invalidates
// tags. Values are what .NET serialized: UTF-8 for strings, System.Text.Json
// for objects (encoding/json reads its default output).
//
// # With fx
//
//	fx.New(
//		fxmodule.Module,
//		fx.Provide(distcache.Cache("cache")), // *distcache.RedisCache over ConnectionStrings:cache
//		fx.Invoke(func(c *distcache.RedisCache) { /* ... */ }),
//	)
//
// Cache builds its client exactly as rediscache.Client does (same
// configuration, telemetry, health check redis_<name>, lifecycle); Keyed
// provides the cache under the fx tag name:"<name>", with the keyed
// client's health check redis_keyed_<name>. InstanceName comes
// from WithInstanceName or the configuration key
// Aspire:StackExchange:Redis[:<name>]:InstanceName.
//
// docs/distributed-cache.md walks through a .NET and a Go service sharing
// entries, the C# side included, and lists what is and is not compatible.
package distcache
