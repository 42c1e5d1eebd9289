package distcache_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/distcache"
	"github.com/aspirego/redis/settings"
)

// A cache over a client you built, sharing entries with .NET services
// whose RedisCacheOptions.InstanceName is "shop:".
func ExampleNew() {
	srv, _ := miniredis.Run()
	defer srv.Close()
	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer client.Close()

	ctx := context.Background()
	cache := distcache.New(client, distcache.WithInstanceName("shop:"))
	err := cache.Set(ctx, "greeting", []byte("hello from Go"), distcache.EntryOptions{
		AbsoluteExpirationRelativeToNow: time.Hour,
		SlidingExpiration:               20 * time.Minute,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := cache.Get(ctx, "greeting") // refreshes the sliding expiration
	fmt.Println(string(v), err)

	// The entry .NET's RedisCache reads: a hash under InstanceName + key.
	fields, _ := srv.HKeys("shop:greeting")
	fmt.Println(fields, srv.TTL("shop:greeting"))

	_, err = cache.Get(ctx, "missing")
	fmt.Println(errors.Is(err, distcache.ErrNotFound))
	// Output:
	// hello from Go <nil>
	// [absexp data sldexp] 20m0s
	// true
}

// What a .NET service cached with HybridCache.GetOrCreateAsync, read in
// Go: System.Text.Json's default output (PascalCase names) decodes into a
// Go struct with encoding/json.
func ExampleHybrid() {
	srv, _ := miniredis.Run()
	defer srv.Close()
	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer client.Close()
	ctx := context.Background()
	h := distcache.New(client, distcache.WithInstanceName("shop:")).Hybrid()

	// Here Go writes the entry a .NET service would have written.
	_ = h.Set(ctx, "product:42", []byte(`{"Id":42,"Name":"Widget"}`), distcache.HybridEntryOptions{
		Expiration: 10 * time.Minute,
		Tags:       []string{"products"},
	})

	e, err := h.Get(ctx, "product:42")
	if err != nil {
		fmt.Println(err)
		return
	}
	var product struct {
		ID   int `json:"Id"`
		Name string
	}
	_ = json.Unmarshal(e.Value, &product)
	fmt.Println(product.ID, product.Name, e.Tags, e.Expires.Sub(e.Created))

	// Invalidate every entry tagged "products", for Go and .NET readers.
	_ = h.RemoveByTag(ctx, "products")
	_, err = h.Get(ctx, "product:42")
	fmt.Println(errors.Is(err, distcache.ErrNotFound))
	// Output:
	// 42 Widget [products] 10m0s
	// true
}

// The fx constructor: the connection "cache" and InstanceName from
// configuration, as a .NET service with AddRedisDistributedCache("cache")
// has them.
func ExampleCache() {
	srv, _ := miniredis.Run()
	defer srv.Close()
	cfg, _ := settings.NewConfig(map[string]any{
		"ConnectionStrings": map[string]any{"cache": srv.Addr() + ",setlib=false"},
		"Aspire": map[string]any{"StackExchange": map[string]any{"Redis": map[string]any{
			"cache": map[string]any{"InstanceName": "shop:"},
		}}},
	})
	app := fx.New(fx.NopLogger,
		fx.Supply(cfg), // fxmodule.Module loads this from appsettings*.json and the environment
		fx.Provide(distcache.Cache("cache")),
		fx.Invoke(func(c *distcache.RedisCache) error {
			return c.Set(context.Background(), "k", []byte("v"), distcache.EntryOptions{})
		}),
	)
	if err := app.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	_ = app.Stop(context.Background())
	fmt.Println(srv.Keys())
	// Output:
	// [shop:k]
}
