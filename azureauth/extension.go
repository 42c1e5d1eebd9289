package azureauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/auth"
	"go.uber.org/fx"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/connstr"
	"github.com/aspirego/redis/internal/entraid"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// WithCredential turns on Microsoft Entra ID authentication for one
// client with cred, the counterpart of .NET's
// AddRedisClientBuilder("cache").WithAzureAuthentication(credential). A
// nil cred means the extension's credential (Options.Credential, by
// default a DefaultAzureCredential). It sets Settings.AzureAuthentication,
// so the client must be built with the extension (see [Extension] and
// [Module]).
func WithCredential(cred azcore.TokenCredential) settings.Option {
	choose := settings.ConfigureOptions(func(o *redis.UniversalOptions) {
		o.StreamingCredentialsProvider = &chosen{cred: cred}
	})
	return func(s *settings.Settings) {
		s.AzureAuthentication = true
		choose(s)
	}
}

// chosen carries the credential picked by WithCredential from the
// settings to the extension, in the go-redis options. It is replaced by a
// provider (or removed) when the extension builds the client; a client
// built from the options without the extension fails to connect with
// errNotExtended.
type chosen struct{ cred azcore.TokenCredential }

var errNotExtended = errors.New("azureauth: AzureAuthentication is on, but the client was built without azureauth.Extension: " +
	"build it with rediscache.New and azureauth.Extension in Deps.Extensions, or with azureauth.Module in fx")

func (c *chosen) Subscribe(auth.CredentialsListener) (auth.Credentials, auth.UnsubscribeFunc, error) {
	return nil, nil, errNotExtended
}

// Module links Microsoft Entra ID authentication into an fx application
// with the default Options: every client whose AzureAuthentication
// setting is true (in configuration, or through WithCredential) and whose
// endpoint is an Azure Redis host authenticates with tokens.
var Module = ModuleWith(Options{})

// ModuleWith is Module with o. Each fx application it is part of gets its
// own extension with a copy of o, so that one ModuleWith value can serve
// several applications, concurrently too; with o.Logger nil, each client
// logs to its application's logger.
func ModuleWith(o Options) fx.Option {
	return fx.Module("azureauth",
		fx.Provide(fx.Annotate(
			// o is read, never written: with Logger nil, Extend logs to the
			// logger the client is built with, the application's.
			func() (rediscache.Extension, error) {
				if err := o.validate(); err != nil {
					return nil, err
				}
				return &extension{o: o}, nil
			},
			fx.ResultTags(`group:"`+rediscache.ExtensionGroup+`"`),
		)),
	)
}

// Extension returns the rediscache extension that implements
// AzureAuthentication with o, for rediscache.Deps.Extensions. Invalid
// options make every client with AzureAuthentication fail to build with
// the reason (with fx, [ModuleWith] fails fx.New with it instead).
func Extension(o Options) rediscache.Extension {
	return &extension{o: o, err: o.validate()}
}

type extension struct {
	o   Options
	err error // invalid options

	once    sync.Once
	dflt    azcore.TokenCredential // DefaultAzureCredential, made once
	dfltErr error
}

func (e *extension) Setting() string { return settings.AzureAuthenticationKey }

// defaultCredential returns o.Credential or one DefaultAzureCredential.
func (e *extension) defaultCredential() (azcore.TokenCredential, error) {
	if e.o.Credential != nil {
		return e.o.Credential, nil
	}
	e.once.Do(func() {
		e.dflt, e.dfltErr = azidentity.NewDefaultAzureCredential(nil)
	})
	return e.dflt, e.dfltErr
}

