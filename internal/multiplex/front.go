package multiplex

import (
	"context"
	"hash/maphash"
	"strconv"
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
// a lost connection (EvictByConn), a flush. A fill races with those by a
// generation per shard: a value read while an invalidation of its shard
// ran is not stored. A cache with a TTL has no front (the front does not
// know when go-redis fetched a value), nor does one whose keys go-redis
// names in a form the front does not recognise (see Cache.Reserve).
type front struct {
	prefix string // go-redis's namespace of the redis keys it reports, for database 0
	seed   maphash.Seed
	limit  int // values per shard
	off    atomic.Bool
	shards [frontShards]frontShard
}

type frontShard struct {
	mu   sync.RWMutex
	gen  uint64 // incremented by every removal
	m    map[string]string
	hits atomic.Uint64
	_    [64]byte // keeps shards apart in the CPU caches
}

// newFront returns the front of a cache of at most size values, for a
// client that logs in as username (go-redis scopes cached keys by it).
func newFront(size int, username string) *front {
	f := &front{
		prefix: frontPrefix(username),
		seed:   maphash.MakeSeed(),
		limit:  max(1, (size+frontShards-1)/frontShards),
	}
	for i := range f.shards {
		f.shards[i].m = make(map[string]string)
	}
	return f
}

// frontPrefix is how go-redis's client-side cache prefixes the redis keys
// it reports for a client logging in as username, in database 0 (its
// cscNamespacePrefix; rediscache keeps the cache for database 0 only).
// Cache.Reserve turns the front off if go-redis ever names keys otherwise.
func frontPrefix(username string) string {
	return "0\x00" + strconv.Itoa(len(username)) + ":" + username + "\x00"
}

func (f *front) shard(key string) *frontShard {
	return &f.shards[maphash.String(f.seed, key)%frontShards]
}

// lookup returns the value of key and, when there is none, the shard's
// generation for a later fill.
func (f *front) lookup(key string) (string, bool, *frontShard, uint64) {
	sh := f.shard(key)
	sh.mu.RLock()
	v, ok := sh.m[key]
	gen := sh.gen
	sh.mu.RUnlock()
	if ok {
		sh.hits.Add(1)
	}
	return v, ok, sh, gen
}

// fill stores a value go-redis's cache served, unless the shard lost a
// value since gen was read.
func (f *front) fill(sh *frontShard, gen uint64, key, value string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen != gen || f.off.Load() {
		return
	}
	if _, ok := sh.m[key]; !ok && len(sh.m) >= f.limit {
		for k := range sh.m { // make room: drop any one
			delete(sh.m, k)
			break
		}
	}
	sh.m[key] = value
}

// invalidate drops the value of a redis key as go-redis names it.
func (f *front) invalidate(nsKey string) {
	key, ok := strings.CutPrefix(nsKey, f.prefix)
	if !ok {
		f.disable()
		return
	}
	sh := f.shard(key)
	sh.mu.Lock()
	delete(sh.m, key)
	sh.gen++
	sh.mu.Unlock()
}

// flush drops every value.
func (f *front) flush() {
	for i := range f.shards {
		sh := &f.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.gen++
		sh.mu.Unlock()
	}
}

// disable stops the front for good and drops its values.
func (f *front) disable() {
	f.off.Store(true)
	f.flush()
}

// checkKeys disables the front when go-redis names a redis key in a form
// it does not know: then it could not match invalidations to its values.
func (f *front) checkKeys(nsKeys []string) {
	for _, k := range nsKeys {
		if !strings.HasPrefix(k, f.prefix) {
			f.disable()
			return
		}
	}
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
// go-redis's cache served it.
type fillCtx struct {
	context.Context
	hit bool
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
	v, ok, _, _ := f.lookup(key)
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
	v, ok, sh, gen := r.f.lookup(key)
	if ok {
		return served(ctx, key, v)
	}
	var cmd *redis.StringCmd
	hit := false
	if op := asOpCtx(ctx); op != nil {
		cmd = r.UniversalClient.Get(ctx, key)
		hit = op.hit
	} else {
		fc := &fillCtx{Context: ctx}
		cmd = r.UniversalClient.Get(fc, key)
		hit = fc.hit
	}
	if hit && cmd.Err() == nil {
		r.f.fill(sh, gen, key, cmd.Val())
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
