package rediscache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/settings"
)

// Deps are what New takes from its surroundings. Every field is optional.
type Deps struct {
	// Config is the loaded configuration. Nil means an empty configuration:
	// the connection must then come from option funcs.
	Config *settings.Config
	// TracerProvider and MeterProvider default to the otel globals.
	TracerProvider trace.TracerProvider
	// MeterProvider: see TracerProvider.
	MeterProvider metric.MeterProvider
	// Logger receives lifecycle events and go-redis's own log lines.
	// Nil means slog.Default().
	Logger *slog.Logger
	// Extensions configure clients from their resolved settings before
	// they are built (see Extension), e.g. azureauth.Extension.
	Extensions []Extension
}

// Instance is one named client with everything built around it: its
// resolved settings, its health check and its telemetry. Start and Close
// are its lifecycle; fx calls them for clients provided by Client.
type Instance struct {
	// Name is the client's connection name, as in ConnectionStrings:{Name}.
	Name string
	// Client is the go-redis client: a *redis.Client for a standalone server
	// or a sentinel-managed primary, a *redis.ClusterClient for several
	// endpoints (a cluster, or a primary and its replicas: see Topology).
	// In the multiplexed mode (Settings.AutoPipelining or
	// ClientSideCaching) it is a redis.UniversalClient in front of that
	// client, which records each command under its caller's span.
	Client redis.UniversalClient
	// Resolved is the configuration the client was built from.
	Resolved *settings.Resolved
	// Checks holds the client's health check, or nothing when health checks
	// are disabled.
	Checks []healthcheck.Check

	logger    *slog.Logger
	discovery *discovery // several endpoints: see discoveryLayer
	layers    []layer    // in the order they were installed
	// connectBudget bounds Start's PING (see connectBudget).
	connectBudget time.Duration
	closeOnce     sync.Once
	closeErr      error
}

// New resolves the client called name from deps.Config and opts with the
// Aspire precedence, and builds it. It does not dial: go-redis connects on
// the first command. Call Start to connect eagerly when the settings ask
// for it, and Close when done.
func New(name string, deps Deps, opts ...settings.Option) (*Instance, error) {
	res, err := settings.Resolve(deps.Config, name, opts...)
	if err != nil {
		return nil, resolveError(name, deps.Config, err)
	}
	return build(name, res, deps)
}

// build builds the client of resolved settings res: its layers (see
// layer) configure the go-redis options, the client is constructed, the
// layers install their hooks in their order (layers.order), and the health
// checks are made.
func build(name string, res *settings.Resolved, deps Deps) (*Instance, error) {
	baseLogger := deps.Logger
	if baseLogger == nil {
		baseLogger = slog.Default()
	}
	logger := baseLogger.With(slog.String("redis.client", name))

	exts, err := newExtensions(res, deps.Extensions, logger)
	var named *Error
	switch {
	case errors.As(err, &named):
		return nil, err // names the client already
	case err != nil:
		return nil, clientError(name, err)
	}
	ropts := res.Connection.Options
	if ropts.MaintNotificationsConfig == nil {
		// Redis Enterprise maintenance notifications are off unless
		// configured: in go-redis's "auto" mode every new connection sends
		// CLIENT MAINT_NOTIFICATIONS, which other servers reject, and a
		// closed cluster client leaves the feature's goroutines running.
		ropts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	}
	l := newLayers(name, res, deps, exts, baseLogger, logger)
	if err := l.configure(ropts); err != nil {
		return nil, clientError(name, err)
	}
	client := l.construct(ropts)
	installed, err := l.install(client)
	if err != nil {
		return nil, err
	}
	inst := &Instance{
		Name:      name,
		Client:    l.telemetry.front,
		Resolved:  res,
		Checks:    l.checks(name, client, res),
		logger:    logger,
		discovery: l.discovery.d,
		layers:    installed,

		connectBudget: connectBudget(client),
	}

	warnInsecureTLS(logger, ropts)
	attrs := []slog.Attr{
		slog.String("target", fmt.Sprint(res.Connection)),
		slog.String("topology", res.Connection.Topology.String()),
		slog.String("source", res.Source),
	}
	if l.telemetry.multiplexed() {
		attrs = append(attrs, slog.String("multiplexed", l.telemetry.mux.String()))
	}
	logger.LogAttrs(context.Background(), slog.LevelInfo, "redis client built", attrs...)
	for _, w := range res.Connection.Warnings { // accepted as .NET accepts them, but not honoured (settings.Warning)
		logger.Warn("redis configuration value not honoured", slog.String("key", w.Key), slog.String("reason", w.Reason))
	}
	return inst, nil
}

