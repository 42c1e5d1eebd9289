package distcache_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/aspirego/redis/distcache"
)

// goldenPayload is the data field a .NET HybridCache writes for key "k",
// tag "t", value "v" (UTF-8 of the string "v", InbuiltTypeSerializer),
// created at goldenNow with the default Expiration of 5 minutes, entropy
// 0xBEEF ([HYB] Write, lines 101-141; each field is annotated in
// format_internal_test.go).
const goldenPayload = "0301" + "efbe" + "0098a6a7ec53df08" + "00" + "01" + "80bcc1960b" + "01" + "016b" + "0174" + "76" + "0301"

// goldenPlus5m is goldenNow + 5 minutes in ticks: the absexp of that entry,
// whose DistributedCacheEntryOptions are AbsoluteExpirationRelativeToNow =
// Expiration ([L2] GetL2DistributedCacheOptions, lines 258-282).
const goldenPlus5m = "639321951000000000"

// storeGolden stores the golden entry under InstanceName "shop:" as .NET's
// HybridCache over RedisCache stores it ([L2] WritePayloadAsync, lines
// 221-233; [ASP] SetImpl).
func storeGolden(t *testing.T, srv *miniredis.Miniredis) {
	t.Helper()
	data, _ := hex.DecodeString(goldenPayload)
	srv.HSet("shop:k", "absexp", goldenPlus5m, "sldexp", "-1", "data", string(data))
	srv.SetTTL("shop:k", 5*time.Minute)
}

func TestHybridReadsDotNetEntry(t *testing.T) {
	srv, client := mini(t)
	storeGolden(t, srv)
	clock := newClock(goldenNow.Add(time.Minute))
	h := distcache.New(client, distcache.WithInstanceName("shop:"), distcache.WithClock(clock.Now)).Hybrid()
	ctx := context.Background()
	e, err := h.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Value) != "v" || len(e.Tags) != 1 || e.Tags[0] != "t" || !e.Created.Equal(goldenNow) || !e.Expires.Equal(goldenNow.Add(5*time.Minute)) {
		t.Errorf("entry = %+v", e)
	}
	// creation + duration - now <= 0 is ExpiredByEntry ([HYB] lines 228-232)
	clock.Advance(4 * time.Minute)
	if _, err := h.Get(ctx, "k"); !errors.Is(err, distcache.ErrNotFound) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Get at the expiry: %v, want ErrNotFound (expired)", err)
	}
}

