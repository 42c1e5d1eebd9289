package distcache_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/distcache"
	"github.com/aspirego/redis/internal/testserver"
)

// realServerB starts a server of the given binary (redis-server when
// empty) and a client for it.
func realServerB(t testing.TB, binary string) (*testserver.Server, redis.UniversalClient) {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{Binary: binary, Password: "dc-secret"})
	client := redis.NewClient(srv.ClientOptions())
	t.Cleanup(func() { _ = client.Close() })
	return srv, client
}

// TestRealServer: the .NET write paths, Go's own entries, expiry, sliding
// refresh, HybridCache entries and concurrent use against a real Redis
// (and Valkey, when valkey-server is on PATH).
func TestRealServer(t *testing.T) {
	testserver.EachBinary(t, testRealServer)
}

func testRealServer(t *testing.T, binary string) {
	_, client := realServerB(t, binary)
	ctx := context.Background()

	for _, w := range dotnetWriters {
		t.Run("reads "+w.name, func(t *testing.T) {
			readsDotNetEntry(t, client, w)
		})
	}

	t.Run("Go entries have the .NET layout", func(t *testing.T) {
		clock := newClock(goldenNow)
		cache := distcache.New(client, distcache.WithInstanceName("go:"), distcache.WithClock(clock.Now))
		if err := cache.Set(ctx, "both", []byte("v"), distcache.EntryOptions{AbsoluteExpirationRelativeToNow: time.Hour, SlidingExpiration: 20 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		// what .NET's HashGet(absexp, sldexp, data) sees ([ASP] lines 29-31, 251-253)
		vals, err := client.HMGet(ctx, "go:both", "absexp", "sldexp", "data").Result()
		if err != nil {
			t.Fatal(err)
		}
		if vals[0] != "639321984000000000" || vals[1] != "12000000000" || vals[2] != "v" {
			t.Errorf("fields = %q", vals)
		}
		if ttl := client.TTL(ctx, "go:both").Val(); ttl != 20*time.Minute {
			t.Errorf("TTL = %v, want 20m", ttl)
		}
		if typ := client.Type(ctx, "go:both").Val(); typ != "hash" {
			t.Errorf("type = %s", typ)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		cache := distcache.New(client)
		if err := cache.Set(ctx, "short", []byte("v"), distcache.EntryOptions{AbsoluteExpirationRelativeToNow: time.Second}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := cache.Get(ctx, "short")
			if errors.Is(err, distcache.ErrNotFound) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatal("an entry with a 1s expiration is still there after 10s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("sliding refresh", func(t *testing.T) {
		clock := newClock(time.Now())
		cache := distcache.New(client, distcache.WithClock(clock.Now))
		if err := cache.Set(ctx, "slide", []byte("v"), distcache.EntryOptions{SlidingExpiration: time.Hour, AbsoluteExpirationRelativeToNow: 90 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		client.Expire(ctx, "slide", time.Minute) // as if much time had passed
		clock.Advance(45 * time.Minute)
		if err := cache.Refresh(ctx, "slide"); err != nil {
			t.Fatal(err)
		}
		// min(90m - 45m, 60m) = 45m, in milliseconds (PEXPIRE)
		if ttl := client.PTTL(ctx, "slide").Val(); ttl > 45*time.Minute || ttl < 44*time.Minute {
			t.Errorf("PTTL = %v, want 45m", ttl)
		}
	})

	t.Run("hybrid", func(t *testing.T) {
		h := distcache.New(client, distcache.WithInstanceName("hy:")).Hybrid()
		if err := h.Set(ctx, "product:42", []byte(`{"Id":42,"Name":"Widget"}`), distcache.HybridEntryOptions{Tags: []string{"products"}}); err != nil {
			t.Fatal(err)
		}
		e, err := h.Get(ctx, "product:42")
		if err != nil || string(e.Value) != `{"Id":42,"Name":"Widget"}` || len(e.Tags) != 1 {
			t.Fatalf("Get = %+v, %v", e, err)
		}
		if err := h.RemoveByTag(ctx, "products"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Get(ctx, "product:42"); !errors.Is(err, distcache.ErrNotFound) {
			t.Fatalf("Get after RemoveByTag: %v", err)
		}
	})

	t.Run("hostile", func(t *testing.T) {
		client.Set(ctx, "str", "v", 0)
		if _, err := distcache.New(client).Get(ctx, "str"); err == nil {
			t.Error("a string key read as an entry")
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		concurrent(t, client)
	})
}

// TestCluster: entries and HybridCache tag records on a 3-primary Redis
// Cluster, where a Hybrid Get reads records in other slots than the
// entry's. Valkey too, when valkey-server is on PATH.
func TestCluster(t *testing.T) {
	testserver.EachBinary(t, testCluster)
}

func testCluster(t *testing.T, binary string) {
	cl := testserver.StartCluster(t, testserver.ClusterOptions{Binary: binary})
	client := redis.NewClusterClient(cl.ClientOptions())
	t.Cleanup(func() { _ = client.Close() })
	ctx := context.Background()

	for _, w := range dotnetWriters {
		readsDotNetEntry(t, client, w)
	}
	h := distcache.New(client, distcache.WithInstanceName("cl:")).Hybrid()
	for i := 0; i < 20; i++ { // keys across the slots
		key := fmt.Sprintf("item:%d", i)
		if err := h.Set(ctx, key, []byte("v"), distcache.HybridEntryOptions{Tags: []string{"a", fmt.Sprintf("t%d", i)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Get(ctx, key); err != nil {
			t.Fatalf("Get %s: %v", key, err)
		}
	}
	if err := h.RemoveByTag(ctx, "t7"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		_, err := h.Get(ctx, fmt.Sprintf("item:%d", i))
		if (i == 7) != errors.Is(err, distcache.ErrNotFound) {
			t.Errorf("item:%d after RemoveByTag(t7): %v", i, err)
		}
	}
	concurrent(t, client)
}
