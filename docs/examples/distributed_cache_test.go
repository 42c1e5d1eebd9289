package docs_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/fx"

	"github.com/aspirego/redis/distcache"
	"github.com/aspirego/redis/fxmodule"
)

// product is what the .NET service caches: System.Text.Json writes its
// properties in PascalCase, which encoding/json reads into these fields.
type product struct {
	ID    int `json:"Id"`
	Name  string
	Price float64
}

// catalog reads and writes the entries the .NET service shares.
type catalog struct{ cache *distcache.RedisCache }

// Product returns what the .NET service cached with
// HybridCache.GetOrCreateAsync($"product:{id}", ...).
func (c *catalog) Product(ctx context.Context, id int) (product, bool, error) {
	var p product
	e, err := c.cache.Hybrid().Get(ctx, fmt.Sprintf("product:%d", id))
	if errors.Is(err, distcache.ErrNotFound) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	return p, true, json.Unmarshal(e.Value, &p)
}

// PriceChanged invalidates every cached product (see "Limits" for when
// .NET services notice).
func (c *catalog) PriceChanged(ctx context.Context) error {
	return c.cache.Hybrid().RemoveByTag(ctx, "products")
}

// Greet stores a plain IDistributedCache entry that the .NET service reads
// with GetStringAsync("greeting").
func (c *catalog) Greet(ctx context.Context) error {
	return c.cache.Set(ctx, "greeting", []byte("hello from Go"), distcache.EntryOptions{
		SlidingExpiration: 20 * time.Minute,
	})
}

// A Go service sharing a cache with a .NET service: the same connection,
// the same InstanceName.
func Example_distributedCache() {
	srv, conn := startMiniredis()
	defer srv.Close()
	defer setenv(
		"ConnectionStrings__cache", conn,
		"Aspire__StackExchange__Redis__cache__InstanceName", "shop:",
	)()
	// What the .NET service's HybridCache stored for product:42 (a
	// HybridCache payload with the tag "products" around the JSON of the
	// product, written into the hash RedisCache uses).
	storeDotNetEntry(srv, "shop:product:42")

	var c *catalog
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(distcache.Cache("cache")), // *distcache.RedisCache over ConnectionStrings:cache
		fx.Provide(func(cache *distcache.RedisCache) *catalog { return &catalog{cache: cache} }),
		fx.Populate(&c),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)

	p, found, err := c.Product(ctx, 42)
	fmt.Println(p, found, err)
	fmt.Println(c.Greet(ctx), srv.HGet("shop:greeting", "data"))
	fmt.Println(c.PriceChanged(ctx))
	_, found, _ = c.Product(ctx, 42)
	fmt.Println(found)
	// Output:
	// {42 Widget 9.5} true <nil>
	// <nil> hello from Go
	// <nil>
	// false
}

// storeDotNetEntry writes, under key, the entry a .NET HybridCache
// (Microsoft.Extensions.Caching.Hybrid 9.3+) over RedisCache writes for
// GetOrCreateAsync("product:42", ..., tags: ["products"]) with a 1-hour
// Expiration, created one second ago.
func storeDotNetEntry(srv *miniredis.Miniredis, key string) {
	created := time.Now().Add(-time.Second).UTC()
	ticks := 621355968000000000 + created.UnixNano()/100
	value := `{"Id":42,"Name":"Widget","Price":9.5}`
	payload, _ := hex.DecodeString("0301" + "2a2a") // marker 0x03 0x01, entropy
	for i := 0; i < 8; i++ {
		payload = append(payload, byte(ticks>>(8*i))) // creation, UTC ticks, little-endian
	}
	payload = append(payload, 0, byte(len(value)))                // flags, value length (< 128)
	payload = append(payload, 0x80, 0xd0, 0x91, 0x8e, 0x86, 0x01) // duration: 1 hour, 36000000000 ticks
	payload = append(payload, 1, byte(len("product:42")))         // one tag, key length
	payload = append(payload, "product:42"...)                    // the key
	payload = append(payload, byte(len("products")))              // tag length
	payload = append(payload, "products"...)                      // the tag
	payload = append(append(payload, value...), 0x03, 0x01)       // the value, the marker again
	absexp := fmt.Sprint(ticks + 36000000000)                     // created + Expiration
	srv.HSet(key, "absexp", absexp, "sldexp", "-1", "data", string(payload))
}
