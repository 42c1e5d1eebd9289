package docs_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/settings"
)

// Files, environment variables and option funcs, later wins. The files
// are testdata/config/appsettings.json and appsettings.Development.json.
func Example_configurationSources() {
	cfg, err := settings.LoadConfig(settings.LoadOptions{
		Dir: "testdata/config", // "" is the working directory
		// nil means os.Environ(); these are what a shell or an AppHost would set.
		Environ: []string{
			"DOTNET_ENVIRONMENT=Development",
			"ConnectionStrings__cache=redis.internal:6379,password=s3cret",
			"Aspire__StackExchange__Redis__cache__ConfigurationOptions__SyncTimeout=2500",
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := settings.Resolve(cfg, "cache",
		settings.WithHealthCheckTimeout(2*time.Second),
		settings.ConfigureOptions(func(o *redis.UniversalOptions) { o.PoolSize = 50 }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	o := r.Connection.Options
	fmt.Println("environment:", cfg.Environment())
	fmt.Println("connection:", r.Connection)
	fmt.Println("  from", r.Source)
	fmt.Println("DisableTracing:", r.Settings.DisableTracing, "from", cfg.Source("Aspire:StackExchange:Redis:cache:DisableTracing"))
	fmt.Println("DisableMetrics:", r.Settings.DisableMetrics, "from", cfg.Source("Aspire:StackExchange:Redis:DisableMetrics"))
	fmt.Println("HealthCheckTimeout:", r.Settings.HealthCheckTimeout, "(option func; the file says 3s)")
	fmt.Println("ClientName:", o.ClientName, "DialTimeout:", o.DialTimeout, "ReadTimeout:", o.ReadTimeout, "PoolSize:", o.PoolSize)
	// Output:
	// environment: Development
	// connection: standalone endpoints=[redis.internal:6379] password=*** clientName=orders dialTimeout=2s readTimeout=2.5s writeTimeout=2.5s abortConnect=false
	//   from ConnectionStrings:cache (environment variable ConnectionStrings__cache)
	// DisableTracing: true from testdata/config/appsettings.Development.json
	// DisableMetrics: true from testdata/config/appsettings.json
	// HealthCheckTimeout: 2s (option func; the file says 3s)
	// ClientName: orders DialTimeout: 2s ReadTimeout: 2.5s PoolSize: 50
}

// The settings of client N: defaults, then Aspire:StackExchange:Redis,
// then Aspire:StackExchange:Redis:N, then ConnectionStrings:N, then the
// option funcs.
func Example_settingsPrecedence() {
	cfg, err := settings.NewConfig(map[string]any{
		"Aspire:StackExchange:Redis:ConnectionString":       "shared:6379", // every client
		"Aspire:StackExchange:Redis:DisableTracing":         true,          // every client
		"Aspire:StackExchange:Redis:cache:DisableTracing":   false,         // cache only: wins
		"Aspire:StackExchange:Redis:cache:ConnectionString": "unused:6379",
		"ConnectionStrings:cache":                           "cache:6379", // wins over both ConnectionString keys
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"cache", "chat"} {
		r, err := settings.Resolve(cfg, name)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(name, r.Connection.Endpoints, "tracing off:", r.Settings.DisableTracing, "from", r.Source)
	}
	r, err := settings.Resolve(cfg, "cache", settings.WithConnectionString("code:6379"), settings.DisableTracing())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("cache", r.Connection.Endpoints, "tracing off:", r.Settings.DisableTracing, "from", r.Source)
	// Output:
	// cache [cache:6379] tracing off: false from ConnectionStrings:cache (values)
	// chat [shared:6379] tracing off: true from Aspire:StackExchange:Redis:ConnectionString (values)
	// cache [code:6379] tracing off: true from set in code
}

// The go-redis options of client N: the connection string, then
// Aspire:StackExchange:Redis:ConfigurationOptions, then
// Aspire:StackExchange:Redis:N:ConfigurationOptions, then ConfigureOptions.
func Example_optionsPrecedence() {
	cfg, err := settings.NewConfig(map[string]any{
		"ConnectionStrings:cache":                                                  "cache:6379,syncTimeout=1000,name=from-string",
		"Aspire:StackExchange:Redis:ConfigurationOptions:SyncTimeout":              2000,
		"Aspire:StackExchange:Redis:ConfigurationOptions:ClientName":               "from-section",
		"Aspire:StackExchange:Redis:cache:ConfigurationOptions:SyncTimeout":        3000,
		"Aspire:StackExchange:Redis:cache:ConfigurationOptions:AbortOnConnectFail": true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := settings.Resolve(cfg, "cache", settings.ConfigureOptions(func(o *redis.UniversalOptions) {
		o.WriteTimeout = 4 * time.Second
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	o := r.Connection.Options
	fmt.Println(o.ClientName, o.ReadTimeout, o.WriteTimeout, r.Connection.AbortConnect)
	// Output:
	// from-section 3s 4s true
}

// Without a connection string, the connection properties that newer
// Aspire AppHosts inject: {P}_URI, else {P}_HOST, {P}_PORT, {P}_PASSWORD.
func Example_connectionProperties() {
	for _, c := range []struct {
		name    string
		environ []string
	}{
		{"cache", []string{"CACHE_URI=redis://:p%40ssw0rd1@localhost:6379"}},
		{"my-cache", []string{"MY_CACHE_HOST=localhost", "MY_CACHE_PORT=6380", "MY_CACHE_PASSWORD=p@ssw0rd1"}},
		{"cache", []string{"ConnectionStrings__cache=localhost:6381", "CACHE_URI=redis://localhost:6379"}},
	} {
		cfg, err := settings.LoadConfig(settings.LoadOptions{Dir: "testdata", Environ: c.environ})
		if err != nil {
			fmt.Println(err)
			return
		}
		r, err := settings.Resolve(cfg, c.name)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(c.name, r.Connection.Endpoints, "password set:", r.Connection.Options.Password != "", "from", r.Source)
	}
	// Output:
	// cache [localhost:6379] password set: true from CACHE_URI (environment variable CACHE_URI)
	// my-cache [localhost:6380] password set: true from MY_CACHE_HOST (environment variable MY_CACHE_HOST), MY_CACHE_PORT (environment variable MY_CACHE_PORT), MY_CACHE_PASSWORD (environment variable MY_CACHE_PASSWORD)
	// cache [localhost:6381] password set: false from ConnectionStrings:cache (environment variable ConnectionStrings__cache)
}

// Errors name the key and where its value came from; nothing configured
// gives Aspire's message.
func Example_configurationErrors() {
	for _, values := range []map[string]any{
		{},
		{"ConnectionStrings:cache": ""},
		{"ConnectionStrings:cache": "localhost:abc"},
		{"ConnectionStrings:cache": "localhost", "Aspire:StackExchange:Redis:cache:DisableTracing": "yes"},
		{"ConnectionStrings:cache": "localhost", "Aspire:StackExchange:Redis:HealthCheckTimeout": "5"},
		{"ConnectionStrings:cache": "localhost", "Aspire:StackExchange:Redis:ConfigurationOptions:ConnectTimeOut": "x"},
		{"ConnectionStrings:cache": "localhost", "Aspire:StackExchange:Redis:ConfigurationOptions:Ssl": "yes"},
	} {
		cfg, err := settings.NewConfig(values)
		if err != nil {
			fmt.Println(err)
			return
		}
		_, err = settings.Resolve(cfg, "cache")
		var ce *settings.ConfigError
		fmt.Printf("ErrNoEndpoints: %t, *ConfigError: %t\n  %v\n", errors.Is(err, settings.ErrNoEndpoints), errors.As(err, &ce), err)
	}
	// Output:
	// ErrNoEndpoints: true, *ConfigError: false
	//   No endpoints specified. Ensure a valid connection string was provided in 'ConnectionStrings:cache' or for the 'Aspire:StackExchange:Redis:ConnectionString' configuration key.
	// ErrNoEndpoints: false, *ConfigError: true
	//   settings: config key ConnectionStrings:cache (values): the connection string is empty
	// ErrNoEndpoints: false, *ConfigError: true
	//   settings: config key ConnectionStrings:cache (values): set, but no endpoint in it can be used: piece 1, 'localhost:abc': the port is not a number; skipped, as StackExchange.Redis skips it
	// ErrNoEndpoints: false, *ConfigError: true
	//   settings: config key Aspire:StackExchange:Redis:cache:DisableTracing (values): "yes" is not a boolean (true or false)
	// ErrNoEndpoints: false, *ConfigError: true
	//   settings: config key Aspire:StackExchange:Redis:HealthCheckTimeout (values): "5" has no unit: write a TimeSpan such as "00:00:05" or a Go duration such as "5s"
	// ErrNoEndpoints: false, *ConfigError: true
	//   settings: config key Aspire:StackExchange:Redis:ConfigurationOptions:ConnectTimeOut (values): Keyword 'connectTimeout' requires an integer value; the value 'x' is not recognised
	// ErrNoEndpoints: false, *ConfigError: true
	//   settings: config key Aspire:StackExchange:Redis:ConfigurationOptions:Ssl (values): Keyword 'ssl' requires a boolean value; the value 'yes' is not recognised
}
