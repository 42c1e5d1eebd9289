package rediscache_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/internal/configstore"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

func TestNotConfiguredErrorSaysWhereItLooked(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "appsettings.json", `{"ConnectionStrings": {"cache": "localhost"}}`)
	loaded, err := settings.LoadConfig(settings.LoadOptions{Dir: dir, Environment: "Staging", Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := settings.LoadConfig(settings.LoadOptions{Dir: t.TempDir(), Environment: "Staging", Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  *settings.Config
		want []string
	}{
		{"file read", loaded, []string{
			`rediscache: client "chat-1": no connection: none of ConnectionStrings:chat-1 (variable ConnectionStrings__chat-1), ` +
				`Aspire:StackExchange:Redis:chat-1:ConnectionString, Aspire:StackExchange:Redis:ConnectionString, CHAT_1_URI, CHAT_1_HOST is set`,
			"in the environment or in appsettings.json (read from " + dir + ")",
			"run `go run github.com/aspirego/redis/cmd/redis-doctor chat-1`",
		}},
		{"no files", empty, []string{"neither appsettings.json nor appsettings.Staging.json is in " + configstore.Of(empty).Dir()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rediscache.New("chat-1", rediscache.Deps{Config: tt.cfg})
			var nc *rediscache.Error
			if !errors.As(err, &nc) || nc.Client != "chat-1" || !errors.Is(err, settings.ErrNoEndpoints) {
				t.Fatalf("err = %v; want an *Error for chat-1 matching ErrNoEndpoints", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// A connection string that is set but unusable is reported as that, with
// its key and source first and the bad piece named; not as "none of ... is
// set".
func TestSetButUnusableIsNotNotConfigured(t *testing.T) {
	cfg, err := settings.LoadConfig(settings.LoadOptions{Dir: t.TempDir(), Environ: []string{"ConnectionStrings__cache=127.0.0.1:abc,password=s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rediscache.New("cache", rediscache.Deps{Config: cfg})
	var named *rediscache.Error
	var ce *settings.ConfigError
	if err == nil || errors.Is(err, settings.ErrNoEndpoints) || !errors.As(err, &ce) || !errors.As(err, &named) || named.Client != "cache" {
		t.Fatalf("err = %v; want an *Error for cache around a *settings.ConfigError, not ErrNoEndpoints", err)
	}
	want := `rediscache: client "cache": settings: config key ConnectionStrings:cache (environment variable ConnectionStrings__cache): ` +
		`set, but no endpoint in it can be used: piece 1, '127.0.0.1:abc': the port is not a number`
	if msg := err.Error(); !strings.HasPrefix(msg, want) || strings.Contains(msg, "s3cret") || strings.Contains(msg, "is set") {
		t.Errorf("err = %q; want it to start with %q", msg, want)
	}
}

// fx puts a constructor's error last, after its chain of "could not build
// arguments" lines; errors.As with an *rediscache.Error finds it. The constructor does not log it itself:
// fx reports it, and fxmodule's event logger once (fxmodule's
// TestStartFailureIsLoggedOnce).
func TestCauseOfAnFxError(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	app := fx.New(
		fx.NopLogger,
		fx.Supply(logger),
		fx.Supply(config(t, map[string]any{})),
		fx.Provide(keyed.Client("chat")),
		fx.Invoke(fx.Annotate(func(redis.UniversalClient) {}, fx.ParamTags(`name:"chat"`))),
	)
	if app.Err() == nil {
		t.Fatal("fx.New succeeded without a connection string")
	}
	if buf.Len() != 0 {
		t.Errorf("the constructor logged %q; fx reports the error", buf.String())
	}
	var c *rediscache.Error
	if !errors.As(app.Err(), &c) || !strings.HasPrefix(c.Error(), `rediscache: client "chat": no connection`) {
		t.Errorf("errors.As(%v) = %v", app.Err(), c)
	}
}
