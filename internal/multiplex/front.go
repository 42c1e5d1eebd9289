package multiplex

import (
	"context"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/surface"
)

// frontShards is the number of independently locked parts of a front.
const frontShards = 64

// front serves GET, the hottest cached read, from a map of key to value
// in front of go-redis's client-side cache, without building a command
// key, running the client's hooks or decoding a stored reply: a GET the
// cache serves costs a map lookup and the returned command.
//
// It holds only values go-redis's cache has just served, so every value
// in it is one the server tracks for the client, and it drops them where
// the cache drops its own: an invalidation of the key (DeleteByRedisKey),
// a lost connection (EvictByConn), a flush. Each value is stored with the
// name go-redis gave its key when it reserved the reply (Cache.Reserve),
// which is the name its invalidation carries: the front does not build
// that name itself. A fill races with removals by a generation: a value
// read while any removal ran is not stored. A cache with a TTL has no
// front (the front does not know when go-redis fetched a value).
type front struct {
	owner *redis.Client // the client the front serves
	seed  maphash.Seed
	limit int // values per shard
	off   atomic.Bool
	// gen is incremented by every removal; a fill stores its value only
	// if none ran since its lookup.
	gen    atomic.Uint64
	shards [frontShards]frontShard
	names  [frontShards]frontNames // by go-redis's name of the key
	// keyNames are the names go-redis gave the key of each cached GET,
	// by its cache key, as it reserved them (Cache.Reserve).
	keyNames [frontShards]frontNames
}

type frontShard struct {
	mu   sync.RWMutex
	m    map[string]frontEntry
	hits atomic.Uint64
	_    [64]byte // keeps shards apart in the CPU caches
}

// frontEntry is a value and the name go-redis gave its key.
type frontEntry struct{ value, name string }

// frontNames is a part of a map of strings (go-redis's names of the keys
// the front holds to the keys; cache keys to names).
type frontNames struct {
	mu sync.Mutex
	m  map[string]string
	_  [64]byte
}

// newFront returns the front of a cache of at most size values, for the
// client owner.
func newFront(size int, owner *redis.Client) *front {
	f := &front{owner: owner, seed: maphash.MakeSeed(), limit: max(1, (size+frontShards-1)/frontShards)}
	for i := range f.shards {
		f.shards[i].m = make(map[string]frontEntry)
		f.names[i].m = make(map[string]string)
		f.keyNames[i].m = make(map[string]string)
	}
	return f
}

// reserved notes name, go-redis's name of the one key of the command
// whose reply it reserved under cacheKey.
func (f *front) reserved(cacheKey, name string) {
	kn := &f.keyNames[maphash.String(f.seed, cacheKey)%frontShards]
	kn.mu.Lock()
	if _, ok := kn.m[cacheKey]; !ok && len(kn.m) >= f.limit {
		for k := range kn.m { // make room: drop any one
			delete(kn.m, k)
			break
		}
	}
	kn.m[strings.Clone(cacheKey)] = strings.Clone(name) // go-redis may reuse their bytes
	kn.mu.Unlock()
}

// nameOf returns the name reserved with cacheKey, or "".
func (f *front) nameOf(cacheKey string) string {
	kn := &f.keyNames[maphash.String(f.seed, cacheKey)%frontShards]
	kn.mu.Lock()
	defer kn.mu.Unlock()
	return kn.m[cacheKey]
}

func (f *front) shard(key string) *frontShard {
	return &f.shards[maphash.String(f.seed, key)%frontShards]
}

func (f *front) namesOf(name string) *frontNames {
	return &f.names[maphash.String(f.seed, name)%frontShards]
}

// lookup returns the value of key and, when there is none, the
// generation for a later fill.
func (f *front) lookup(key string) (string, bool, uint64) {
	gen := f.gen.Load()
	sh := f.shard(key)
	sh.mu.RLock()
	e, ok := sh.m[key]
	sh.mu.RUnlock()
	if ok {
		sh.hits.Add(1)
	}
	return e.value, ok, gen
}

