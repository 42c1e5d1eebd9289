package docs_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/rediscache/rediscachetest"
	"github.com/aspirego/redis/settings"
)

// visits is the code under test: it counts visits in Redis, for a day.
type visits struct{ rdb redis.UniversalClient }

func newVisits(rdb redis.UniversalClient) *visits { return &visits{rdb: rdb} }

func (v *visits) Count(ctx context.Context, page string) (int64, error) {
	n, err := v.rdb.Incr(ctx, "visits:"+page).Result()
	if err == nil && n == 1 {
		err = v.rdb.Expire(ctx, "visits:"+page, 24*time.Hour).Err()
	}
	return n, err
}

func TestVisits(t *testing.T) {
	srv, redisOption := rediscachetest.Start(t, "cache") // an in-memory Redis for the "cache" client
	var v *visits
	app := fxtest.New(t, fxmodule.Module, redisOption, fx.Provide(rediscache.Client("cache"), newVisits), fx.Populate(&v))
	app.RequireStart()
	defer app.RequireStop()

	ctx := context.Background()
	if n, err := v.Count(ctx, "home"); n != 1 || err != nil {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if ttl := srv.TTL("visits:home"); ttl != 24*time.Hour { // inspect the server
		t.Errorf("TTL = %v", ttl)
	}
	srv.FastForward(24 * time.Hour) // let the key expire
	if n, _ := v.Count(ctx, "home"); n != 1 {
		t.Errorf("after a day, Count = %d", n)
	}
	srv.SetError("LOADING Redis is loading the dataset in memory") // make every command fail
	if _, err := v.Count(ctx, "home"); err == nil {
		t.Error("Count succeeded while the server fails")
	}
}

// Several clients, keyed or not, can share one test server.
func TestSharedServer(t *testing.T) {
	srv, redisOption := rediscachetest.Start(t, "cache", "chat")
	app := fxtest.New(t, fxmodule.Module, redisOption,
		fx.Provide(rediscache.Client("cache"), keyed.Client("chat")),
		fx.Invoke(fx.Annotate(func(cache, chat redis.UniversalClient) {
			cache.Set(context.Background(), "from", "cache", 0)
			chat.RPush(context.Background(), "messages", "hi")
		}, fx.ParamTags(``, `name:"chat"`))),
	)
	app.RequireStart()
	defer app.RequireStop()
	if got := srv.Keys(); len(got) != 2 {
		t.Errorf("keys = %v", got)
	}
}

// Without fx: Values is the configuration that points a client at the
// test server.
func TestVisitsWithoutFx(t *testing.T) {
	srv := miniredis.RunT(t)
	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:cache": srv.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })

	if n, err := newVisits(inst.Client).Count(context.Background(), "home"); n != 1 || err != nil {
		t.Fatalf("Count = %d, %v", n, err)
	}
}

// Against a real server: the connection string comes from the environment,
// as in production, e.g.
// TEST_REDIS='localhost:6379,password=...' go test ./...
func TestVisitsRealRedis(t *testing.T) {
	connectionString := os.Getenv("TEST_REDIS")
	if connectionString == "" {
		t.Skip("set TEST_REDIS to a connection string to run this test")
	}
	t.Setenv("ConnectionStrings__cache", connectionString)
	var v *visits
	app := fxtest.New(t, fxmodule.Module, fx.Provide(rediscache.Client("cache"), newVisits), fx.Populate(&v))
	app.RequireStart()
	defer app.RequireStop()

	page := fmt.Sprint("test-", time.Now().UnixNano()) // a key no other run uses
	if n, err := v.Count(context.Background(), page); n != 1 || err != nil {
		t.Fatalf("Count = %d, %v", n, err)
	}
}

// Runs TestVisitsRealRedis against a redis-server started for it.
func TestVisitsRealRedisHere(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Password: "test-pw"})
	t.Setenv("TEST_REDIS", srv.ConnectionString())
	TestVisitsRealRedis(t)
}
