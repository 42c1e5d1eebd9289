package docs_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
)

// messages is a service that needs two Redis servers: the un-keyed
// client and the one named "chat".
type messages struct {
	cache, chat redis.UniversalClient
}

// messagesParams asks fx for both clients; the name tag selects the
// keyed one.
type messagesParams struct {
	fx.In
	Cache redis.UniversalClient // rediscache.Client("cache")
	Chat  redis.UniversalClient `name:"chat"` // keyed.Client("chat")
}

func newMessages(p messagesParams) *messages {
	return &messages{cache: p.Cache, chat: p.Chat}
}

// feed needs only the chat client: fx.ParamTags names it.
type feed struct{ rdb redis.UniversalClient }

func newFeed(rdb redis.UniversalClient) *feed { return &feed{rdb: rdb} }

// An un-keyed client and a keyed one, each with its own connection string,
// settings and health check.
func Example_keyedClients() {
	cacheSrv, cacheConn := startMiniredis()
	defer cacheSrv.Close()
	chatSrv, chatConn := startMiniredis()
	defer chatSrv.Close()
	defer setenv(
		"ConnectionStrings__cache", cacheConn,
		"ConnectionStrings__chat", chatConn,
		"Aspire__StackExchange__Redis__chat__DisableTracing", "true", // chat only
	)()

	var (
		m       *messages
		f       *feed
		checker *healthcheck.Checker
	)
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")), // un-keyed redis.UniversalClient
		fx.Provide(keyed.Client("chat")),       // redis.UniversalClient tagged name:"chat"
		fx.Provide(newMessages),
		fx.Provide(fx.Annotate(newFeed, fx.ParamTags(`name:"chat"`))),
		fx.Populate(&m, &f, &checker),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)

	m.cache.Set(ctx, "where", "cache", 0)
	m.chat.RPush(ctx, "messages", "hello")
	fmt.Println(f.rdb == m.chat)
	fmt.Println(cacheSrv.Keys(), chatSrv.Keys())
	var checks []string
	for _, c := range checker.Checks() {
		checks = append(checks, c.Name)
	}
	slices.Sort(checks) // fx does not order value groups
	fmt.Println(checks)
	// Output:
	// true
	// [where] [messages]
	// [redis_cache redis_keyed_chat self]
}

// Two providers for one name fail at fx.New, naming the client.
func Example_keyedDuplicate() {
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(keyed.Client("chat")),
		fx.Provide(keyed.Client("chat")),
	)
	err := app.Err()
	fmt.Println(err != nil, strings.Contains(err.Error(), `keyed.Client(chat)`))
	// Output:
	// true true
}
