package distcache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/distcache"
)

// TestSetWritesDotNetEntries: what Set writes is the hash and TTL .NET's
// RedisCache writes for the same options at the same time.
func TestSetWritesDotNetEntries(t *testing.T) {
	tests := []struct {
		name           string
		opts           distcache.EntryOptions
		absexp, sldexp string
		ttl            time.Duration
	}{
		// no expiration: fields -1 ([ASP] lines 251-252, NotPresent line 41),
		// HSET without EXPIRE ([ASP] line 180; [EXT] line 24: EXPIRE only
		// when ARGV[3] is not -1)
		{"none", distcache.EntryOptions{}, "-1", "-1", 0},
		// AbsoluteExpirationRelativeToNow: creationTime + relative
		// ([EXT] GetAbsoluteExpiration, line 414), UTC ticks
		{"relative 1h", distcache.EntryOptions{AbsoluteExpirationRelativeToNow: time.Hour},
			"639321984000000000", "-1", time.Hour},
		// an absolute time: its ticks; the TTL is (long)TotalSeconds,
		// truncated ([EXT] GetExpirationInSeconds, line 395)
		{"absolute 90.5s", distcache.EntryOptions{AbsoluteExpiration: goldenNow.Add(90500 * time.Millisecond)},
			"639321948905000000", "-1", 90 * time.Second},
		// a zone offset does not change the ticks written (UtcTicks)
		{"absolute in another zone", distcache.EntryOptions{AbsoluteExpiration: goldenNow.Add(time.Hour).In(time.FixedZone("+05", 5*3600))},
			"639321984000000000", "-1", time.Hour},
		// TimeSpan.FromMinutes(20).Ticks; the TTL is the sliding window
		{"sliding 20m", distcache.EntryOptions{SlidingExpiration: 20 * time.Minute},
			"-1", "12000000000", 20 * time.Minute},
		// both: the TTL is the sooner ([EXT] line 397: Math.Min)
		{"absolute 10m, sliding 20m", distcache.EntryOptions{AbsoluteExpirationRelativeToNow: 10 * time.Minute, SlidingExpiration: 20 * time.Minute},
			"639321954000000000", "12000000000", 10 * time.Minute},
		{"absolute 1h, sliding 20m", distcache.EntryOptions{AbsoluteExpirationRelativeToNow: time.Hour, SlidingExpiration: 20 * time.Minute},
			"639321984000000000", "12000000000", 20 * time.Minute},
		// relative wins over absolute ([EXT] lines 423-426)
		{"relative wins", distcache.EntryOptions{AbsoluteExpiration: goldenNow.Add(time.Minute), AbsoluteExpirationRelativeToNow: time.Hour},
			"639321984000000000", "-1", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := mini(t)
			cache := distcache.New(client, distcache.WithInstanceName("shop:"), distcache.WithClock(newClock(goldenNow).Now))
			if err := cache.Set(context.Background(), "k", []byte("v\x00\xff"), tt.opts); err != nil {
				t.Fatal(err)
			}
			// InstanceName + key, no separator ([ASP] line 109, _instancePrefix.Append(key))
			if keys := srv.Keys(); len(keys) != 1 || keys[0] != "shop:k" {
				t.Fatalf("keys = %v, want [shop:k]", keys)
			}
			want := map[string]string{"absexp": tt.absexp, "sldexp": tt.sldexp, "data": "v\x00\xff"}
			for f, v := range want {
				if got := srv.HGet("shop:k", f); got != v {
					t.Errorf("%s = %q, want %q", f, got, v)
				}
			}
			if fields, _ := srv.HKeys("shop:k"); len(fields) != 3 {
				t.Errorf("fields = %v, want exactly absexp, sldexp, data", fields)
			}
			if got := ttlOf(srv, "shop:k"); got != tt.ttl {
				t.Errorf("TTL = %v, want %v", got, tt.ttl)
			}
		})
	}
}

