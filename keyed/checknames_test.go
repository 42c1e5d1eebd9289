package keyed_test

import (
	"slices"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/fx"

	"github.com/aspirego/redis/distcache"
	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// TestCheckNames checks that a plain and a keyed client of one name get a
// health check each, as in .NET, and the names each naming scheme gives.
func TestCheckNames(t *testing.T) {
	srv := miniredis.RunT(t)
	tests := []struct {
		name  string
		extra map[string]any
		chat  []settings.Option
		want  []string
	}{
		{"Go names", nil, nil,
			[]string{"redis_cache", "redis_keyed_cache", "redis_keyed_chat"}},
		{".NET names from configuration", map[string]any{"Aspire:StackExchange:Redis:DotNetHealthCheckNames": "true"}, nil,
			[]string{"StackExchange.Redis", "StackExchange.Redis_cache", "StackExchange.Redis_chat"}},
		{".NET names for one client from configuration", map[string]any{"Aspire:StackExchange:Redis:chat:DotNetHealthCheckNames": "true"}, nil,
			[]string{"StackExchange.Redis_chat", "redis_cache", "redis_keyed_cache"}},
		{".NET names for one client from an option", nil, []settings.Option{settings.UseDotNetHealthCheckNames()},
			[]string{"StackExchange.Redis_chat", "redis_cache", "redis_keyed_cache"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]any{
				"ConnectionStrings:cache": srv.Addr(),
				"ConnectionStrings:chat":  srv.Addr(),
			}
			for k, v := range tt.extra {
				values[k] = v
			}
			cfg, err := settings.NewConfig(values)
			if err != nil {
				t.Fatal(err)
			}
			checks := providedChecks(t, cfg,
				rediscache.Client("cache"), keyed.Client("cache"), keyed.Client("chat", tt.chat...))
			checker, err := healthcheck.New(checks...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range checker.Checks() {
				if c.Name != healthcheck.SelfName {
					got = append(got, c.Name)
				}
			}
			slices.Sort(got) // fx does not order value groups
			if !slices.Equal(got, tt.want) {
				t.Errorf("checks = %q; want %q", got, tt.want)
			}
		})
	}
}

// TestCheckNamesDistcache checks that a keyed distributed cache shares the
// check of the keyed client of its name, as .NET registers one
// StackExchange.Redis_{name} check for both.
func TestCheckNamesDistcache(t *testing.T) {
	srv := miniredis.RunT(t)
	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:chat": srv.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	checks := providedChecks(t, cfg, keyed.Client("chat"), distcache.Keyed("chat"))
	var got []string
	for _, c := range checks {
		got = append(got, c.Name)
	}
	if want := []string{"redis_keyed_chat", "redis_keyed_chat"}; !slices.Equal(got, want) {
		t.Errorf("checks = %q; want %q (one name, collapsed into one check by healthcheck.New)", got, want)
	}
}

// providedChecks builds an fx application of cfg and the constructors and
// returns the health checks they put in healthcheck's value group.
func providedChecks(t *testing.T, cfg *settings.Config, constructors ...any) []healthcheck.Check {
	t.Helper()
	type in struct {
		fx.In
		Checks []healthcheck.Check `group:"health_checks"` // healthcheck.Group
	}
	var checks []healthcheck.Check
	app := fx.New(fx.NopLogger,
		fx.Supply(cfg),
		fx.Provide(constructors...),
		fx.Invoke(func(p in) { checks = p.Checks }),
	)
	if err := app.Err(); err != nil {
		t.Fatal(err)
	}
	return checks
}
