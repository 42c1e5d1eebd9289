package rediscache

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/fxerr"
	"github.com/aspirego/redis/settings"
)

// ConfigGroup is the fx value group of configuration overlays. A
// *settings.Config supplied into it is laid over the container's
// configuration when clients resolve their settings, later values winning;
// the test helper rediscachetest uses it to point clients at a test server.
const ConfigGroup = "aspirego_redis_config"

// Params are what the fx constructor takes from the container. Only the
// lifecycle is required.
type Params struct {
	fx.In

	// Lifecycle gets the client's Start and Close hooks.
	Lifecycle fx.Lifecycle
	// Config is the loaded configuration (fxmodule.Module provides it).
	// Without one, the constructor loads appsettings*.json from the working
	// directory and the environment, as fxmodule does.
	Config *settings.Config `optional:"true"`
	// Overlays are laid over Config, in order.
	Overlays []*settings.Config `group:"aspirego_redis_config"`
	// TracerProvider and MeterProvider default to the otel globals.
	TracerProvider trace.TracerProvider `optional:"true"`
	// MeterProvider: see TracerProvider.
	MeterProvider metric.MeterProvider `optional:"true"`
	// Logger receives the client's lifecycle lines and go-redis's own;
	// nil means slog.Default().
	Logger *slog.Logger `optional:"true"`
	// Extensions are applied to every client (see Extension).
	Extensions []Extension `group:"aspirego_redis_extensions"`
}

// Constructor returns the plain fx constructor behind Client: it builds
// the client called name, registers Start and Close with the lifecycle,
// and returns the client with its health checks. Use it to annotate the
// client yourself (fx.Private, fx.As, your own tags); Client and
// keyed.Client cover the usual cases.
func Constructor(name string, opts ...settings.Option) func(Params) (redis.UniversalClient, []healthcheck.Check, error) {
	return constructor(fmt.Sprintf("rediscache.Constructor(%q)", name), name, opts)
}

// constructor is Constructor, its errors and those of its hooks carrying
// label, the constructor as the user wrote it, for fxmodule's event logger
// (fx itself names an annotated constructor "reflect".makeFuncStub).
func constructor(label, name string, opts []settings.Option) func(Params) (redis.UniversalClient, []healthcheck.Check, error) {
	return func(p Params) (redis.UniversalClient, []healthcheck.Check, error) {
		cfg := p.Config
		if cfg == nil {
			loaded, err := settings.LoadConfig(settings.LoadOptions{})
			if err != nil {
				return nil, nil, fxerr.Wrap(label, clientError(name, err))
			}
			cfg = loaded
		}
		for _, o := range p.Overlays {
			cfg = cfg.Merge(o)
		}
		inst, err := New(name, Deps{
			Config:         cfg,
			TracerProvider: p.TracerProvider,
			MeterProvider:  p.MeterProvider,
			Logger:         p.Logger,
			Extensions:     p.Extensions,
		}, opts...)
		if err != nil {
			return nil, nil, fxerr.Wrap(label, err)
		}
		fxerr.Lifecycle(p.Lifecycle, label).Append(fx.Hook{
			OnStart: func(ctx context.Context) error {
				if err := inst.Start(ctx); err != nil {
					// fx runs no OnStop for a hook whose OnStart failed.
					_ = inst.Close()
					return err
				}
				return nil
			},
			OnStop: func(context.Context) error { return inst.Close() },
		})
		return inst.Client, inst.Checks, nil
	}
}

// registration marks one provided client, so that providing two clients
// under one name fails at fx.New with an error that names the client.
type registration struct{}

// Client returns an fx constructor for the client called name: use it as
// fx.Provide(rediscache.Client("cache")). The client is a
// redis.UniversalClient resolved from ConnectionStrings:cache and the
// Aspire:StackExchange:Redis sections with the Aspire precedence, opts
// applied last. Its health check joins the healthcheck.Group value group.
//
// fx builds providers lazily: a client nothing consumes is never built.
// For more than one client, use keyed.Client.
func Client(name string, opts ...settings.Option) any {
	ctor := constructor(fmt.Sprintf("rediscache.Client(%q)", name), name, opts)
	return fx.Annotate(
		// The marker comes first so that a second client of the same name
		// is reported by its name.
		func(p Params) (registration, redis.UniversalClient, []healthcheck.Check, error) {
			c, checks, err := ctor(p)
			return registration{}, c, checks, err
		},
		fx.ResultTags(`name:"rediscache.Client(`+name+`)"`, ``, GroupTag),
	)
}

// GroupTag is the fx result tag that puts a constructor's health checks
// into the healthcheck.Group value group.
const GroupTag = `group:"` + healthcheck.Group + `,flatten"`
