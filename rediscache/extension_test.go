package rediscache_test

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// fakeExtension implements AzureAuthentication by recording what it saw.
type fakeExtension struct {
	setting  string
	err      error
	extended atomic.Int32
	closed   atomic.Int32
}

func (f *fakeExtension) Setting() string { return f.setting }

func (f *fakeExtension) Extend(res *settings.Resolved, _ *slog.Logger) (rediscache.Addon, error) {
	if f.err != nil {
		return rediscache.Addon{}, f.err
	}
	f.extended.Add(1)
	if !res.Settings.AzureAuthentication {
		return rediscache.Addon{}, nil
	}
	res.Connection.Options.ClientName = "extended-" + res.Name
	return rediscache.Addon{
		Checks: []healthcheck.Check{{Name: "ext_" + res.Name, Run: func(context.Context) error { return nil }}},
		Close:  func() error { f.closed.Add(1); return nil },
	}, nil
}

func TestExtensionPlainGo(t *testing.T) {
	srv := miniredis.RunT(t)
	cfg := config(t, map[string]any{"ConnectionStrings:cache": miniConn(srv, "")})

	t.Run("setting on without the extension", func(t *testing.T) {
		_, err := rediscache.New("cache", rediscache.Deps{Config: cfg}, settings.EnableAzureAuthentication())
		var me *rediscache.Error
		if !errors.As(err, &me) || me.Client != "cache" || !errors.Is(err, rediscache.ErrMissingExtension) ||
			!strings.Contains(err.Error(), settings.AzureAuthenticationKey) || !strings.Contains(err.Error(), "azureauth.Module") {
			t.Fatalf("err = %v, want an *Error matching ErrMissingExtension naming the client, the setting and azureauth", err)
		}
	})

	t.Run("setting off: extension sees the client, adds nothing", func(t *testing.T) {
		ext := &fakeExtension{setting: settings.AzureAuthenticationKey}
		inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg, Extensions: []rediscache.Extension{ext}})
		if err != nil {
			t.Fatal(err)
		}
		if err := inst.Close(); err != nil {
			t.Fatal(err)
		}
		if ext.extended.Load() != 1 || len(inst.Checks) != 1 || ext.closed.Load() != 0 {
			t.Errorf("extended %d, checks %d, closed %d", ext.extended.Load(), len(inst.Checks), ext.closed.Load())
		}
	})

	t.Run("setting on: options, checks and close", func(t *testing.T) {
		ext := &fakeExtension{setting: settings.AzureAuthenticationKey}
		inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg, Extensions: []rediscache.Extension{ext}}, settings.EnableAzureAuthentication())
		if err != nil {
			t.Fatal(err)
		}
		if got := inst.Resolved.Connection.Options.ClientName; got != "extended-cache" {
			t.Errorf("ClientName = %q: the extension's change did not reach the client", got)
		}
		if len(inst.Checks) != 2 || inst.Checks[1].Name != "ext_cache" {
			t.Errorf("checks = %v", inst.Checks)
		}
		_ = inst.Close()
		_ = inst.Close()
		if ext.closed.Load() != 1 {
			t.Errorf("addon closed %d times, want 1", ext.closed.Load())
		}
	})

	t.Run("extension error", func(t *testing.T) {
		ext := &fakeExtension{setting: settings.AzureAuthenticationKey, err: errors.New("azureauth: no credential")}
		_, err := rediscache.New("cache", rediscache.Deps{Config: cfg, Extensions: []rediscache.Extension{ext}})
		if err == nil || !strings.Contains(err.Error(), `client "cache"`) || !strings.Contains(err.Error(), "no credential") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("two extensions of one setting", func(t *testing.T) {
		a, b := &fakeExtension{setting: "AzureAuthentication"}, &fakeExtension{setting: "AzureAuthentication"}
		_, err := rediscache.New("cache", rediscache.Deps{Config: cfg, Extensions: []rediscache.Extension{a, b}})
		if err == nil || !strings.Contains(err.Error(), "two extensions") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestExtensionFx(t *testing.T) {
	srv := miniredis.RunT(t)
	ext := &fakeExtension{setting: settings.AzureAuthenticationKey}
	var checks []healthcheck.Check
	app := fxtest.New(t,
		fx.Supply(config(t, map[string]any{
			"ConnectionStrings": map[string]any{"cache": miniConn(srv, ""), "chat": miniConn(srv, "")},
			"Aspire:StackExchange:Redis:chat:AzureAuthentication": "true",
		})),
		fx.Provide(fx.Annotate(func() rediscache.Extension { return ext }, fx.ResultTags(`group:"`+rediscache.ExtensionGroup+`"`))),
		fx.Provide(rediscache.Client("cache")),
		fx.Provide(keyed.Client("chat")),
		fx.Invoke(fx.Annotate(func(c []healthcheck.Check) { checks = c }, fx.ParamTags(`group:"health_checks"`))),
	)
	app.RequireStart()
	app.RequireStop()
	names := map[string]bool{}
	for _, c := range checks {
		names[c.Name] = true
	}
	if len(names) != 3 || !names["ext_chat"] {
		t.Errorf("checks %v, want redis_cache, redis_keyed_chat, ext_chat", names)
	}
	if ext.extended.Load() != 2 || ext.closed.Load() != 1 {
		t.Errorf("extended %d clients, closed %d addons; want 2, 1", ext.extended.Load(), ext.closed.Load())
	}
}

// The value-group tag on Params is written out in a struct tag; it must
// name ExtensionGroup.
func TestExtensionGroupTag(t *testing.T) {
	f, ok := reflect.TypeOf(rediscache.Params{}).FieldByName("Extensions")
	if !ok || f.Tag.Get("group") != rediscache.ExtensionGroup {
		t.Errorf("Params.Extensions group tag %q, want %q", f.Tag.Get("group"), rediscache.ExtensionGroup)
	}
}