// TestSetSubSecondRemoves: an expiration under a second gives EXPIRE 0,
// which removes the key, as .NET's (long)TotalSeconds does.
func TestSetSubSecondRemoves(t *testing.T) {
	srv, client := mini(t)
	cache := distcache.New(client, distcache.WithClock(newClock(goldenNow).Now))
	ctx := context.Background()
	if err := cache.Set(ctx, "k", []byte("v"), distcache.EntryOptions{AbsoluteExpirationRelativeToNow: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if srv.Exists("k") {
		t.Error("an entry that expires in 500ms is kept; .NET sends EXPIRE 0")
	}
}

// TestSetKeepsOldTTL: HSET alone leaves a previous TTL ([ASP] line 180;
// [EXT] line 24), and so does Set without expiration.
func TestSetKeepsOldTTL(t *testing.T) {
	srv, client := mini(t)
	cache := distcache.New(client, distcache.WithClock(newClock(goldenNow).Now))
	ctx := context.Background()
	if err := cache.Set(ctx, "k", []byte("1"), distcache.EntryOptions{AbsoluteExpirationRelativeToNow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := cache.Set(ctx, "k", []byte("2"), distcache.EntryOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := ttlOf(srv, "k"); got != time.Hour {
		t.Errorf("TTL after a Set without expiration = %v, want the old 1h (.NET's HSET keeps it)", got)
	}
	if got := srv.HGet("k", "absexp"); got != "-1" {
		t.Errorf("absexp = %q", got)
	}
}

func TestSetRejects(t *testing.T) {
	_, client := mini(t)
	cache := distcache.New(client, distcache.WithClock(newClock(goldenNow).Now))
	tests := []struct {
		name string
		opts distcache.EntryOptions
		want string
	}{
		// [EXT] line 418: ArgumentOutOfRangeException
		{"absolute now", distcache.EntryOptions{AbsoluteExpiration: goldenNow}, "must be in the future"},
		{"absolute past", distcache.EntryOptions{AbsoluteExpiration: goldenNow.Add(-time.Hour)}, "must be in the future"},
		// DistributedCacheEntryOptions' setters throw for values <= 0
		{"negative relative", distcache.EntryOptions{AbsoluteExpirationRelativeToNow: -time.Second}, "relative expiration must be positive"},
		{"negative sliding", distcache.EntryOptions{SlidingExpiration: -time.Second}, "sliding expiration must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cache.Set(context.Background(), "k", []byte("v"), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"k"`) {
				t.Errorf("Set: %v, want an error naming the key and saying %q", err, tt.want)
			}
		})
	}
}

func TestGetMissAndRemove(t *testing.T) {
	_, client := mini(t)
	cache := distcache.New(client)
	ctx := context.Background()
	if _, err := cache.Get(ctx, "nope"); !errors.Is(err, distcache.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if err := cache.Set(ctx, "k", []byte("v"), distcache.EntryOptions{}); err != nil {
		t.Fatal(err)
	}
	if v, err := cache.Get(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := cache.Remove(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if err := cache.Remove(ctx, "k"); err != nil {
		t.Fatalf("Remove of a missing key: %v", err)
	}
	if _, err := cache.Get(ctx, "k"); !errors.Is(err, distcache.ErrNotFound) {
		t.Fatalf("Get after Remove: %v", err)
	}
	if err := cache.Refresh(ctx, "k"); err != nil {
		t.Fatalf("Refresh of a missing key: %v (.NET does nothing)", err)
	}
}

// TestExpiry: Redis expires the key; Get then misses.
func TestExpiry(t *testing.T) {
	srv, client := mini(t)
	clock := newClock(goldenNow)
	cache := distcache.New(client, distcache.WithClock(clock.Now))
	ctx := context.Background()
	if err := cache.Set(ctx, "k", []byte("v"), distcache.EntryOptions{AbsoluteExpirationRelativeToNow: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	srv.FastForward(9 * time.Second)
	if _, err := cache.Get(ctx, "k"); err != nil {
		t.Fatalf("Get before expiry: %v", err)
	}
	srv.FastForward(2 * time.Second)
	if _, err := cache.Get(ctx, "k"); !errors.Is(err, distcache.ErrNotFound) {
		t.Fatalf("Get after expiry: %v", err)
	}
}

// TestSlidingRefresh: Get and Refresh set the TTL to the sliding window,
// or to what is left of the absolute expiration when that is sooner
// ([EXT] Refresh, lines 343-366; [ASP] the same in Refresh).
func TestSlidingRefresh(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		opts    distcache.EntryOptions
		elapsed time.Duration
		refresh func(*distcache.RedisCache) error
		ttl     time.Duration
	}{
		{"get, sliding only", distcache.EntryOptions{SlidingExpiration: 20 * time.Minute}, 5 * time.Minute,
			func(c *distcache.RedisCache) error { _, err := c.Get(ctx, "k"); return err }, 20 * time.Minute},
		{"refresh, sliding only", distcache.EntryOptions{SlidingExpiration: 20 * time.Minute}, 5 * time.Minute,
			func(c *distcache.RedisCache) error { return c.Refresh(ctx, "k") }, 20 * time.Minute},
		{"get, absolute caps", distcache.EntryOptions{AbsoluteExpirationRelativeToNow: 30 * time.Minute, SlidingExpiration: 20 * time.Minute}, 15 * time.Minute,
			func(c *distcache.RedisCache) error { _, err := c.Get(ctx, "k"); return err }, 15 * time.Minute},
		{"refresh, absolute far", distcache.EntryOptions{AbsoluteExpirationRelativeToNow: 2 * time.Hour, SlidingExpiration: 20 * time.Minute}, 5 * time.Minute,
			func(c *distcache.RedisCache) error { return c.Refresh(ctx, "k") }, 20 * time.Minute},
		// "Refresh has no effect if there is just an absolute expiration"
		{"absolute only: unchanged", distcache.EntryOptions{AbsoluteExpirationRelativeToNow: time.Hour}, 5 * time.Minute,
			func(c *distcache.RedisCache) error { return c.Refresh(ctx, "k") }, 55 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := mini(t)
			clock := newClock(goldenNow)
			cache := distcache.New(client, distcache.WithClock(clock.Now))
			if err := cache.Set(ctx, "k", []byte("v"), tt.opts); err != nil {
				t.Fatal(err)
			}
			clock.Advance(tt.elapsed)
			srv.FastForward(tt.elapsed)
			if err := tt.refresh(cache); err != nil {
				t.Fatal(err)
			}
			if got := ttlOf(srv, "k"); got != tt.ttl {
				t.Errorf("TTL = %v, want %v", got, tt.ttl)
			}
		})
	}
}

// TestExpiredButPresent: .NET returns what Redis still holds, whatever
// absexp says ([ASP] GetAndRefresh returns results[2] after refreshing;
// nothing compares absexp with the clock). For a sliding entry the
// refresh's negative TTL removes the key afterwards.
func TestExpiredButPresent(t *testing.T) {
	ctx := context.Background()
	past := "639321912000000000" // goldenNow - 1h: written by a writer whose clock is ahead
	t.Run("absolute only", func(t *testing.T) {
		srv, client := mini(t)
		srv.HSet("k", "absexp", past, "sldexp", "-1", "data", "stale")
		cache := distcache.New(client, distcache.WithClock(newClock(goldenNow).Now))
		v, err := cache.Get(ctx, "k")
		if err != nil || string(v) != "stale" {
			t.Fatalf("Get = %q, %v; .NET returns the value", v, err)
		}
		if !srv.Exists("k") {
			t.Error("the entry was removed; .NET leaves it to its TTL")
		}
	})
	t.Run("sliding", func(t *testing.T) {
		srv, client := mini(t)
		srv.HSet("k", "absexp", past, "sldexp", "12000000000", "data", "stale")
		cache := distcache.New(client, distcache.WithClock(newClock(goldenNow).Now))
		v, err := cache.Get(ctx, "k")
		if err != nil || string(v) != "stale" {
			t.Fatalf("Get = %q, %v; .NET returns the value", v, err)
		}
		if srv.Exists("k") {
			t.Error("the entry is still there; .NET's refresh with a negative TimeSpan removes it")
		}
	})
}

// TestReadsDotNetWritePaths: entries as each .NET version writes them are
// read, with their expiration honoured on refresh.
func TestReadsDotNetWritePaths(t *testing.T) {
	for _, w := range dotnetWriters {
		t.Run(w.name, func(t *testing.T) {
			_, client := mini(t)
			readsDotNetEntry(t, client, w)
		})
	}
}

// dotnetWriter writes one entry the way a .NET version does, with the
// arguments RedisCache computes: absexp and sldexp ticks (or -1), the TTL
// in seconds (or -1) and the data.
type dotnetWriter struct {
	name  string
	write func(ctx context.Context, c redis.UniversalClient, key, absexp, sldexp string, ttl int64, data []byte) error
}

// The Lua write path of .NET 8 and earlier: ScriptEvaluate with KEYS[1] =
// the key and ARGV = absexp, sldexp, TTL seconds or -1, data ([EXT] lines
// 23-27 and 99-105). The script here issues the same commands as that one.
const luaHMSET = `
local key, ttl = KEYS[1], ARGV[3]
redis.call('HMSET', key, 'absexp', ARGV[1], 'sldexp', ARGV[2], 'data', ARGV[4])
if ttl ~= '-1' then redis.call('EXPIRE', key, ttl) end
return 1`

// .NET 8 (aspnetcore release/8.0) used HSET in that script on Redis 4+,
// HMSET before.
var luaHSET = strings.Replace(luaHMSET, "'HMSET'", "'HSET'", 1)

var dotnetWriters = []dotnetWriter{
	{"Lua HMSET (.NET 7 and earlier)", func(ctx context.Context, c redis.UniversalClient, key, absexp, sldexp string, ttl int64, data []byte) error {
		return c.Eval(ctx, luaHMSET, []string{key}, absexp, sldexp, ttl, data).Err()
	}},
	{"Lua HSET (.NET 8)", func(ctx context.Context, c redis.UniversalClient, key, absexp, sldexp string, ttl int64, data []byte) error {
		return c.Eval(ctx, luaHSET, []string{key}, absexp, sldexp, ttl, data).Err()
	}},
	// [ASP] lines 176-189: HSET of the three fields, then, when the entry
	// expires, EXPIRE in seconds, pipelined (not in a transaction)
	{"HSET + EXPIRE (.NET 9+)", func(ctx context.Context, c redis.UniversalClient, key, absexp, sldexp string, ttl int64, data []byte) error {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, key, "absexp", absexp, "sldexp", sldexp, "data", data)
			if ttl >= 0 {
				p.Expire(ctx, key, time.Duration(ttl)*time.Second)
			}
			return nil
		})
		return err
	}},
}

// readsDotNetEntry writes entries with w at goldenNow and reads them back.
func readsDotNetEntry(t *testing.T, client redis.UniversalClient, w dotnetWriter) {
	t.Helper()
	ctx := context.Background()
	clock := newClock(goldenNow)
	cache := distcache.New(client, distcache.WithInstanceName("net:"), distcache.WithClock(clock.Now))
	data := []byte("{\"Name\":\"Widget\"}\x00\xfe")
	// absolute 1h + sliding 20m, as .NET computes them at goldenNow
	if err := w.write(ctx, client, "net:both", "639321984000000000", "12000000000", 1200, data); err != nil {
		t.Fatal(err)
	}
	if err := w.write(ctx, client, "net:forever", "-1", "-1", -1, []byte("x")); err != nil {
		t.Fatal(err)
	}
	got, err := cache.Get(ctx, "both")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if got, err := cache.Get(ctx, "forever"); err != nil || string(got) != "x" {
		t.Fatalf("Get forever = %q, %v", got, err)
	}
	if ttl := client.TTL(ctx, "net:forever").Val(); ttl != -1*time.Nanosecond && ttl != -1 {
		t.Errorf("TTL of an entry without expiration = %v", ttl)
	}
	// 50 minutes later the absolute expiration (10 minutes away) caps the sliding one
	clock.Advance(50 * time.Minute)
	if err := cache.Refresh(ctx, "both"); err != nil {
		t.Fatal(err)
	}
	if ttl := client.PTTL(ctx, "net:both").Val(); ttl > 10*time.Minute || ttl < 9*time.Minute {
		t.Errorf("PTTL after the refresh = %v, want 10m (absexp - now)", ttl)
	}
}

// TestHostileEntries: entries .NET could not have written give an
// error wrapping ErrInvalidEntry that names the key and the field, or a Redis error, never a
// panic or a value.
func TestHostileEntries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		setup  func(c redis.UniversalClient)
		want   string
		entry  bool // wraps ErrInvalidEntry
		field  string
		wantIs error
	}{
		{"a string, not a hash", func(c redis.UniversalClient) { c.Set(ctx, "k", "v", 0) }, "WRONGTYPE", false, "", nil},
		{"a list", func(c redis.UniversalClient) { c.RPush(ctx, "k", "v") }, "WRONGTYPE", false, "", nil},
		{"absexp not a number", func(c redis.UniversalClient) { c.HSet(ctx, "k", "absexp", "soon", "data", "v") }, `"soon" is not a number`, true, "absexp", nil},
		{"absexp empty", func(c redis.UniversalClient) { c.HSet(ctx, "k", "absexp", "", "data", "v") }, "is not a number", true, "absexp", nil},
		{"absexp out of range", func(c redis.UniversalClient) { c.HSet(ctx, "k", "absexp", "3155378976000000000", "data", "v") }, "outside .NET's DateTimeOffset range", true, "absexp", nil},
		{"absexp negative", func(c redis.UniversalClient) { c.HSet(ctx, "k", "absexp", "-2", "data", "v") }, "outside", true, "absexp", nil},
		{"absexp overflows", func(c redis.UniversalClient) { c.HSet(ctx, "k", "absexp", "99999999999999999999", "data", "v") }, "not a number", true, "absexp", nil},
		{"sldexp zero", func(c redis.UniversalClient) { c.HSet(ctx, "k", "sldexp", "0", "data", "v") }, "not a positive sliding expiration", true, "sldexp", nil},
		{"sldexp negative", func(c redis.UniversalClient) { c.HSet(ctx, "k", "sldexp", "-600000000", "data", "v") }, "not a positive", true, "sldexp", nil},
		{"sldexp too long", func(c redis.UniversalClient) { c.HSet(ctx, "k", "sldexp", "9223372036854775807", "data", "v") }, "longer than a time.Duration", true, "sldexp", nil},
		{"sldexp float", func(c redis.UniversalClient) { c.HSet(ctx, "k", "sldexp", "1.5", "data", "v") }, "not a number", true, "sldexp", nil},
		{"long garbage is cut", func(c redis.UniversalClient) { c.HSet(ctx, "k", "absexp", strings.Repeat("z", 10000), "data", "v") }, "(10000 bytes)", true, "absexp", nil},
		// metadata without data: .NET returns null
		{"no data field", func(c redis.UniversalClient) { c.HSet(ctx, "k", "absexp", "-1", "sldexp", "-1") }, "not found", false, "", distcache.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, client := mini(t)
			tt.setup(client)
			cache := distcache.New(client)
			v, err := cache.Get(ctx, "k")
			if err == nil {
				t.Fatalf("Get = %q, no error", v)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if got := errors.Is(err, distcache.ErrInvalidEntry); got != tt.entry {
				t.Errorf("ErrInvalidEntry: %v, want %v (%v)", got, tt.entry, err)
			} else if got && !strings.Contains(err.Error(), `entry "k": field `+tt.field+": ") {
				t.Errorf("error %q does not name the key and the field %s", err, tt.field)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if rerr := cache.Refresh(ctx, "k"); (rerr == nil) != (tt.wantIs != nil) {
				t.Errorf("Refresh: %v", rerr)
			}
		})
	}
}

// TestHugeValue: a large value is returned whole; .NET's RedisCache has no
// size limit (HybridCache has one: see TestHybridHostile).
func TestHugeValue(t *testing.T) {
	_, client := mini(t)
	cache := distcache.New(client)
	ctx := context.Background()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	if err := cache.Set(ctx, "big", big, distcache.EntryOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := cache.Get(ctx, "big")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("Get: %d bytes, %v", len(got), err)
	}
}

// TestConcurrent: readers, writers, refreshers and removers on a few keys
// (run with -race): every read is a whole value some writer wrote.
func TestConcurrent(t *testing.T) {
	_, client := mini(t)
	concurrent(t, client)
}

func concurrent(t *testing.T, client redis.UniversalClient) {
	t.Helper()
	cache := distcache.New(client, distcache.WithInstanceName("c:"))
	ctx := context.Background()
	const workers, rounds = 8, 200
	value := func(w, i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf("<%d.%d>", w, i)), 50) }
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				key := fmt.Sprintf("k%d", i%3)
				var err error
				switch (w + i) % 4 {
				case 0:
					err = cache.Set(ctx, key, value(w, i), distcache.EntryOptions{SlidingExpiration: time.Minute, AbsoluteExpirationRelativeToNow: time.Hour})
				case 1:
					var v []byte
					v, err = cache.Get(ctx, key)
					if errors.Is(err, distcache.ErrNotFound) {
						err = nil
					} else if err == nil && (len(v) == 0 || !bytes.Equal(v, bytes.Repeat(v[:bytes.IndexByte(v, '>')+1], 50))) {
						err = fmt.Errorf("torn value %q", v[:min(len(v), 40)])
					}
				case 2:
					err = cache.Refresh(ctx, key)
				case 3:
					if i%10 == 3 {
						err = cache.Remove(ctx, key)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