// Extend implements rediscache.Extension. For a client with
// AzureAuthentication on it decides, as Microsoft.Azure.StackExchangeRedis
// does, whether tokens apply:
//
//   - no endpoint is an Azure Redis host (docs/azure.md): nothing
//     changes, the connection's own credentials are used (local
//     development against a container keeps its password);
//   - the connection has a password (an access key): it is kept, as
//     StackExchange.Redis prefers an explicit password, with a warning;
//   - otherwise every connection authenticates with a token from the
//     credential, user name = the token's oid (or the connection's user=).
func (e *extension) Extend(res *settings.Resolved, logger *slog.Logger) (rediscache.Addon, error) {
	o := res.Connection.Options
	var cred azcore.TokenCredential
	switch sp := o.StreamingCredentialsProvider.(type) {
	case nil:
	case *chosen:
		cred = sp.cred
		o.StreamingCredentialsProvider = nil
	default:
		if res.Settings.AzureAuthentication {
			return rediscache.Addon{}, fmt.Errorf("azureauth: %s is true, but the go-redis StreamingCredentialsProvider is already set (%T, by settings.ConfigureOptions): use one or the other",
				settings.AzureAuthenticationKey, sp)
		}
	}
	if !res.Settings.AzureAuthentication {
		return rediscache.Addon{}, nil
	}
	if e.err != nil {
		return rediscache.Addon{}, e.err
	}
	if e.o.Logger != nil {
		logger = e.o.Logger.With(slog.String("redis.client", res.Name))
	}
	host, kind := connstr.AzureEndpoint(res.Connection.Endpoints)
	switch {
	case kind == connstr.NotAzure:
		logger.Info("azureauth: AzureAuthentication is on, but no endpoint is an Azure Redis host: Entra ID is not used, the connection's own credentials are",
			slog.String("endpoints", strings.Join(res.Connection.Endpoints, ",")))
		return rediscache.Addon{}, nil
	case o.Password != "":
		logger.Warn("azureauth: the connection string has a password (an access key) for "+host+": it is used instead of Entra ID, as StackExchange.Redis does; remove it to use Entra ID",
			slog.String("kind", kind.String()))
		return rediscache.Addon{}, nil
	case o.TLSConfig == nil:
		logger.Warn("azureauth: TLS is off for " + host + ": Entra ID tokens will cross the network in clear text; Azure Redis expects ssl=true")
	}
	if cred == nil {
		var err error
		if cred, err = e.defaultCredential(); err != nil {
			return rediscache.Addon{}, fmt.Errorf("azureauth: no credential for AzureAuthentication: DefaultAzureCredential: %s", redactTokens(err.Error()))
		}
	}
	po := e.o
	po.Logger = logger
	p, err := newProvider(cred, o.Username, po)
	if err != nil {
		return rediscache.Addon{}, err
	}
	o.StreamingCredentialsProvider = p
	logger.Info("azureauth: Microsoft Entra ID authentication", slog.String("host", host), slog.String("kind", kind.String()),
		slog.String("credential", p.credType))
	a := rediscache.Addon{Close: p.Close}
	if !res.Settings.DisableHealthChecks {
		a.Checks = []healthcheck.Check{p.check(res.Name, res.Settings.HealthCheckTimeout)}
	}
	return a, nil
}

// check returns the health check of the provider of client name
// (entraid.CheckName, "redis_<name>_entra_id"): Healthy while tokens refresh (and before the first);
// Degraded when the last refresh failed but the current token is still
// valid; Unhealthy when there is no valid token and fetching one fails.
// Its error names the credential type and says when the token expires;
// it never holds a token.
func (p *provider) check(name string, timeout time.Duration) healthcheck.Check {
	return healthcheck.Check{
		Name:    entraid.CheckName(name),
		Timeout: timeout,
		Run:     func(context.Context) error { return p.health(time.Now()) },
	}
}

func (p *provider) health(now time.Time) error {
	s := p.State()
	switch {
	case s.LastError == nil:
		return nil
	case s.ExpiresOn.IsZero():
		return fmt.Errorf("no token yet, %d failed attempts since %s: %w", s.Failures, s.LastErrorAt.UTC().Format(time.RFC3339), s.LastError)
	case now.Before(s.ExpiresOn):
		return healthcheck.Degrade(fmt.Errorf("token refresh failing (%d attempts); the current token expires at %s, in %s: %w",
			s.Failures, s.ExpiresOn.UTC().Format(time.RFC3339), s.ExpiresOn.Sub(now).Round(time.Second), s.LastError))
	}
	return fmt.Errorf("the token expired at %s and refresh fails (%d attempts): %w",
		s.ExpiresOn.UTC().Format(time.RFC3339), s.Failures, s.LastError)
}
