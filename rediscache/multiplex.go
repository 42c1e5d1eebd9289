package rediscache

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/multiplex"
	"github.com/aspirego/redis/settings"
)

// telemetryLayer instruments the client (internal/instrument) and, in
// the multiplexed mode (Settings.AutoPipelining, or ClientSideCaching
// where go-redis can keep the cache), puts in front of it the client the
// application gets: go-redis's auto-pipeliner, and a client that records
// each command under its caller's span (internal/multiplex).
// The health check still PINGs the client underneath; its failures say
// that the client is multiplexed.
type telemetryLayer struct {
	cfg    instrument.Config
	res    *settings.Resolved
	logger *slog.Logger
	mux    multiplex.Mode        // set by configure
	front  redis.UniversalClient // the client the application gets: set by install
	stop   func() error          // stops the telemetry: set by install
}

func newTelemetryLayer(name string, res *settings.Resolved, deps Deps, logger *slog.Logger) *telemetryLayer {
	return &telemetryLayer{
		res:    res,
		logger: logger,
		cfg: instrument.Config{
			Name:           name,
			TracerProvider: deps.TracerProvider,
			MeterProvider:  deps.MeterProvider,
			DisableTracing: res.Settings.DisableTracing,
			DisableMetrics: res.Settings.DisableMetrics,
			QueryText:      res.Settings.RecordQueryText,
			Redisotel:      res.Settings.Redisotel,
		},
	}
}

func (l *telemetryLayer) name() string {
	if l.multiplexed() {
		return "telemetry, multiplexed"
	}
	return "telemetry"
}

// multiplexed reports whether the client is multiplexed; it is known once
// the layer has configured.
func (l *telemetryLayer) multiplexed() bool { return l.mux.On() }

func (l *telemetryLayer) configure(o *redis.UniversalOptions) error {
	l.mux = multiplex.Configure(l.res.Settings, l.res.Connection, o, l.logger)
	return nil
}

func (l *telemetryLayer) install(c redis.UniversalClient) error {
	var err error
	if !l.multiplexed() {
		l.front = c
		if l.stop, err = instrument.Instrument(c, l.cfg); err != nil {
			return fmt.Errorf("rediscache: client %q: telemetry: %w", l.cfg.Name, err)
		}
		return nil
	}
	name := l.cfg.Name
	l.front, l.stop, err = l.mux.Install(c, l.cfg, commandTimeout(c), func(command string, limit time.Duration) error {
		return &CommandTimeoutError{Name: name, Command: command, Limit: limit, Err: context.DeadlineExceeded}
	})
	if err != nil {
		return fmt.Errorf("rediscache: client %q: %w", name, err)
	}
	return nil
}

func (l *telemetryLayer) wrapCheck(c healthcheck.Check) healthcheck.Check {
	if !l.multiplexed() {
		return c
	}
	return annotateCheck(c, l.mux)
}

func (l *telemetryLayer) close() error {
	if l.stop == nil {
		return nil
	}
	if err := l.stop(); err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	return nil
}

// annotateCheck makes the health check's failures say that the client is
// multiplexed.
func annotateCheck(c healthcheck.Check, m multiplex.Mode) healthcheck.Check {
	run := c.Run
	mode := m.String()
	c.Run = func(ctx context.Context) error {
		if err := run(ctx); err != nil {
			return fmt.Errorf("%w (multiplexed: %s)", err, mode)
		}
		return nil
	}
	return c
}
