package settings_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/settings"
)

// Resolve a client from values a program already has, with the same keys
// an appsettings.json would hold.
func ExampleResolve() {
	cfg, err := settings.NewConfig(map[string]any{
		"ConnectionStrings": map[string]any{
			"cache": "localhost:6379,password=secret,abortConnect=false",
		},
		"Aspire:StackExchange:Redis:DisableMetrics":                            true,
		"Aspire:StackExchange:Redis:cache:DisableTracing":                      true,
		"Aspire:StackExchange:Redis:cache:HealthCheckTimeout":                  "00:00:02",
		"Aspire:StackExchange:Redis:cache:ConfigurationOptions:ClientName":     "orders",
		"Aspire:StackExchange:Redis:cache:ConfigurationOptions:SyncTimeout":    1500,
		"Aspire:StackExchange:Redis:cache:ConfigurationOptions:AllowAdmin":     false,
		"Aspire:StackExchange:Redis:chat:DisableTracing":                       false, // another client
		"Aspire:StackExchange:Redis:cache:ConfigurationOptions:DefaultVersion": "7.2",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := settings.Resolve(cfg, "cache",
		settings.EnableAutoActivation(),
		settings.ConfigureOptions(func(o *redis.UniversalOptions) { o.PoolSize = 20 }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	o := r.Connection.Options
	fmt.Println("source:", r.Source)
	fmt.Println("connection string:", settings.Redact(r.Settings.ConnectionString))
	fmt.Println("tracing off:", r.Settings.DisableTracing, "metrics off:", r.Settings.DisableMetrics)
	fmt.Println("connect at start:", !r.Settings.DisableAutoActivation, "health check timeout:", r.Settings.HealthCheckTimeout)
	fmt.Println(r.Connection.Topology, o.Addrs, o.ClientName, o.ReadTimeout, o.PoolSize)
	// Output:
	// source: ConnectionStrings:cache (values)
	// connection string: localhost:6379,password=***,abortConnect=false
	// tracing off: true metrics off: true
	// connect at start: true health check timeout: 2s
	// standalone [localhost:6379] orders 1.5s 20
}

// Without a connection string, Resolve falls back to the connection
// properties an Aspire AppHost injects ({NAME}_URI, or {NAME}_HOST and
// {NAME}_PORT).
func ExampleResolve_connectionProperties() {
	// The same keys as the environment variables MY_CACHE_HOST=... that
	// LoadConfig would read.
	cfg, err := settings.NewConfig(map[string]any{
		"MY_CACHE_HOST":     "127.0.0.1",
		"MY_CACHE_PORT":     6390,
		"MY_CACHE_PASSWORD": "secret",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := settings.Resolve(cfg, "my-cache")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Connection.Options.Addrs)
	fmt.Println(r.Source)
	// Output:
	// [127.0.0.1:6390]
	// MY_CACHE_HOST (values), MY_CACHE_PORT (values), MY_CACHE_PASSWORD (values)
}

// When nothing says where the server is, the error is Aspire's.
func ExampleResolve_missing() {
	_, err := settings.Resolve(nil, "cache")
	fmt.Println(errors.Is(err, settings.ErrNoEndpoints))
	fmt.Println(err)
	// Output:
	// true
	// No endpoints specified. Ensure a valid connection string was provided in 'ConnectionStrings:cache' or for the 'Aspire:StackExchange:Redis:ConnectionString' configuration key.
}

// A value of the wrong type names the configuration key and where it came
// from.
func ExampleResolve_configError() {
	cfg, _ := settings.NewConfig(map[string]any{
		"ConnectionStrings:cache":                         "localhost",
		"Aspire:StackExchange:Redis:cache:DisableTracing": "maybe",
	})
	_, err := settings.Resolve(cfg, "cache")
	var ce *settings.ConfigError
	fmt.Println(errors.As(err, &ce), ce.Key)
	fmt.Println(err)
	// Output:
	// true Aspire:StackExchange:Redis:cache:DisableTracing
	// settings: config key Aspire:StackExchange:Redis:cache:DisableTracing (values): "maybe" is not a boolean (true or false)
}

// LoadConfig reads appsettings.json, appsettings.{Environment}.json and
// the environment, later wins, keys in any case.
func ExampleLoadConfig() {
	dir, err := os.MkdirTemp("", "settings-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"appsettings.json":             `{"ConnectionStrings": {"cache": "prod:6379"}, "Aspire": {"StackExchange": {"Redis": {"DisableTracing": true}}}}`,
		"appsettings.Development.json": `{"ConnectionStrings": {"Cache": "dev:6379"}}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			fmt.Println(err)
			return
		}
	}
	cfg, err := settings.LoadConfig(settings.LoadOptions{
		Dir:     dir,
		Environ: []string{"DOTNET_ENVIRONMENT=Development", "ASPIRE__STACKEXCHANGE__REDIS__DISABLETRACING=false"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cs, _ := cfg.String("ConnectionStrings:cache")
	tracing, _ := cfg.String("Aspire:StackExchange:Redis:DisableTracing")
	fmt.Println(cfg.Environment(), cs, filepath.Base(cfg.Source("connectionstrings:CACHE")))
	fmt.Println(tracing, cfg.Source("Aspire:StackExchange:Redis:DisableTracing"))
	// Output:
	// Development dev:6379 appsettings.Development.json
	// false environment variable ASPIRE__STACKEXCHANGE__REDIS__DISABLETRACING
}
