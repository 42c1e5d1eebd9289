package fxmodule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"go.uber.org/fx"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/healthjson"
	"github.com/aspirego/redis/settings"
)

// Configuration keys read by Module, besides the clients' own.
const (
	// HealthAddressKey, when set (e.g. ":8081"), makes Module serve /health
	// and /alive on that address.
	HealthAddressKey = "HealthChecks:Address"
	// HealthDetailsKey, when true, adds each failing check's (redacted)
	// error text to the JSON health report.
	HealthDetailsKey = "HealthChecks:Details"
)

// Module loads configuration, collects health checks and serves them, and
// sets fx's event logger to one that logs a start-up failure once, naming
// this module's constructors as written (rediscache.Client("cache")), and
// fx's other events at DEBUG, all through slog.Default(); an
// fx.WithLogger after Module replaces it. See the package documentation.
var Module = fx.Options(
	fx.WithLogger(newEventLogger),
	module,
)

var module = fx.Module("aspirego/redis",
	fx.Provide(loadConfig),
	fx.Provide(fx.Annotate(newChecker, fx.ParamTags(`group:"`+healthcheck.Group+`"`))),
	fx.Provide(fx.Annotate(newHealthHandler, fx.ResultTags(`name:"health"`))),
	fx.Invoke(fx.Annotate(rejectUngroupedChecks, fx.ParamTags(`optional:"true"`))),
	fx.Invoke(fx.Annotate(serveHealth, fx.ParamTags(``, ``, `name:"health"`, `optional:"true"`, ``))),
)

// loadConfig loads appsettings.json, appsettings.{Environment}.json from
// the working directory and the environment, as settings.LoadConfig does
// with its defaults.
func loadConfig() (*settings.Config, error) {
	return settings.LoadConfig(settings.LoadOptions{})
}

// newChecker builds the checker from every contributed check.
func newChecker(checks []healthcheck.Check) (*healthcheck.Checker, error) {
	return healthcheck.New(checks...)
}

// newHealthHandler returns the handler serving /health and /alive (any
// other path gets 404), with error details when HealthChecks:Details is
// true.
func newHealthHandler(cfg *settings.Config, checker *healthcheck.Checker) (http.Handler, error) {
	var opts []healthcheck.HandlerOption
	if v, ok := cfg.String(HealthDetailsKey); ok {
		// true or false in any case, as for the clients' settings.
		switch v = strings.TrimSpace(v); {
		case strings.EqualFold(v, "true"):
			opts = append(opts, healthcheck.WithDetails())
		case strings.EqualFold(v, "false"):
		default:
			return nil, fmt.Errorf("fxmodule: configuration key %s (%s): %q is not true or false", HealthDetailsKey, cfg.Source(HealthDetailsKey), v)
		}
	}
	return healthjson.Routes(checker.HealthHandler(opts...), checker.AliveHandler(opts...)), nil
}

func serveHealth(lc fx.Lifecycle, cfg *settings.Config, h http.Handler, logger *slog.Logger, checker *healthcheck.Checker) error {
	addr, ok := cfg.String(HealthAddressKey)
	if !ok || addr == "" {
		return nil
	}
	if logger == nil {
		logger = slog.Default()
	}
	srv := newHealthServer(h, checker) // timeouts and limits: listener.go
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
			if err != nil {
				return fmt.Errorf("fxmodule: %s=%q: %w", HealthAddressKey, addr, err)
			}
			logger.Info("serving health checks", slog.String("address", ln.Addr().String()))
			go func() {
				defer close(done)
				if err := srv.Serve(newLimitListener(ln, healthLimits.maxConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
					logger.Error("health server stopped", slog.String("error", err.Error()))
				}
			}()
			return nil
		},
		OnStop: func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			<-done
			return err
		},
	})
	return nil
}
