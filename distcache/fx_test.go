package distcache_test

import (
	"context"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/distcache"
	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/testlog"
	"github.com/aspirego/redis/settings"
)

func config(t *testing.T, values map[string]any) *settings.Config {
	t.Helper()
	cfg, err := settings.NewConfig(values)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type fxDeps struct {
	fx.In
	Cache  *distcache.RedisCache `optional:"true"`
	Keyed  *distcache.RedisCache `name:"sessions" optional:"true"`
	Checks []healthcheck.Check   `group:"health_checks"` // healthcheck.Group
}

// TestFxCache: Cache resolves the connection and InstanceName from
// configuration, and brings the client's health check and lifecycle.
func TestFxCache(t *testing.T) {
	tests := []struct {
		name    string
		values  map[string]any
		opts    []distcache.Option
		wantKey string
	}{
		{"named section", map[string]any{"Aspire": map[string]any{"StackExchange": map[string]any{"Redis": map[string]any{
			"InstanceName": "top:", "cache": map[string]any{"InstanceName": "named:"}}}}}, nil, "named:k"},
		{"top section", map[string]any{"Aspire": map[string]any{"StackExchange": map[string]any{"Redis": map[string]any{
			"instancename": "top:"}}}}, nil, "top:k"},
		{"option wins", map[string]any{"Aspire": map[string]any{"StackExchange": map[string]any{"Redis": map[string]any{
			"InstanceName": "top:"}}}}, []distcache.Option{distcache.WithInstanceName("")}, "k"},
		{"none", nil, nil, "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := miniredis.RunT(t)
			values := map[string]any{"ConnectionStrings": map[string]any{"cache": srv.Addr() + ",setlib=false"}}
			for k, v := range tt.values {
				values[k] = v
			}
			var d fxDeps
			app := fxtest.New(t, fx.NopLogger,
				fx.Supply(config(t, values), testlog.Logger(t)),
				fx.Provide(distcache.Cache("cache", tt.opts...)),
				fx.Populate(&d),
			)
			app.RequireStart()
			defer app.RequireStop()
			if err := d.Cache.Set(context.Background(), "k", []byte("v"), distcache.EntryOptions{}); err != nil {
				t.Fatal(err)
			}
			if !srv.Exists(tt.wantKey) {
				t.Errorf("keys = %v, want %s", srv.Keys(), tt.wantKey)
			}
			if len(d.Checks) != 1 || d.Checks[0].Name != "redis_cache" {
				t.Errorf("checks = %v, want redis_cache", d.Checks)
			}
		})
	}
}

func TestFxKeyed(t *testing.T) {
	srv := miniredis.RunT(t)
	cfg := config(t, map[string]any{
		"ConnectionStrings": map[string]any{"sessions": srv.Addr() + ",setlib=false,defaultDatabase=3"},
		"Aspire":            map[string]any{"StackExchange": map[string]any{"Redis": map[string]any{"sessions": map[string]any{"InstanceName": "s:"}}}},
	})
	var d fxDeps
	app := fxtest.New(t, fx.NopLogger,
		fx.Supply(cfg, testlog.Logger(t)),
		fx.Provide(distcache.Keyed("sessions")),
		fx.Populate(&d),
	)
	app.RequireStart()
	defer app.RequireStop()
	if d.Cache != nil || d.Keyed == nil {
		t.Fatalf("un-keyed %v, keyed %v: want only the keyed cache", d.Cache, d.Keyed)
	}
	if err := d.Keyed.Set(context.Background(), "k", []byte("v"), distcache.EntryOptions{}); err != nil {
		t.Fatal(err)
	}
	if keys := srv.DB(3).Keys(); len(keys) != 1 || keys[0] != "s:k" {
		t.Errorf("DB 3 keys = %v", keys)
	}
}

// TestFxErrors: a missing connection and a duplicate name fail at fx.New
// with errors that name the cache.
func TestFxErrors(t *testing.T) {
	t.Run("no connection", func(t *testing.T) {
		var d fxDeps
		app := fx.New(fx.NopLogger, fx.Supply(config(t, nil), testlog.Logger(t)),
			fx.Provide(distcache.Cache("cache")), fx.Populate(&d))
		if err := app.Err(); err == nil || !strings.Contains(err.Error(), "ConnectionStrings:cache") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("twice", func(t *testing.T) {
		app := fx.New(fx.NopLogger, fx.Supply(config(t, nil)),
			fx.Provide(distcache.Cache("cache")), fx.Provide(distcache.Cache("cache")))
		if err := app.Err(); err == nil || !strings.Contains(err.Error(), `distcache.Cache(cache)`) {
			t.Errorf("err = %v", err)
		}
	})
}
