package fxmodule_test

import (
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// A client annotated by hand without rediscache.GroupTag for its checks
// fails start loudly instead of running without a health check.
func TestForgottenGroupTagFails(t *testing.T) {
	srv := miniredis.RunT(t)
	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:chat": srv.Addr() + ",setlib=false"})
	if err != nil {
		t.Fatal(err)
	}
	type in struct {
		fx.In
		C redis.UniversalClient `name:"chat"`
	}
	for _, tc := range []struct {
		name    string
		tags    fx.Annotation
		wantErr string
	}{
		{"group tag forgotten", fx.ResultTags(`name:"chat"`), "health checks redis_chat were provided as a plain []healthcheck.Check"},
		{"group tag given", fx.ResultTags(`name:"chat"`, rediscache.GroupTag), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := fx.New(fx.NopLogger,
				fx.Decorate(func(*settings.Config) *settings.Config { return cfg }),
				fxmodule.Module,
				fx.Provide(fx.Annotate(rediscache.Constructor("chat"), tc.tags)),
				fx.Invoke(func(in) {}),
			)
			err := app.Err()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("fx.New: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("fx.New error = %v; want one containing %q", err, tc.wantErr)
			}
		})
	}
}
