package docs_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// A client without a connection fails at fx.New when fxmodule.Module is
// there, even if nothing injects the client: the health endpoint takes
// every client's check, and so builds every client. Without the module
// (and without anything else that needs the client) fx never builds it.
func Example_missingConnection() {
	withModule := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")), // ConnectionStrings:cache is not set
	)
	err := withModule.Err()
	fmt.Println("with fxmodule.Module:", errors.Is(err, settings.ErrNoEndpoints),
		strings.Contains(err.Error(), "ConnectionStrings:cache"))

	without := fx.New(
		fx.NopLogger,
		fx.Provide(rediscache.Client("cache")),
	)
	fmt.Println("without:", without.Err())
	// Output:
	// with fxmodule.Module: true true
	// without: <nil>
}

// lenientClient is rediscache.Client for a service that must start when
// the client's connection is not configured, as a .NET service does: the
// client's commands and its health check fail with the configuration
// error, so /health answers 503 until the service is configured and
// restarted.
func lenientClient(name string) any {
	ctor := rediscache.Constructor(name)
	return fx.Annotate(
		func(p rediscache.Params) (redis.UniversalClient, []healthcheck.Check, error) {
			c, checks, err := ctor(p)
			if !errors.Is(err, settings.ErrNoEndpoints) {
				return c, checks, err
			}
			unconfigured := redis.NewClient(&redis.Options{
				Addr: "unconfigured:0", // never dialed: Dialer fails first
				Dialer: func(context.Context, string, string) (net.Conn, error) {
					return nil, err
				},
				MaxRetries: -1,
			})
			p.Lifecycle.Append(fx.StopHook(unconfigured.Close))
			check := healthcheck.Redis(name, unconfigured, 0)
			return unconfigured, []healthcheck.Check{check}, nil
		},
		fx.ResultTags(``, rediscache.GroupTag),
	)
}

// With lenientClient the service starts, /health reports the missing
// connection, and commands fail with the same error.
func Example_missingConnectionUnhealthy() {
	var health struct {
		fx.In
		Handler http.Handler `name:"health"`
	}
	var rdb redis.UniversalClient
	app := fx.New(
		fx.NopLogger,
		fxmodule.Module,
		fx.Provide(lenientClient("cache")), // ConnectionStrings:cache is not set
		fx.Populate(&rdb, &health),
	)
	ctx := context.Background()
	fmt.Println("start:", app.Start(ctx))
	defer app.Stop(ctx)
	fmt.Println("/health:", healthOf(health.Handler))
	err := rdb.Get(ctx, "k").Err()
	fmt.Println("GET:", errors.Is(err, settings.ErrNoEndpoints))
	// Output:
	// start: <nil>
	// /health: 503 Unhealthy
	// GET: true
}
