package docs_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/azureauth"
	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// The fx wiring of a service whose Redis is Azure Managed Redis with
// Microsoft Entra ID. AzureAuthentication comes from configuration.
func azureApp(run func(redis.UniversalClient)) *fx.App {
	return fx.New(
		fx.NopLogger,
		fxmodule.Module,
		azureauth.Module, // links Entra ID: clients with AzureAuthentication=true use it
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(run),
	)
}

// In code instead of configuration, with a chosen credential: here the
// user-assigned managed identity named by AZURE_CLIENT_ID.
func azureAppWithCredential(run func(redis.UniversalClient)) (*fx.App, error) {
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ID: azidentity.ClientID(os.Getenv("AZURE_CLIENT_ID")),
	})
	if err != nil {
		return nil, err
	}
	return fx.New(
		fx.NopLogger,
		fxmodule.Module,
		azureauth.Module,
		fx.Provide(rediscache.Client("cache", azureauth.WithCredential(cred))),
		fx.Invoke(run),
	), nil
}

// Without fx.
func azurePlainGo(ctx context.Context) error {
	cfg, err := settings.LoadConfig(settings.LoadOptions{})
	if err != nil {
		return err
	}
	inst, err := rediscache.New("cache", rediscache.Deps{
		Config:     cfg,
		Extensions: []rediscache.Extension{azureauth.Extension(azureauth.Options{})},
	}, azureauth.WithCredential(nil)) // nil: DefaultAzureCredential
	if err != nil {
		return err
	}
	defer inst.Close()
	return inst.Client.Set(ctx, "greeting", "hello from Go", 0).Err()
}

// Tuning the refresh: a new token at 70% of the current one's lifetime,
// retries from 2s up to one minute.
var azureTuned = azureauth.ModuleWith(azureauth.Options{
	RefreshFraction: 0.7,
	RetryMin:        2 * time.Second,
	RetryMax:        time.Minute,
})

// The environment an Aspire AppHost gives the service for an Azure Managed
// Redis resource: no password. With AzureAuthentication the client uses
// Entra ID tokens; nothing is fetched or dialled until the first command.
func Example_azure() {
	defer setenv(
		"ConnectionStrings__cache", "contoso.westeurope.redis.azure.net:10000,ssl=true",
		"Aspire__StackExchange__Redis__cache__AzureAuthentication", "true",
	)()
	app := azureApp(func(rdb redis.UniversalClient) {
		opts := rdb.(*redis.Client).Options()
		fmt.Println("addr:", opts.Addr, "tls:", opts.TLSConfig != nil)
		fmt.Println("credentials:", opts.StreamingCredentialsProvider) // never a token
	})
	ctx := context.Background()
	if err := app.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer app.Stop(ctx)
	// Output:
	// addr: contoso.westeurope.redis.azure.net:10000 tls: true
	// credentials: azureauth.Provider(*azidentity.DefaultAzureCredential, no token yet)
}

// The other snippets of docs/azure.md compile; they need Azure to run.
func TestAzureSnippets(t *testing.T) {
	for name, v := range map[string]any{
		"azureAppWithCredential": azureAppWithCredential, "azurePlainGo": azurePlainGo, "azureTuned": azureTuned,
	} {
		if v == nil {
			t.Errorf("%s is nil", name)
		}
	}
}
