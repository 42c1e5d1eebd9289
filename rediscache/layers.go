package rediscache

import (
	"errors"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/settings"
)

// A layer is one feature that shapes a client: its command deadlines, its
// telemetry, the discovery of a primary and its replicas, an [Extension]
// such as Azure authentication. [New] builds a client in four steps, each a
// loop over the layers in the order [layers.order] returns:
//
//  1. configure: each layer adjusts the go-redis options;
//  2. construct: the go-redis client is built from them (layers.construct);
//  3. install: each layer adds its hooks to the client (see addHooks);
//  4. checks: each layer adapts the client's health check (layers.checks).
//
// Close closes the layers in the reverse order, after the client.
//
// A layer that has nothing to do for a client (no command map, no timeout,
// one endpoint) stays in the order and does nothing. Embed noLayer for the
// steps a layer does not take.
type layer interface {
	// name names the layer in the order test and in errors.
	name() string
	// configure adjusts o, the options the client is built from.
	configure(o *redis.UniversalOptions) error
	// install adds the layer's hooks to c. Hooks run in the order they
	// were installed: a layer's hooks wrap those of every later layer.
	install(c redis.UniversalClient) error
	// wrapCheck adapts the client's health check.
	wrapCheck(c healthcheck.Check) healthcheck.Check
	// close releases what the layer holds, once the client is closed.
	close() error
}

// noLayer is a layer that does nothing; layers embed it for the steps
// they do not take.
type noLayer struct{}

func (noLayer) configure(*redis.UniversalOptions) error         { return nil }
func (noLayer) install(redis.UniversalClient) error             { return nil }
func (noLayer) wrapCheck(c healthcheck.Check) healthcheck.Check { return c }
func (noLayer) close() error                                    { return nil }

// layers are the layers of one client.
type layers struct {
	extensions extensions
	longReads  *longReadsLayer
	logs       *logsLayer
	deadline   *deadlineLayer
	redirects  *redirectLayer
	setName    setNameLayer
	telemetry  *telemetryLayer
	discovery  *discoveryLayer
	commandMap *commandMapLayer
}

// newLayers returns the layers of the client called name, resolved as res.
// baseLogger is the logger without the client's name, for go-redis's own
// lines (logging.go); logger names the client.
func newLayers(name string, res *settings.Resolved, deps Deps, exts extensions, baseLogger, logger *slog.Logger) *layers {
	cm := &commandMapLayer{client: name, conn: res.Connection, logger: logger}
	disc := &discoveryLayer{client: name, on: discovers(res.Connection), commandMap: cm, logger: logger}
	return &layers{
		extensions: exts,
		longReads:  &longReadsLayer{},
		logs:       &logsLayer{logger: baseLogger, client: name, opts: res.Connection.Options, discovery: disc},
		deadline:   &deadlineLayer{client: name},
		redirects:  &redirectLayer{client: name, topology: res.Connection.Topology, logger: logger},
		telemetry:  newTelemetryLayer(name, res, deps, logger),
		discovery:  disc,
		commandMap: cm,
	}
}

// order is the order of the layers: they configure the options and
// install their hooks in this order, and adapt the health check and close
// in the reverse order. A hook installed earlier runs first, around those
// installed later.
//
// In the multiplexed mode (auto-pipelining or a client-side cache) the
// deadline comes after the telemetry instead of before it: the first of
// the telemetry's hooks must see the exact context.Background() go-redis's
// auto-pipeliner sends its batches on, to keep the batches out of the
// per-command telemetry, which the deadline would replace. The mode is
// known once the telemetry layer has configured, so the layers configure
// in the plain order (the deadline configures nothing).
func (l *layers) order(multiplexed bool) []layer {
	if multiplexed {
		return []layer{l.extensions, l.longReads, l.logs, l.redirects, l.setName, l.telemetry, l.deadline, l.discovery, l.commandMap}
	}
	return []layer{l.extensions, l.longReads, l.logs, l.deadline, l.redirects, l.setName, l.telemetry, l.discovery, l.commandMap}
}

// configure lets every layer adjust o, extensions first: they may set
// credentials, which decide whether the client-side cache can be kept.
// On error it closes the layers.
func (l *layers) configure(o *redis.UniversalOptions) error {
	for _, x := range l.order(false) {
		if err := x.configure(o); err != nil {
			_ = closeLayers(l.order(false))
			return err
		}
	}
	return nil
}

// construct builds the go-redis client of o: a cluster client that
// discovers its topology for several endpoints that are not declared a
// cluster (replicas.go), else go-redis's universal client.
func (l *layers) construct(o *redis.UniversalOptions) redis.UniversalClient {
	if c := l.discovery.construct(o); c != nil {
		return c
	}
	return redis.NewUniversalClient(o)
}

// install installs the hooks of every layer on client, in order, and
// returns the layers installed. On error it closes the client and the
// layers.
func (l *layers) install(client redis.UniversalClient) ([]layer, error) {
	order := l.order(l.telemetry.multiplexed())
	for _, x := range order {
		if err := x.install(client); err != nil {
			_ = client.Close()
			_ = closeLayers(order)
			return nil, err
		}
	}
	return order, nil
}

// checks returns the client's health checks: the PING check of client
// (the client underneath any multiplexing: the check does not go through
// the auto-pipeliner), adapted by every layer in the reverse of the plain
// order, so that the first layers' adaptations are outermost; then the
// checks of the extensions. With DisableHealthChecks only the extensions'
// checks remain (an extension sees the settings and decides).
func (l *layers) checks(name string, client redis.UniversalClient, res *settings.Resolved) []healthcheck.Check {
	var checks []healthcheck.Check
	if !res.Settings.DisableHealthChecks {
		check := healthcheck.Redis(name, client, res.Settings.HealthCheckTimeout)
		check.Name = res.HealthCheckName()
		order := l.order(false)
		for i := len(order) - 1; i >= 0; i-- {
			check = order[i].wrapCheck(check)
		}
		o := res.Connection.Options
		check.Redact, check.Data = checkSecrets(res, o).Scrub, insecureTLSData(o)
		checks = append(checks, check)
	}
	return append(checks, l.extensions.checks()...)
}

// closeLayers closes layers in the reverse order and joins their errors.
func closeLayers(layers []layer) error {
	var errs []error
	for i := len(layers) - 1; i >= 0; i-- {
		if err := layers[i].close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// addHooks adds a layer's hooks to c: client, when not nil, to c itself;
// node, when not nil, to every node of a cluster or ring as go-redis
// creates it, or to c itself, after client, when c is a single client.
// The nodes are the clients that dial, initialise connections and send
// commands: they run their own hooks, not the cluster's.
func addHooks(c redis.UniversalClient, client redis.Hook, node func(*redis.Client) redis.Hook) {
	if client != nil {
		c.AddHook(client)
	}
	if node == nil {
		return
	}
	add := func(n *redis.Client) { n.AddHook(node(n)) }
	switch c := c.(type) {
	case *redis.Client:
		add(c)
	case *redis.ClusterClient:
		c.OnNewNode(add)
	case *redis.Ring:
		c.OnNewNode(add)
	}
}
