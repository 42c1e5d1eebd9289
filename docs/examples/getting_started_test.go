package docs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// greet is the service's own code: it asks fx for a redis.UniversalClient
// and uses it when the application starts.
func greet(lc fx.Lifecycle, rdb redis.UniversalClient) {
	lc.Append(fx.StartHook(func(ctx context.Context) error {
		if err := rdb.Set(ctx, "greeting", "hello from Go", 0).Err(); err != nil {
			return err
		}
		v, err := rdb.Get(ctx, "greeting").Result()
		fmt.Println("GET greeting:", v)
		return err
	}))
}

// The one-line wiring: fxmodule.Module plus one rediscache.Client per
// connection name.
func Example_gettingStarted() {
	srv, connectionString := startMiniredis()
	defer srv.Close()
	// What an Aspire AppHost injects for .WithReference(cache).
	defer setenv("ConnectionStrings__cache", connectionString)()

	app := fx.New(
		fxmodule.Module,                        // configuration, /health and /alive
		fx.Provide(rediscache.Client("cache")), // redis.UniversalClient from ConnectionStrings:cache
		fx.Invoke(greet),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)
	// Output:
	// GET greeting: hello from Go
}

// The connection string can also come from code; it then wins over every
// configuration source.
func Example_connectionStringInCode() {
	srv, connectionString := startMiniredis()
	defer srv.Close()

	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache", settings.WithConnectionString(connectionString))),
		fx.Invoke(greet),
	)
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)
	// Output:
	// GET greeting: hello from Go
}

// The appsettings.json of the getting-started page says what the page
// says it does.
func TestGettingStartedAppsettings(t *testing.T) {
	cfg, err := settings.LoadConfig(settings.LoadOptions{Dir: "testdata/getting-started", Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := settings.Resolve(cfg, "cache")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Connection.String(); !strings.HasPrefix(got, "standalone endpoints=[localhost:6379] password=*** ") {
		t.Errorf("got %s", got)
	}
}
