package main

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/rediscache/rediscachetest"
)

// TestWithRediscachetest runs the API's wiring the way a user's unit test
// would, with rediscachetest's in-memory Redis for "cache": the API must
// use it rather than run without a cache.
func TestWithRediscachetest(t *testing.T) {
	t.Setenv("PORT", "0")
	srv, redisOption := rediscachetest.Start(t, "cache")
	var rdb redis.UniversalClient
	app := fxtest.New(t, fx.NopLogger, fx.Supply(rediscachetest.Logger(t)), options(), redisOption, fx.Populate(&rdb))
	app.RequireStart()
	defer app.RequireStop()
	if rdb == nil {
		t.Fatal("no cache client: the API runs without a cache although rediscachetest configures one")
	}
	if err := rdb.Set(t.Context(), cacheKey, "[]", cacheTTL).Err(); err != nil {
		t.Fatal(err)
	}
	if ttl := srv.TTL(cacheKey); ttl <= 0 || ttl > cacheTTL {
		t.Errorf("TTL of %s in the in-memory Redis = %v", cacheKey, ttl)
	}
}