// fill stores a value go-redis's cache served for key, which go-redis
// names name, unless a removal ran since gen was read.
func (f *front) fill(gen uint64, key, name, value string) {
	if name == "" {
		return
	}
	ns := f.namesOf(name)
	ns.mu.Lock()
	ns.m[name] = key
	ns.mu.Unlock()
	sh := f.shard(key)
	sh.mu.Lock()
	stored := f.gen.Load() == gen && !f.off.Load()
	if stored {
		if _, ok := sh.m[key]; !ok && len(sh.m) >= f.limit {
			for k, e := range sh.m { // make room: drop any one
				delete(sh.m, k)
				f.forget(e.name, k)
				break
			}
		}
		sh.m[key] = frontEntry{value: value, name: name}
	} else if e, ok := sh.m[key]; !ok || e.name != name {
		// Under the shard's lock: a value another fill stored for key
		// keeps its name, or its invalidation would not find it.
		f.forget(name, key)
	}
	sh.mu.Unlock()
}

// forget drops the name of key.
func (f *front) forget(name, key string) {
	ns := f.namesOf(name)
	ns.mu.Lock()
	if ns.m[name] == key {
		delete(ns.m, name)
	}
	ns.mu.Unlock()
}

// invalidate drops the value of the key go-redis names name.
func (f *front) invalidate(name string) {
	f.gen.Add(1)
	ns := f.namesOf(name)
	ns.mu.Lock()
	key, ok := ns.m[name]
	delete(ns.m, name)
	ns.mu.Unlock()
	if !ok {
		return
	}
	sh := f.shard(key)
	sh.mu.Lock()
	if e, ok := sh.m[key]; ok && e.name == name {
		delete(sh.m, key)
	}
	sh.mu.Unlock()
}

// flush drops every value.
func (f *front) flush() {
	f.gen.Add(1)
	for i := range f.shards {
		sh := &f.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.mu.Unlock()
		// keyNames stay: a cache key names its key the same way after
		// a flush (it carries go-redis's namespace of the key).
		ns := &f.names[i]
		ns.mu.Lock()
		clear(ns.m)
		ns.mu.Unlock()
	}
}

// disable stops the front for good and drops its values.
func (f *front) disable() {
	f.off.Store(true)
	f.flush()
}

func (f *front) hits() uint64 {
	var n uint64
	for i := range f.shards {
		n += f.shards[i].hits.Load()
	}
	return n
}

// cachedReads is the client the cached reads of a multiplexed client go
// to: the client the cache lives on, with GET served by the front.
type cachedReads struct {
	redis.UniversalClient
	f *front
}

// fillCtx marks a GET the front may store: Cache.Get sets hit when
// go-redis's cache served it, and name to go-redis's name of the key.
type fillCtx struct {
	context.Context
	hit  bool
	name string
}

func (c *fillCtx) Value(key any) any {
	if _, ok := key.(opKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// serve returns the GET of key from the front, if it holds the value.
func (f *front) serve(ctx context.Context, key string) (*redis.StringCmd, bool) {
	if f.off.Load() {
		return nil, false
	}
	v, ok, _ := f.lookup(key)
	if !ok {
		return nil, false
	}
	return served(ctx, key, v), true
}

// served is the GET of key answered with v from the front.
func served(ctx context.Context, key, v string) *redis.StringCmd {
	cmd := redis.NewStringCmd(ctx, "get", key)
	if err := ctx.Err(); err != nil {
		cmd.SetErr(err)
		return cmd
	}
	cmd.SetVal(v)
	if op := asOpCtx(ctx); op != nil {
		op.hit = true
	}
	return cmd
}

// Get serves key from the front, or from the client and then, when its
// cache served the value, stores it in the front.
func (r cachedReads) Get(ctx context.Context, key string) *redis.StringCmd {
	if r.f.off.Load() {
		return r.UniversalClient.Get(ctx, key)
	}
	v, ok, gen := r.f.lookup(key)
	if ok {
		return served(ctx, key, v)
	}
	fc := &fillCtx{Context: ctx}
	cmd := r.UniversalClient.Get(fc, key)
	if fc.hit {
		markHit(ctx) // for the observer, under the fill's marker
		if cmd.Err() == nil {
			r.f.fill(gen, key, fc.name, cmd.Val())
		}
	}
	return cmd
}

// frontClient is the multiplexed client when reads the cache serves get
// no span: its Get tries the front before the observer, which would only
// note the time and then record nothing for a read the front serves.
type frontClient struct {
	*surface.Client
	f *front
}

func (c frontClient) Get(ctx context.Context, key string) *redis.StringCmd {
	if cmd, ok := c.f.serve(ctx, key); ok {
		return cmd
	}
	return c.Client.Get(ctx, key)
}
