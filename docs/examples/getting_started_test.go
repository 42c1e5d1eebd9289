package docs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
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
	if got := fmt.Sprint(r.Connection); !strings.HasPrefix(got, "standalone endpoints=[localhost:6379] password=*** ") {
		t.Errorf("got %s", got)
	}
}

// levelMessage is a slog handler that writes "LEVEL message" lines, what
// slog's default output shows after the time.
type levelMessage struct {
	mu  *sync.Mutex
	out *strings.Builder
}

func (h levelMessage) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h levelMessage) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(h.out, "%s %s\n", r.Level, r.Message)
	return nil
}
func (h levelMessage) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h levelMessage) WithGroup(string) slog.Handler      { return h }

// TestGettingStartedMessages produces the messages getting-started.md
// shows for a connection string that is set but unusable, and checks them
// against testdata/getting-started/errors.txt, from which the page quotes
// them (TestSnippets).
func TestGettingStartedMessages(t *testing.T) {
	const env = "ConnectionStrings__cache=127.0.0.1:abc,password=secret"
	t.Setenv("ConnectionStrings__cache", strings.TrimPrefix(env, "ConnectionStrings__cache="))
	var got strings.Builder

	// The quickstart resolves the connection before it starts anything.
	cfg, err := settings.LoadConfig(settings.LoadOptions{Dir: t.TempDir(), Environ: []string{env}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = settings.Resolve(cfg, "cache")
	fmt.Fprintln(&got, "quickstart:", err)

	// A service: fxmodule.Module's fx logger logs the failure once.
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	slog.SetDefault(slog.New(levelMessage{mu: &sync.Mutex{}, out: &got}))
	app := fx.New(
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(greet),
	)
	if err := app.Start(context.Background()); err == nil {
		t.Fatal("the application started")
	}

	want, err := os.ReadFile("testdata/getting-started/errors.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("the messages are\n%s\ntestdata/getting-started/errors.txt says\n%s", got.String(), want)
	}
}
