package azureauth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/auth"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/testlog"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

type otherProvider struct{}

func (otherProvider) Subscribe(auth.CredentialsListener) (auth.Credentials, auth.UnsubscribeFunc, error) {
	return nil, nil, nil
}

// Which clients get Entra ID, decided from the resolved settings alone
// (nothing dials).
func TestExtendDecisions(t *testing.T) {
	cred := &fakeCredential{oid: "o", lifetime: time.Hour}
	other := &fakeCredential{oid: "p", lifetime: time.Hour}
	tests := []struct {
		name     string
		conn     string
		config   map[string]any
		opts     []settings.Option
		entra    bool   // a Provider is installed
		cred     any    // its credential
		password string // the password left in the options
		log      string // in the log
		err      string
	}{
		{name: "setting off", conn: "contoso.redis.azure.net:10000,ssl=true"},
		{name: "Azure Managed Redis from config", conn: "contoso.redis.azure.net:10000,ssl=true",
			config: map[string]any{"Aspire:StackExchange:Redis:cache:AzureAuthentication": "true"}, entra: true, cred: cred,
			log: "Azure Managed Redis"},
		{name: "Azure Cache for Redis in code", conn: "contoso.redis.cache.windows.net:6380,ssl=true",
			opts: []settings.Option{settings.EnableAzureAuthentication()}, entra: true, cred: cred, log: "Azure Cache for Redis"},
		{name: "WithCredential picks the credential", conn: "contoso.redis.cache.windows.net:6380,ssl=true",
			opts: []settings.Option{WithCredential(other)}, entra: true, cred: other},
		{name: "WithCredential(nil) is the extension's", conn: "contoso.redis.azure.net:10000,ssl=true",
			opts: []settings.Option{WithCredential(nil)}, entra: true, cred: cred},
		{name: "sovereign cloud, any case", conn: "Contoso.Redis.Cache.ChinaCloudAPI.cn:6380,ssl=true",
			opts: []settings.Option{WithCredential(nil)}, entra: true, cred: cred},
		{name: "local container keeps its password", conn: "localhost:6379,password=local-dev-pw",
			opts: []settings.Option{WithCredential(nil)}, password: "local-dev-pw", log: "no endpoint is an Azure Redis host"},
		{name: "access key kept", conn: "contoso.redis.azure.net:10000,ssl=true,password=access-key-123",
			opts: []settings.Option{WithCredential(nil)}, password: "access-key-123", log: "access key"},
		{name: "TLS off warns", conn: "contoso.redis.azure.net:10000,ssl=false",
			opts: []settings.Option{WithCredential(nil)}, entra: true, cred: cred, log: "clear text"},
		{name: "setting turned off after WithCredential", conn: "contoso.redis.azure.net:10000,ssl=true",
			opts: []settings.Option{WithCredential(other), func(s *settings.Settings) { s.AzureAuthentication = false }}},
		{name: "another streaming provider", conn: "contoso.redis.azure.net:10000,ssl=true",
			opts: []settings.Option{settings.EnableAzureAuthentication(), settings.ConfigureOptions(func(o *redis.UniversalOptions) {
				o.StreamingCredentialsProvider = otherProvider{}
			})}, err: "already set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]any{"ConnectionStrings:cache": tt.conn}
			for k, v := range tt.config {
				values[k] = v
			}
			cfg, err := settings.NewConfig(values)
			if err != nil {
				t.Fatal(err)
			}
			res, err := settings.Resolve(cfg, "cache", tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			ext := Extension(Options{Credential: cred})
			a, err := ext.Extend(res, slog.New(slog.NewTextHandler(&logs, nil)))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Close != nil {
				defer a.Close()
			}
			o := res.Connection.Options
			p := providerOf(o)
			if (p != nil) != tt.entra {
				t.Fatalf("provider %v, want Entra ID %t", p, tt.entra)
			}
			if !tt.entra && o.StreamingCredentialsProvider != nil {
				t.Errorf("StreamingCredentialsProvider left as %T", o.StreamingCredentialsProvider)
			}
			if p != nil && p.cred != tt.cred {
				t.Errorf("credential %T %p, want %p", p.cred, p.cred, tt.cred)
			}
			if p != nil && (len(a.Checks) != 1 || a.Checks[0].Name != "redis_cache_entra_id" || a.Close == nil) {
				t.Errorf("addon %+v", a)
			}
			if o.Password != tt.password {
				t.Errorf("password changed to %q", o.Password)
			}
			if !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log %q does not say %q", logs.String(), tt.log)
			}
			if tt.password != "" && strings.Contains(logs.String(), tt.password) {
				t.Errorf("the log shows the password: %s", logs.String())
			}
		})
	}
}

