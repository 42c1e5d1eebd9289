package keyed_test

import (
	"context"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// Two Redis servers in one service: the un-keyed "cache" client and the
// keyed "chat" client, each injected where it is needed.
func ExampleClient() {
	cacheSrv, _ := miniredis.Run()
	defer cacheSrv.Close()
	chatSrv, _ := miniredis.Run()
	defer chatSrv.Close()
	cfg, _ := settings.NewConfig(map[string]any{"ConnectionStrings": map[string]any{
		"cache": cacheSrv.Addr() + ",setlib=false",
		"chat":  chatSrv.Addr() + ",setlib=false,defaultDatabase=2",
	}})

	type deps struct {
		fx.In
		Cache redis.UniversalClient
		Chat  redis.UniversalClient `name:"chat"`
	}
	app := fx.New(fx.NopLogger,
		fx.Supply(cfg), // fxmodule.Module loads this from appsettings*.json and the environment
		fx.Provide(rediscache.Client("cache")),
		fx.Provide(keyed.Client("chat")),
		fx.Invoke(func(d deps) {
			ctx := context.Background()
			d.Cache.Set(ctx, "page:/", "<html>", 0)
			d.Chat.RPush(ctx, "room:go", "hello")
		}),
	)
	if err := app.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	_ = app.Stop(context.Background())

	fmt.Println("cache server:", cacheSrv.DB(0).Keys())
	fmt.Println("chat server, DB 2:", chatSrv.DB(2).Keys())
	// Output:
	// cache server: [page:/]
	// chat server, DB 2: [room:go]
}