func TestHybridSetWritesDotNetEntry(t *testing.T) {
	srv, client := mini(t)
	h := distcache.New(client, distcache.WithInstanceName("shop:"), distcache.WithClock(newClock(goldenNow).Now)).Hybrid()
	if err := h.Set(context.Background(), "k", []byte("v"), distcache.HybridEntryOptions{Tags: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString(goldenPayload)
	got := []byte(srv.HGet("shop:k", "data"))
	// all but the random entropy (bytes 2-3, [HYB] line 107)
	if len(got) != len(want) || !bytes.Equal(got[:2], want[:2]) || !bytes.Equal(got[4:], want[4:]) {
		t.Errorf("data =\n%x\nwant (entropy aside)\n%x", got, want)
	}
	if a, s := srv.HGet("shop:k", "absexp"), srv.HGet("shop:k", "sldexp"); a != goldenPlus5m || s != "-1" {
		t.Errorf("absexp, sldexp = %s, %s", a, s)
	}
	if ttl := srv.TTL("shop:k"); ttl != 5*time.Minute {
		t.Errorf("TTL = %v", ttl)
	}
}

// TestHybridKeyMismatch: a payload for another key is rejected ([HYB]
// lines 248-251, InvalidKey).
func TestHybridKeyMismatch(t *testing.T) {
	srv, client := mini(t)
	data, _ := hex.DecodeString(goldenPayload) // a payload for "k" under the key "other"
	srv.HSet("shop:other", "absexp", goldenPlus5m, "sldexp", "-1", "data", string(data))
	h := distcache.New(client, distcache.WithInstanceName("shop:"), distcache.WithClock(newClock(goldenNow).Now)).Hybrid()
	_, err := h.Get(context.Background(), "other")
	if !errors.Is(err, distcache.ErrInvalidEntry) || !strings.Contains(err.Error(), `field data: the payload is for the key "k"`) {
		t.Errorf("Get: %v, want ErrInvalidEntry about the key", err)
	}
}

// TestHybridTagInvalidation: RemoveByTag writes what .NET's
// RemoveByTagAsync writes ([L2] InvalidateL2TagAsync, lines 105-132: the
// key __MSFT_HCT__ + tag, 8 bytes of little-endian UTC ticks, expiring in
// MaxCacheDays = 1000 days, lines 19-21) and entries created no later are
// invalid ([TagInvalidation] IsTagExpired: timestamp <= invalidation).
func TestHybridTagInvalidation(t *testing.T) {
	srv, client := mini(t)
	storeGolden(t, srv)
	clock := newClock(goldenNow)
	h := distcache.New(client, distcache.WithInstanceName("shop:"), distcache.WithClock(clock.Now)).Hybrid()
	ctx := context.Background()
	if err := h.RemoveByTag(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	data := []byte(srv.HGet("shop:__MSFT_HCT__t", "data"))
	if len(data) != 8 || int64(binary.LittleEndian.Uint64(data)) != 639321948000000000 {
		t.Errorf("invalidation data = %x, want the ticks of now, little-endian", data)
	}
	// goldenNow + 1000 days
	if a := srv.HGet("shop:__MSFT_HCT__t", "absexp"); a != "640185948000000000" {
		t.Errorf("invalidation absexp = %s", a)
	}
	if ttl := srv.TTL("shop:__MSFT_HCT__t"); ttl != 1000*24*time.Hour {
		t.Errorf("invalidation TTL = %v", ttl)
	}
	// created at goldenNow, invalidated at goldenNow: timestamp <= invalidation
	if _, err := h.Get(ctx, "k"); !errors.Is(err, distcache.ErrNotFound) || !strings.Contains(err.Error(), `tag "t"`) {
		t.Errorf("Get after RemoveByTag: %v", err)
	}
	// an entry created later is valid
	clock.Advance(time.Second)
	if err := h.Set(ctx, "k", []byte("new"), distcache.HybridEntryOptions{Tags: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
	if e, err := h.Get(ctx, "k"); err != nil || string(e.Value) != "new" {
		t.Errorf("Get of a newer entry: %+v, %v", e, err)
	}
	// "*" invalidates everything ([HYB] lines 204-207, IsWildcardExpired)
	if err := h.RemoveByTag(ctx, "*"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Get(ctx, "k"); !errors.Is(err, distcache.ErrNotFound) || !strings.Contains(err.Error(), `tag "*"`) {
		t.Errorf("Get after RemoveByTag(*): %v", err)
	}
	// empty and white-space tags are ignored, as RemoveByTagAsync ignores them
	if err := h.RemoveByTag(ctx, " "); err != nil {
		t.Error(err)
	}
}

// TestHybridBadInvalidation: an invalidation entry that is not 8 bytes
// counts as "invalidated now" ([L2] SafeReadTagInvalidationAsync, lines
// 149-157).
func TestHybridBadInvalidation(t *testing.T) {
	srv, client := mini(t)
	storeGolden(t, srv)
	srv.HSet("shop:__MSFT_HCT__t", "absexp", "-1", "sldexp", "-1", "data", "nonsense")
	h := distcache.New(client, distcache.WithInstanceName("shop:"), distcache.WithClock(newClock(goldenNow.Add(time.Second)).Now)).Hybrid()
	if _, err := h.Get(context.Background(), "k"); !errors.Is(err, distcache.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
}

func TestHybridRemove(t *testing.T) {
	srv, client := mini(t)
	storeGolden(t, srv)
	c := distcache.New(client, distcache.WithInstanceName("shop:"))
	if err := c.Remove(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	if srv.Exists("shop:k") {
		t.Error("the entry is still there")
	}
}

func TestHybridHostile(t *testing.T) {
	golden, _ := hex.DecodeString(goldenPayload)
	tests := []struct {
		name string
		data []byte
		max  int
		want string
	}{
		{"plain RedisCache value", []byte("hello"), 0, "not a HybridCache payload"},
		{"truncated", golden[:20], 0, "truncated"},
		{"over MaximumPayloadBytes", bytes.Repeat([]byte{3, 1}, 1<<20), 0, "over the 1048576-byte limit"},
		{"over a smaller limit", golden, 16, "over the 16-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := mini(t)
			srv.HSet("k", "absexp", "-1", "sldexp", "-1", "data", string(tt.data))
			cache := distcache.New(client, distcache.WithClock(newClock(goldenNow).Now), distcache.WithMaxHybridPayloadBytes(tt.max))
			_, err := cache.Hybrid().Get(context.Background(), "k")
			if !errors.Is(err, distcache.ErrInvalidEntry) || !strings.Contains(err.Error(), `entry "k": field data: `) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Get: %v, want ErrInvalidEntry about field data saying %q", err, tt.want)
			}
		})
	}
}

// TestHybridSetRejects: keys and tags .NET's HybridCache refuses
// (ValidateKey, TagSet.Validate) and entries it could not read.
func TestHybridSetRejects(t *testing.T) {
	_, client := mini(t)
	h := distcache.New(client, distcache.WithMaxHybridPayloadBytes(100)).Hybrid()
	tests := []struct {
		name  string
		key   string
		value []byte
		opts  distcache.HybridEntryOptions
		want  string
	}{
		{"empty key", "", nil, distcache.HybridEntryOptions{}, "empty or white space"},
		{"white-space key", " \t", nil, distcache.HybridEntryOptions{}, "empty or white space"},
		{"control character", "a\nb", nil, distcache.HybridEntryOptions{}, "control character"},
		{"not UTF-8", "a\xffb", nil, distcache.HybridEntryOptions{}, "not UTF-8"},
		// 513 emoji are 1026 UTF-16 code units
		{"key too long", strings.Repeat("😀", 513), nil, distcache.HybridEntryOptions{}, "1026 UTF-16 code units"},
		{"wildcard tag", "k", nil, distcache.HybridEntryOptions{Tags: []string{"*"}}, "reserved"},
		{"empty tag", "k", nil, distcache.HybridEntryOptions{Tags: []string{""}}, "tags cannot be empty"},
		{"negative expiration", "k", nil, distcache.HybridEntryOptions{Expiration: -time.Second}, "must be positive"},
		{"too big", "k", make([]byte, 100), distcache.HybridEntryOptions{}, "over the 100-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.Set(context.Background(), tt.key, tt.value, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Set: %v, want an error saying %q", err, tt.want)
			}
		})
	}
	// 1024 code units are allowed
	if err := h.Set(context.Background(), strings.Repeat("k", 1024), nil, distcache.HybridEntryOptions{}); err != nil && !strings.Contains(err.Error(), "limit") {
		t.Errorf("a 1024-unit key: %v", err)
	}
}