func TestExtendHealthChecksDisabled(t *testing.T) {
	cfg, _ := settings.NewConfig(map[string]any{"ConnectionStrings:cache": "contoso.redis.azure.net"})
	res, err := settings.Resolve(cfg, "cache", WithCredential(&fakeCredential{}), settings.DisableHealthChecks())
	if err != nil {
		t.Fatal(err)
	}
	a, err := Extension(Options{}).Extend(res, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if len(a.Checks) != 0 || providerOf(res.Connection.Options) == nil {
		t.Errorf("checks %v with DisableHealthChecks", a.Checks)
	}
}

// With no credential anywhere, a DefaultAzureCredential is made (once);
// nothing is fetched before a connection needs a token.
func TestDefaultCredential(t *testing.T) {
	cfg, _ := settings.NewConfig(map[string]any{"ConnectionStrings": map[string]any{
		"a": "a.redis.azure.net:10000,ssl=true", "b": "b.redis.cache.windows.net:6380,ssl=true"}})
	ext := Extension(Options{})
	var creds []any
	for _, name := range []string{"a", "b"} {
		res, err := settings.Resolve(cfg, name, settings.EnableAzureAuthentication())
		if err != nil {
			t.Fatal(err)
		}
		a, err := ext.Extend(res, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		p := providerOf(res.Connection.Options)
		if st := p.State(); st.CredentialType != "*azidentity.DefaultAzureCredential" || !st.ExpiresOn.IsZero() || st.Refreshes != 0 {
			t.Errorf("%s: state %+v", name, st)
		}
		creds = append(creds, p.cred)
	}
	if creds[0] != creds[1] {
		t.Error("each client made its own DefaultAzureCredential")
	}
}

// Without the extension, AzureAuthentication fails at build time, and a
// client built from the options directly fails to connect, both saying
// what to add.
func TestNotLinked(t *testing.T) {
	cfg, _ := settings.NewConfig(map[string]any{"ConnectionStrings:cache": "contoso.redis.azure.net:10000,ssl=true"})
	_, err := rediscache.New("cache", rediscache.Deps{Config: cfg}, WithCredential(nil))
	if !errors.Is(err, rediscache.ErrMissingExtension) {
		t.Errorf("rediscache.New without the extension: %v", err)
	}
	res, err := settings.Resolve(cfg, "cache", WithCredential(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = res.Connection.Options.StreamingCredentialsProvider.Subscribe(&listener{})
	if err == nil || !strings.Contains(err.Error(), "azureauth.Extension") {
		t.Errorf("Subscribe of the placeholder: %v", err)
	}
}

// azureauth.Module in fx: a client with AzureAuthentication in
// configuration gets the provider and its health check.
func TestModule(t *testing.T) {
	cfg, _ := settings.NewConfig(map[string]any{
		"ConnectionStrings:cache":                              "contoso.redis.azure.net:10000,ssl=true",
		"Aspire:StackExchange:Redis:cache:AzureAuthentication": "true",
	})
	var checks []healthcheck.Check
	app := fxtest.New(t,
		fx.Supply(cfg, slog.New(slog.NewTextHandler(t.Output(), nil))),
		ModuleWith(Options{Credential: &fakeCredential{oid: "o", lifetime: time.Hour}}),
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(fx.Annotate(func(c []healthcheck.Check) { checks = c }, fx.ParamTags(`group:"health_checks"`))),
	)
	app.RequireStart()
	app.RequireStop()
	names := map[string]bool{}
	for _, c := range checks {
		names[c.Name] = true
	}
	if !names["redis_cache"] || !names["redis_cache_entra_id"] {
		t.Errorf("checks %v", names)
	}
	bad := fx.New(fx.NopLogger, ModuleWith(Options{RefreshFraction: 2}),
		fx.Invoke(fx.Annotate(func([]rediscache.Extension) {}, fx.ParamTags(`group:"`+rediscache.ExtensionGroup+`"`))))
	if err := bad.Err(); err == nil || !strings.Contains(err.Error(), "RefreshFraction") {
		t.Errorf("ModuleWith with invalid options: fx.New gave %v", err)
	}
	res, err := settings.Resolve(cfg, "cache")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Extension(Options{RefreshFraction: 2}).Extend(res, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "RefreshFraction") {
		t.Errorf("Extend with invalid options: %v", err)
	}
}

// TestModuleWithTwoApps: one ModuleWith option in two fx applications
// with different loggers, built and run concurrently: each application's
// azureauth lines go to its own logger (run with -race: nothing is
// shared).
func TestModuleWithTwoApps(t *testing.T) {
	cfg, _ := settings.NewConfig(map[string]any{
		"ConnectionStrings:cache":                              "contoso.redis.azure.net:10000,ssl=true",
		"Aspire:StackExchange:Redis:cache:AzureAuthentication": "true",
	})
	module := ModuleWith(Options{Credential: &fakeCredential{oid: "o", lifetime: time.Hour}})
	logs := make([]testlog.Buffer, 2)
	var wg sync.WaitGroup
	for i := range logs {
		wg.Go(func() {
			app := fx.New(
				fx.NopLogger,
				fx.Supply(cfg, slog.New(slog.NewTextHandler(&logs[i], nil))),
				module,
				fx.Provide(rediscache.Client("cache")),
				fx.Invoke(func(redis.UniversalClient) {}),
			)
			ctx := context.Background()
			if err := app.Start(ctx); err != nil {
				t.Errorf("application %d: %v", i, err)
				return
			}
			if err := app.Stop(ctx); err != nil {
				t.Errorf("application %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for i := range logs {
		if n := strings.Count(logs[i].String(), "azureauth: Microsoft Entra ID authentication"); n != 1 {
			t.Errorf("application %d logged its azureauth line %d times:\n%s", i, n, logs[i].String())
		}
	}
}
