//go:build azure

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/redis/go-redis/v9/auth"

	"github.com/aspirego/redis/azureauth"
	"github.com/aspirego/redis/internal/entraid"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// tokenCredential issues JWT-shaped tokens with an oid claim, or fails.
type tokenCredential struct {
	mu   sync.Mutex
	fail error
	last string
}

func (c *tokenCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return azcore.AccessToken{}, c.fail
	}
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(map[string]any{"oid": "9a8b7c6d-oid", "n": time.Now().UnixNano()})
	c.last = enc([]byte(`{"alg":"RS256"}`)) + "." + enc(payload) + ".c2ln"
	return azcore.AccessToken{Token: c.last, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

type nopListener struct{}

func (nopListener) OnNext(auth.Credentials) {}
func (nopListener) OnError(error)           {}

// azureDoctor builds the doctor's client for conn (nothing dials) and
// returns the doctor, the instance and the text report.
func azureDoctor(t *testing.T, cred *tokenCredential, conn string, subscribe bool, opts ...settings.Option) (*doctor, string) {
	t.Helper()
	prev := azureOptions
	azureOptions = azureauth.Options{Credential: cred, RetryMin: time.Hour}
	t.Cleanup(func() { azureOptions = prev })
	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:cache": conn})
	if err != nil {
		t.Fatal(err)
	}
	d := newDoctor(options{name: "cache", timeout: time.Second}, nil)
	d.cfg = cfg
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg, Logger: slog.New(slog.DiscardHandler),
		Extensions: []rediscache.Extension{azureExtension(slog.New(slog.DiscardHandler))}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	d.entra = entraid.Of(inst.Resolved.Connection.Options)
	if subscribe {
		if _, _, err := d.entra.Subscribe(nopListener{}); err != nil && cred.fail == nil {
			t.Fatal(err)
		}
	}
	d.describeAzure(inst)
	var out bytes.Buffer
	d.print(&out, io.Discard)
	return d, out.String()
}

func TestAzureSection(t *testing.T) {
	t.Run("token expiry and credential type", func(t *testing.T) {
		cred := &tokenCredential{}
		_, out := azureDoctor(t, cred, "contoso.redis.azure.net:10000,ssl=true", true, settings.EnableAzureAuthentication())
		for _, want := range []string{
			"Azure", "service Azure Managed Redis (contoso.redis.azure.net)", "AzureAuthentication true",
			"authentication Microsoft Entra ID token", "credential *main.tokenCredential",
			"scope https://redis.azure.com/.default", "user (oid) 9a8b7c6d-oid", "token expires 20", "(in 1h0m0s)", "last refresh error none",
		} {
			if !contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, cred.last) || strings.Contains(out, strings.Split(cred.last, ".")[1]) {
			t.Errorf("the report shows the token:\n%s", out)
		}
	})

	t.Run("refresh error", func(t *testing.T) {
		cred := &tokenCredential{fail: errors.New("DefaultAzureCredential: failed to acquire a token: no managed identity endpoint")}
		d, out := azureDoctor(t, cred, "contoso.redis.cache.windows.net:6380,ssl=true", true, azureauth.WithCredential(nil))
		for _, want := range []string{"service Azure Cache for Redis", "token expires (no token)",
			"Microsoft Entra ID token refresh is failing (1 attempts): a service reports redis_cache_entra_id as Degraded",
			"last refresh error azureauth: *main.tokenCredential could not get a token for https://redis.azure.com/.default: DefaultAzureCredential: failed to acquire a token: no managed identity endpoint (1 attempts)"} {
			if !contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
		_, _, err := d.entra.Subscribe(nopListener{})
		msg, ok := d.azureProblem("PING", fmt.Errorf("failed to subscribe to streaming credentials: %w", err))
		if !ok || !strings.Contains(msg, "no Microsoft Entra ID token") || !strings.Contains(msg, "az login") {
			t.Errorf("azureProblem = %q, %t", msg, ok)
		}
		if msg, ok := d.azureProblem("PING", errors.New("WRONGPASS invalid username-password pair")); !ok || !strings.Contains(msg, "access policy") {
			t.Errorf("azureProblem(WRONGPASS) = %q, %t", msg, ok)
		}
	})

	t.Run("JSON", func(t *testing.T) {
		cred := &tokenCredential{}
		d, _ := azureDoctor(t, cred, "contoso.redis.azure.net:10000,ssl=true", true, settings.EnableAzureAuthentication())
		d.opts.json = true
		var out bytes.Buffer
		d.print(&out, io.Discard)
		var rep struct {
			Azure azureReport `json:"azure"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if a := rep.Azure; !a.EntraID || a.Credential != "*main.tokenCredential" || a.User != "9a8b7c6d-oid" || a.TokenExpires == "" {
			t.Errorf("azure %+v", a)
		}
	})

	for _, tc := range []struct{ name, conn, note string }{
		{"Azure host, no password, setting off", "contoso.redis.azure.net:10000,ssl=true", "Aspire:StackExchange:Redis:cache:AzureAuthentication=true"},
		{"access key", "contoso.redis.azure.net:10000,ssl=true,password=k3y-s3cr3t", "authenticated with an access key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out := azureDoctor(t, &tokenCredential{}, tc.conn, false)
			if !contains(out, tc.note) || strings.Contains(out, "k3y-s3cr3t") {
				t.Errorf("report:\n%s", out)
			}
		})
	}
}

// End to end against a local server: AzureAuthentication is a known
// setting, and on a non-Azure host it changes nothing.
func TestAzureAuthenticationLocal(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Password: password})
	r := runDoctor(t, []string{
		"ConnectionStrings__cache=" + srv.Addr + ",password=" + password,
		"Aspire__StackExchange__Redis__cache__AzureAuthentication=true",
	}, "cache")
	for _, want := range []string{
		"AzureAuthentication true Aspire:StackExchange:Redis:cache:AzureAuthentication (environment variable",
		"Aspire:StackExchange:Redis:cache:AzureAuthentication = true environment variable Aspire__StackExchange__Redis__cache__AzureAuthentication used",
		"service none (no Azure host)",
		"no endpoint is an Azure Redis host",
		"authenticated as the default user",
		"Result: healthy",
	} {
		if !contains(r.stdout, want) {
			t.Errorf("stdout lacks %q\n%s", want, r)
		}
	}
	if r.code != 0 {
		t.Errorf("exit %d\n%s", r.code, r)
	}
	noSecrets(t, r)
}
