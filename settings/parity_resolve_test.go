package settings

import (
	"slices"
	"strings"
	"testing"

	"github.com/aspirego/redis/internal/connstr"
	"github.com/redis/go-redis/v9"
)

func TestResolveParity(t *testing.T) {
	t.Run("endpoint from ConfigureOptions alone", func(t *testing.T) {
		r, err := Resolve(nil, "cache", ConfigureOptions(func(o *redis.UniversalOptions) {
			o.Addrs = []string{"127.0.0.1:6400"}
		}))
		if err != nil {
			t.Fatal(err)
		}
		if r.Connection.Topology != Standalone || !slices.Equal(r.Connection.Endpoints, []string{"127.0.0.1:6400"}) ||
			r.Connection.Options.DialerRetries != connstr.DefaultConnectRetry || r.Source != "ConfigureOptions (set in code)" {
			t.Errorf("got %v", r)
		}
	})
	t.Run("ConfigureOptions that add no endpoint", func(t *testing.T) {
		_, err := Resolve(nil, "cache", ConfigureOptions(func(o *redis.UniversalOptions) {}))
		if err == nil || !strings.Contains(err.Error(), "No endpoints specified") {
			t.Errorf("err = %v, want Aspire's no-endpoints error", err)
		}
	})
	t.Run("unknown ConfigurationOptions properties are warnings", func(t *testing.T) {
		cfg := newConfig(t, map[string]any{
			"ConnectionStrings:cache": "localhost",
			"Aspire:StackExchange:Redis:cache:ConfigurationOptions:FastMode":                       true,
			"Aspire:StackExchange:Redis:ConfigurationOptions:BacklogPolicy:QueueWhileDisconnected": true,
			"Aspire:StackExchange:Redis:ConfigurationOptions:ChannelPrefix:Value":                  "x",
			"Aspire:StackExchange:Redis:ConfigurationOptions:CheckCertificateRevocation":           "true",
		})
		r := mustResolve(t, cfg, "cache")
		var keys []string
		for _, w := range r.Connection.Warnings {
			keys = append(keys, w.Key)
		}
		want := []string{
			"Aspire:StackExchange:Redis:ConfigurationOptions:BacklogPolicy",
			"Aspire:StackExchange:Redis:ConfigurationOptions:ChannelPrefix:Value",
			"Aspire:StackExchange:Redis:cache:ConfigurationOptions:FastMode",
			"checkCertificateRevocation",
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Errorf("warnings = %v\nwant keys %v", r.Connection.Warnings, want)
		}
	})
	t.Run("ConfigurationOptions booleans take bool.Parse's grammar", func(t *testing.T) {
		cfg := newConfig(t, map[string]any{
			"ConnectionStrings:cache":                             "localhost",
			"Aspire:StackExchange:Redis:ConfigurationOptions:Ssl": "yes",
		})
		if _, err := Resolve(cfg, "cache"); err == nil || !strings.Contains(err.Error(), "requires a boolean value") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("LibraryName", func(t *testing.T) {
		cfg := newConfig(t, map[string]any{
			"ConnectionStrings:cache":                                     "localhost",
			"Aspire:StackExchange:Redis:ConfigurationOptions:LibraryName": "mylib",
		})
		if r := mustResolve(t, cfg, "cache"); r.Connection.Options.IdentitySuffix != "mylib" {
			t.Errorf("IdentitySuffix = %q", r.Connection.Options.IdentitySuffix)
		}
	})
	t.Run("REDIS_HOST never beats a connection string", func(t *testing.T) {
		cfg := mustLoad(t, nil, "REDIS_HOST=127.0.0.9", "ConnectionStrings__cache=127.0.0.8")
		if r := mustResolve(t, cfg, "cache"); r.Connection.Endpoints[0] != "127.0.0.8:6379" {
			t.Errorf("Endpoints = %v", r.Connection.Endpoints)
		}
	})
}

// aspireVectors are the cases of Aspire's AspireRedisExtensionsTests
// (microsoft/aspire, tests/Aspire.StackExchange.Redis.Tests) that concern
// configuration: AbortOnConnectFailDefaults, ConnectionNameWinsOverConfigSection,
// ConnectionStringCanBeSetInCode.
func TestAspireVectors(t *testing.T) {
	tests := []struct {
		name  string
		keyed bool
		cfg   map[string]any
		opts  []Option
		addr  string
		abort bool
	}{
		{"AbortOnConnectFail default", false, map[string]any{"ConnectionStrings:redis": "localhost"}, nil, "localhost:6379", false},
		{"AbortOnConnectFail set true (general section)", false, map[string]any{"ConnectionStrings:redis": "localhost",
			"Aspire:StackExchange:Redis:ConfigurationOptions:AbortOnConnectFail": "true"}, nil, "localhost:6379", true},
		{"AbortOnConnectFail set true (named section)", true, map[string]any{"ConnectionStrings:redis": "localhost",
			"Aspire:StackExchange:Redis:redis:ConfigurationOptions:AbortOnConnectFail": "true"}, nil, "localhost:6379", true},
		{"abortConnect=true in the string", false, map[string]any{"ConnectionStrings:redis": "localhost,abortConnect=true"}, nil, "localhost:6379", true},
		{"abortConnect=false in the string", false, map[string]any{"ConnectionStrings:redis": "localhost,abortConnect=false"}, nil, "localhost:6379", false},
		{"connection name wins over config section", false, map[string]any{"ConnectionStrings:redis": "localhost:7000",
			"Aspire:StackExchange:Redis:ConnectionString": "unused"}, nil, "localhost:7000", false},
		{"connection name wins over keyed config section", true, map[string]any{"ConnectionStrings:redis": "localhost:7000",
			"Aspire:StackExchange:Redis:redis:ConnectionString": "unused"}, nil, "localhost:7000", false},
		{"connection string set in code", false, map[string]any{"ConnectionStrings:redis": "unused"},
			[]Option{WithConnectionString("localhost:7001")}, "localhost:7001", false},
	}
	for _, tt := range tests {
		r, err := Resolve(newConfig(t, tt.cfg), "redis", tt.opts...)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if r.Connection.Endpoints[0] != tt.addr || r.Connection.AbortConnect != tt.abort {
			t.Errorf("%s: %v abort=%v; want %s abort=%v", tt.name, r.Connection.Endpoints, r.Connection.AbortConnect, tt.addr, tt.abort)
		}
	}
}
