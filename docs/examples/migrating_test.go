package docs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// Before: a client built by hand from variables of the service's own,
// instrumented with redisotel, with a health endpoint of its own.
func newRedisByHand() (*redis.Client, http.Handler, error) {
	rdb := redis.NewClient(&redis.Options{
		Addr:         os.Getenv("REDIS_ADDR"),
		Password:     os.Getenv("REDIS_PASSWORD"),
		DB:           1,
		ClientName:   "orders",
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
		PoolSize:     20,
	})
	if err := redisotel.InstrumentTracing(rdb); err != nil {
		return nil, nil, err
	}
	if err := redisotel.InstrumentMetrics(rdb); err != nil {
		return nil, nil, err
	}
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := rdb.Ping(r.Context()).Err(); err != nil {
			http.Error(w, "Unhealthy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "Healthy")
	})
	return rdb, health, nil
}

// After: the connection string carries what it can express; the rest
// stays in code, in ConfigureOptions.
var redisClient = rediscache.Client("cache",
	settings.ConfigureOptions(func(o *redis.UniversalOptions) {
		o.PoolSize = 20 // no connection-string key: keep it in code
	}),
)

// Both give the same go-redis options; the SDK adds its defaults.
func Example_migrating() {
	srv, _ := startMiniredis()
	defer srv.Close()
	ctx := context.Background()

	// Before.
	restore := setenv("REDIS_ADDR", srv.Addr())
	rdb, health, err := newRedisByHand()
	restore()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Close()
	rec := httptest.NewRecorder()
	health.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	o := rdb.Options()
	fmt.Println("before:", o.Addr == srv.Addr(), o.DB, o.ClientName, o.ReadTimeout, o.PoolSize, rec.Body)

	// After: what the AppHost (or you) set in the environment.
	defer setenv("ConnectionStrings__cache", srv.Addr()+",defaultDatabase=1,name=orders,syncTimeout=1000,setlib=false")()
	var p struct {
		fx.In
		Client redis.UniversalClient
		Health http.Handler `name:"health"`
	}
	app := fx.New(fx.NopLogger, fxmodule.Module, fx.Provide(redisClient), fx.Populate(&p))
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)
	rec = httptest.NewRecorder()
	p.Health.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	after := p.Client.(*redis.Client) // one endpoint: a *redis.Client
	o = after.Options()
	fmt.Println("after: ", o.Addr == srv.Addr(), o.DB, o.ClientName, o.ReadTimeout, o.PoolSize, rec.Body)
	fmt.Println("after: ", o.DialTimeout, o.WriteTimeout, o.ContextTimeoutEnabled)
	// Output:
	// before: true 1 orders 1s 20 Healthy
	// after:  true 1 orders 1s 20 Healthy
	// after:  5s 1s true
}