// activates reports whether Start pings the server.
func (i *Instance) activates() bool {
	return i.Resolved.Connection.AbortConnect || !i.Resolved.Settings.DisableAutoActivation
}

// Start connects the client when its settings ask for it: abortConnect=true
// or DisableAutoActivation=false. It sends one PING bounded by ctx and by
// the connect budget, connectTimeout times the dial attempts
// (connectRetry, 3 by default), as StackExchange.Redis bounds its first
// connect. With abortConnect=true a failed PING is returned as an error
// naming the client (an *Error matching ErrConnect); otherwise it is logged and the client keeps retrying
// on later commands, as Aspire's abortConnect=false does.
func (i *Instance) Start(ctx context.Context) error {
	if !i.activates() {
		return nil
	}
	if i.connectBudget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, i.connectBudget)
		defer cancel()
	}
	err := i.Client.Ping(withOwnDeadline(ctx)).Err()
	switch {
	case err == nil:
		i.logger.Info("redis client connected", slog.String("target", fmt.Sprint(i.Resolved.Connection)))
		return nil
	case i.Resolved.Connection.AbortConnect:
		return clientError(i.Name, &kindError{kind: ErrConnect, cause: err,
			msg: fmt.Sprintf("abortConnect=true and connecting to %s failed: %v", fmt.Sprint(i.Resolved.Connection), err)})
	default:
		i.logger.Warn("redis client could not connect at start; it will retry on use",
			slog.String("target", fmt.Sprint(i.Resolved.Connection)),
			slog.String("error", err.Error()))
		return nil
	}
}

// connectBudget is how long the start-up PING of client may take: the
// dial timeout times the dial attempts that go-redis resolved for the
// client's connections (its defaults in place of zero), saturating at the
// largest duration (connectRetry and connectTimeout reach 2^31-1, and a
// URI's dial_timeout has no upper bound: their product must not wrap
// around to a past deadline). 0 means no bound but the caller's: a dial
// timeout that is not positive.
func connectBudget(client redis.UniversalClient) time.Duration {
	var o *redis.Options
	switch c := client.(type) {
	case *redis.Client: // standalone and sentinel
		o = c.Options()
	case *redis.ClusterClient:
		// A cluster resolves its nodes' options when it creates them, on
		// the first command: resolve them the same way now.
		co := c.Options()
		n := redis.NewClient(&redis.Options{DialTimeout: co.DialTimeout, DialerRetries: co.DialerRetries,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
		o = n.Options()
		_ = n.Close()
	default:
		return 0
	}
	if o.DialTimeout <= 0 {
		return 0
	}
	return satMul(o.DialTimeout, max(o.DialerRetries, 1))
}

// Close closes the client and its telemetry. It is safe to call more than
// once; later calls return the first result.
func (i *Instance) Close() error {
	i.closeOnce.Do(func() {
		var errs []error
		if err := i.Client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			errs = append(errs, clientError(i.Name, fmt.Errorf("close: %w", err)))
		}
		for j := len(i.layers) - 1; j >= 0; j-- {
			if err := i.layers[j].close(); err != nil {
				errs = append(errs, clientError(i.Name, err))
			}
		}
		i.closeErr = errors.Join(errs...)
		i.logger.Info("redis client closed")
	})
	return i.closeErr
}
