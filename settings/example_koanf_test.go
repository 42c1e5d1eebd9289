package settings_test

import (
	"fmt"

	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/v2"

	"github.com/aspirego/redis/settings"
)

// A service that loads its configuration with koanf hands its values to
// NewConfig, which gives the keys the .NET shape whatever koanf's delimiter.
// Here confmap stands in for koanf's YAML, TOML, Vault or Consul
// providers: lower-case keys, '.' as the delimiter, as a YAML file gives.
func ExampleNewConfig_koanf() {
	k := koanf.New(".")
	_ = k.Load(confmap.Provider(map[string]any{
		"connectionstrings.cache":                         "localhost:6380,password=s3cret",
		"aspire.stackexchange.redis.cache.disabletracing": true,
		"aspire.stackexchange.redis.healthchecktimeout":   "00:00:02",
	}, "."), nil)

	cfg, err := settings.NewConfig(k.Raw())
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := settings.Resolve(cfg, "cache")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Source)
	fmt.Println(res.Connection)
	fmt.Println("tracing off:", res.Settings.DisableTracing, "health timeout:", res.Settings.HealthCheckTimeout)
	// Output:
	// ConnectionStrings:cache (values)
	// standalone endpoints=[localhost:6380] password=*** dialTimeout=5s readTimeout=5s writeTimeout=5s abortConnect=false
	// tracing off: true health timeout: 2s
}
