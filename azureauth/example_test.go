package azureauth_test

import (
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/azureauth"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// A client for Azure Managed Redis authenticated with Microsoft Entra ID,
// in plain Go. Nothing is fetched or dialled until the first command.
func Example() {
	cfg, _ := settings.NewConfig(map[string]any{
		"ConnectionStrings:cache":                              "contoso.westeurope.redis.azure.net:10000,ssl=true",
		"Aspire:StackExchange:Redis:cache:AzureAuthentication": "true",
	})
	inst, err := rediscache.New("cache", rediscache.Deps{
		Config:     cfg,
		Logger:     slog.New(slog.DiscardHandler),
		Extensions: []rediscache.Extension{azureauth.Extension(azureauth.Options{})}, // DefaultAzureCredential
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer inst.Close()
	fmt.Println(inst.Resolved.Connection.Options.StreamingCredentialsProvider) // never a token
	for _, c := range inst.Checks {
		fmt.Println(c.Name)
	}
	// Output:
	// azureauth.Provider(*azidentity.DefaultAzureCredential, no token yet)
	// redis_cache
	// redis_cache_entra_id
}

// With fx, azureauth.Module links the extension; WithCredential turns it
// on for one client in code (nil: DefaultAzureCredential).
func ExampleModule() {
	app := fx.New(
		fx.NopLogger,
		fx.Supply(mustConfig(map[string]any{"ConnectionStrings:cache": "contoso.redis.cache.windows.net:6380,ssl=true"})),
		azureauth.Module,
		fx.Provide(rediscache.Client("cache", azureauth.WithCredential(nil))),
		fx.Supply(slog.New(slog.DiscardHandler)),
		fx.Invoke(func(redis.UniversalClient) {}), // builds the client

	)
	fmt.Println(app.Err())
	// Output: <nil>
}

func mustConfig(v map[string]any) *settings.Config {
	cfg, err := settings.NewConfig(v)
	if err != nil {
		panic(err)
	}
	return cfg
}
