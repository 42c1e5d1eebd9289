package rediscache

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/multiplex"
	"github.com/aspirego/redis/settings"
	"github.com/aspirego/redis/telemetry"
)

// multiplexing is what the multiplexed mode of one client turned out to
// be once the topology is known.
type multiplexing struct {
	autoPipelining bool
	serial         bool             // auto-pipelined batches go one at a time
	cache          *telemetry.Cache // nil: no client-side cache
}

func (m multiplexing) on() bool { return m.autoPipelining || m.cache != nil }

// String names the parts that are on, for logs and health reports.
func (m multiplexing) String() string {
	var parts []string
	if m.autoPipelining {
		parts = append(parts, "auto-pipelining")
	}
	if m.cache != nil {
		parts = append(parts, "client-side caching")
	}
	return strings.Join(parts, " and ")
}

// configureMultiplexing sets the go-redis options of the multiplexed mode
// before the client is built. A client-side cache that go-redis cannot
// keep for this connection is left off with one warning, so that a
// configuration a .NET service accepts never stops the Go service.
func configureMultiplexing(s settings.Settings, conn *settings.Connection, o *redis.UniversalOptions, logger *slog.Logger) multiplexing {
	var m multiplexing
	if s.AutoPipelining {
		m.autoPipelining = true
		conc := s.AutoPipeliningConcurrency
		o.AutoPipelineOptions = &redis.AutoPipelineOptions{
			MaxBatchSize:  s.AutoPipeliningBatchSize,
			MaxFlushDelay: s.AutoPipeliningFlushDelay,
			// The handed-out client waits for each command, so every
			// caller's own commands stay in order with parallel batches.
			MaxConcurrentBatches: conc,
			Unordered:            conc > 1,
		}
		m.serial = conc <= 1
		if o.AutoPipelineOptions.MaxBatchSize == 0 {
			o.AutoPipelineOptions.MaxBatchSize = redis.DefaultBlockingAutoPipelineOptions().MaxBatchSize
		}
	}
	if s.ClientSideCaching {
		why := ""
		switch {
		case conn.Topology != settings.Standalone:
			why = "go-redis keeps a client-side cache for a standalone server only, not for a " + conn.Topology.String()
		case o.DB != 0:
			why = fmt.Sprintf("go-redis keeps a client-side cache for database 0 only, not %d", o.DB)
		case o.Protocol == 2:
			why = "the client-side cache needs RESP3 and the connection asks for protocol=resp2"
		case o.CredentialsProvider != nil || o.CredentialsProviderContext != nil || o.StreamingCredentialsProvider != nil:
			why = "go-redis keeps no client-side cache with a credentials provider"
		}
		if why != "" {
			logger.Warn("redis client: ClientSideCaching is on, but the client runs without the cache: "+why,
				slog.String("key", "ClientSideCaching"))
		} else {
			o.Protocol = 3
			m.cache = telemetry.NewCache(s.ClientSideCacheSize, s.ClientSideCacheTTL)
			o.ClientSideCache = m.cache
		}
	}
	return m
}

// telemetryLayer instruments the client (telemetry.Instrument) and, in
// the multiplexed mode (Settings.AutoPipelining, or ClientSideCaching
// where go-redis can keep the cache), puts in front of it the client the
// application gets: go-redis's auto-pipeliner, and a client that records
// each command under its caller's span (telemetry.InstrumentMultiplexed).
// The health check still PINGs the client underneath; its failures say
// that the client is multiplexed.
type telemetryLayer struct {
	cfg    telemetry.Config
	res    *settings.Resolved
	logger *slog.Logger
	mux    multiplexing          // set by configure
	front  redis.UniversalClient // the client the application gets: set by install
	stop   func() error          // stops the telemetry: set by install
}

func newTelemetryLayer(name string, res *settings.Resolved, deps Deps, logger *slog.Logger) *telemetryLayer {
	return &telemetryLayer{
		res:    res,
		logger: logger,
		cfg: telemetry.Config{
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
func (l *telemetryLayer) multiplexed() bool { return l.mux.on() }

func (l *telemetryLayer) configure(o *redis.UniversalOptions) error {
	l.mux = configureMultiplexing(l.res.Settings, l.res.Connection, o, l.logger)
	return nil
}

func (l *telemetryLayer) install(c redis.UniversalClient) error {
	var err error
	if !l.multiplexed() {
		l.front = c
		if l.stop, err = telemetry.Instrument(c, l.cfg); err != nil {
			return fmt.Errorf("rediscache: client %q: telemetry: %w", l.cfg.Name, err)
		}
		return nil
	}
	front := c
	if l.mux.autoPipelining {
		// The blocking face: a call returns once its command has run, like
		// a plain client's, so errors reach their callers and spans end on
		// time.
		ap, err := c.AutoPipeline()
		if err != nil {
			return fmt.Errorf("rediscache: client %q: auto-pipelining: %w", l.cfg.Name, err)
		}
		front = ap
	}
	l.front, l.stop, err = telemetry.InstrumentMultiplexed(telemetry.Multiplexed{Base: c, Front: front, Cache: l.mux.cache}, l.cfg)
	if err != nil {
		if front != c {
			_ = front.Close()
		}
		return fmt.Errorf("rediscache: client %q: telemetry: %w", l.cfg.Name, err)
	}
	// After the telemetry's hooks, which hand it the batches marked, and
	// before the deadline's, which then find the batch's deadline set.
	if _, standalone := c.(*redis.Client); standalone && l.mux.autoPipelining && l.mux.serial {
		if d := commandTimeout(c); d > 0 {
			name := l.cfg.Name
			c.AddHook(multiplex.NewBatchDeadline(d, func(command string, limit time.Duration) error {
				return &CommandTimeoutError{Name: name, Command: command, Limit: limit, Err: context.DeadlineExceeded}
			}))
		}
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
func annotateCheck(c healthcheck.Check, m multiplexing) healthcheck.Check {
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
