package rediscachetest_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/rediscache/rediscachetest"
	"github.com/aspirego/redis/settings"
)

// greeter is a service under test: it depends on the "cache" client.
type greeter struct{ rdb redis.UniversalClient }

func newGreeter(rdb redis.UniversalClient) *greeter { return &greeter{rdb} }

func (g *greeter) Greet(ctx context.Context, name string) (string, error) {
	n, err := g.rdb.Incr(ctx, "greeted:"+name).Result()
	return fmt.Sprintf("hello %s #%d", name, n), err
}

func TestGreeter(t *testing.T) {
	srv, opt := rediscachetest.Start(t, "cache")
	var g *greeter
	app := fxtest.New(t, opt, fx.Provide(rediscache.Client("cache"), newGreeter), fx.Populate(&g))
	app.RequireStart()
	defer app.RequireStop()

	if got, err := g.Greet(context.Background(), "ada"); err != nil || got != "hello ada #1" {
		t.Fatalf("Greet = %q, %v", got, err)
	}
	if v, _ := srv.Get("greeted:ada"); v != "1" {
		t.Errorf("server holds %q", v)
	}
}

func TestOverridesLoadedConfiguration(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", "127.0.0.1:1") // what production would use
	srv, opt := rediscachetest.Start(t, "cache")
	var rdb redis.UniversalClient
	app := fxtest.New(t, opt, fx.Provide(rediscache.Client("cache")), fx.Populate(&rdb))
	app.RequireStart()
	defer app.RequireStop()
	if err := rdb.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := srv.Get("k"); v != "v" {
		t.Errorf("server holds %q", v)
	}
}

func TestKeyed(t *testing.T) {
	srv, opt := rediscachetest.Start(t, "chat")
	var chat redis.UniversalClient
	app := fxtest.New(t, opt, fx.Supply(rediscachetest.Logger(t)), fx.Provide(keyed.Client("chat")),
		fx.Invoke(fx.Annotate(func(c redis.UniversalClient) { chat = c }, fx.ParamTags(`name:"chat"`))))
	app.RequireStart()
	defer app.RequireStop()
	chat.RPush(context.Background(), "messages", "hi")
	if got, _ := srv.List("messages"); len(got) != 1 {
		t.Errorf("messages = %v", got)
	}
}

// The three lines that point a service's "cache" client at an in-memory
// Redis in a unit test (newGreeter stands for your constructor).
func ExampleStart() {
	testGreeter := func(t *testing.T) {
		srv, opt := rediscachetest.Start(t, "cache")
		app := fxtest.New(t, opt,
			fx.Supply(rediscachetest.Logger(t)), // the clients' log lines under this test, shown with -v or on failure
			fx.Provide(rediscache.Client("cache"), newGreeter), fx.Invoke(func(*greeter) {}))
		app.RequireStart().RequireStop()
		_ = srv // seed or inspect the server: srv.Set, srv.Get, srv.FastForward, srv.SetError
	}
	_ = testGreeter
}

// Without fx: a configuration that names the server, for rediscache.New.
func Example_withoutFx() {
	srv := miniredis.NewMiniRedis()
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()

	cfg, _ := settings.NewConfig(map[string]any{"ConnectionStrings:cache": srv.Addr()})
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg})
	if err != nil {
		panic(err)
	}
	defer inst.Close()
	inst.Client.Set(context.Background(), "k", "v", 0)
	v, _ := srv.Get("k")
	fmt.Println(v)
	// Output: v
}

// The logger writes under the test that built it; a goroutine that logs
// after the test ended does not panic.
func TestLogger(t *testing.T) {
	var logger *slog.Logger
	t.Run("service", func(t *testing.T) {
		srv, opt := rediscachetest.Start(t, "cache")
		logger = rediscachetest.Logger(t)
		var rdb redis.UniversalClient
		app := fxtest.New(t, opt, fx.Supply(logger), fx.Provide(rediscache.Client("cache")), fx.Populate(&rdb))
		app.RequireStart().RequireStop()
		_ = srv
	})
	logger.Info("after the test ended")
}
