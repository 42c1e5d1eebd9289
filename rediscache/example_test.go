package rediscache_test

import (
	"context"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// The client "cache" from configuration, in an fx application.
func ExampleClient() {
	srv, _ := miniredis.Run()
	defer srv.Close()
	cfg, _ := settings.NewConfig(map[string]any{
		"ConnectionStrings:cache": srv.Addr() + ",setlib=false",
	})

	app := fx.New(fx.NopLogger,
		fx.Supply(cfg), // or fxmodule.Module, which loads appsettings*.json and the environment
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(func(rdb redis.UniversalClient) {
			rdb.Set(context.Background(), "greeting", "hello", 0)
		}),
	)
	if err := app.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	_ = app.Stop(context.Background())
	v, _ := srv.Get("greeting")
	fmt.Println(v)
	// Output: hello
}

// The same without fx.
func ExampleNew() {
	srv, _ := miniredis.Run()
	defer srv.Close()
	cfg, _ := settings.NewConfig(map[string]any{
		"ConnectionStrings:cache": srv.Addr() + ",setlib=false,abortConnect=true",
	})

	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Close()
	if err := inst.Start(context.Background()); err != nil { // PING, since abortConnect=true
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	inst.Client.Set(ctx, "greeting", "hello", 0)
	fmt.Println(inst.Client.Get(ctx, "greeting").Val())
	fmt.Println(inst.Resolved.Connection.Topology, inst.Checks[0].Name)
	// Output:
	// hello
	// standalone redis_cache
}

// Missing configuration is an error that starts with the cause, says
// where was looked and what to run, and ends with Aspire's wording.
func ExampleNew_missingConnectionString() {
	_, err := rediscache.New("cache", rediscache.Deps{})
	fmt.Println(err)
	// Output:
	// rediscache: client "cache": no connection: none of ConnectionStrings:cache (variable ConnectionStrings__cache), Aspire:StackExchange:Redis:cache:ConnectionString, Aspire:StackExchange:Redis:ConnectionString, CACHE_URI, CACHE_HOST is set in the configuration given in code; run `go run github.com/aspirego/redis/cmd/redis-doctor cache` to see what was found (No endpoints specified. Ensure a valid connection string was provided in 'ConnectionStrings:cache' or for the 'Aspire:StackExchange:Redis:ConnectionString' configuration key.)
}
