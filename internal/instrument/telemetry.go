package instrument

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/dbconv"
	"go.opentelemetry.io/otel/trace"
)

// Config is telemetry.Config, which documents its fields; telemetry's
// Instrument converts one into the other.
type Config struct {
	Name                           string
	TracerProvider                 trace.TracerProvider
	MeterProvider                  metric.MeterProvider
	DisableTracing, DisableMetrics bool
	QueryText                      bool
	ConnectionSetup                bool
	Conventions                    Conventions
	Redisotel                      bool
}

// durationBuckets are the advisory bucket boundaries of
// db.client.operation.duration from the semantic conventions.
var durationBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}

// Instrument is telemetry.Instrument, which documents it.
func Instrument(client redis.UniversalClient, cfg Config) (stop func() error, err error) {
	if client == nil {
		return nil, fmt.Errorf("telemetry: client %q: nil client", cfg.Name)
	}
	switch client.(type) {
	case *redis.Client, *redis.ClusterClient, *redis.Ring:
	default:
		return nil, fmt.Errorf("telemetry: client %q: %w %T", cfg.Name, ErrUnsupportedClient, client)
	}
	if cfg.DisableTracing && cfg.DisableMetrics {
		return func() error { return nil }, nil
	}
	if cfg.Redisotel {
		return instrumentRedisotel(client, cfg)
	}

	in, meter, err := newInstrumentation(cfg)
	if err != nil {
		return nil, err
	}
	var reg metric.Registration
	var nodes *nodeSet // cluster pool statistics
	if meter != nil {
		var stats poolStatser
		switch c := client.(type) {
		case *redis.ClusterClient:
			nodes = &nodeSet{}
			stats = nodes
		case poolStatser:
			stats = c
		}
		reg, err = registerPoolMetrics(meter, client, stats, poolName(client, cfg.Name))
		if err != nil {
			return nil, fmt.Errorf("telemetry: client %q: %w", cfg.Name, err)
		}
	}
	if in.tracing || in.metrics {
		addHooks(client, in, nodes)
	}

	var once sync.Once
	var stopErr error
	return func() error {
		once.Do(func() {
			in.stopped.Store(true)
			if reg != nil {
				if err := reg.Unregister(); err != nil {
					stopErr = fmt.Errorf("telemetry: client %q: unregistering pool metrics: %w", cfg.Name, err)
				}
			}
		})
		return stopErr
	}, nil
}

// newInstrumentation sets up the tracer and the operation-duration
// histogram cfg asks for. meter is nil when no metrics are recorded.
func newInstrumentation(cfg Config) (in *Instrumentation, meter metric.Meter, err error) {
	in = &Instrumentation{queryText: cfg.QueryText, setup: cfg.ConnectionSetup, conv: cfg.Conventions.resolve()}
	if !cfg.DisableTracing {
		in.tracer = newTracerSource(cfg.TracerProvider)
		in.tracing = in.tracer.tracer != nil
	}
	if cfg.DisableMetrics {
		return in, nil, nil
	}
	mp, noop, src := resolveMeterProvider(cfg.MeterProvider)
	if noop {
		return in, nil, nil
	}
	meter = mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version()), metric.WithSchemaURL(semconv.SchemaURL))
	d, err := dbconv.NewClientOperationDuration(meter, metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil {
		return nil, nil, fmt.Errorf("telemetry: client %q: creating %s: %w", cfg.Name, d.Name(), err)
	}
	in.metrics, in.meter, in.duration = true, src, d.Inst()
	return in, meter, nil
}

// addHooks installs the hooks for the client's topology; cluster nodes are
// also added to nodes, when not nil.
func addHooks(client redis.UniversalClient, in *Instrumentation, nodes *nodeSet) {
	switch c := client.(type) {
	case *redis.Client:
		opt := c.Options()
		h := &hook{in: in, db: opt.DB}
		if isFailover(opt) {
			h.primary = newPrimaryTracker(opt.DB, in.conv)
			h.t.cur = &h.primary.cur
		} else {
			h.t.fixed = newEndpoint(opt.Addr, opt.DB, in.conv)
		}
		c.AddHook(h)
	case *redis.ClusterClient:
		var seed string
		if addrs := c.Options().Addrs; len(addrs) > 0 {
			seed = addrs[0]
		}
		addMultiNodeHooks(c, in, seed, 0, nodes)
	case *redis.Ring:
		var seed string
		for _, a := range c.Options().Addrs {
			seed = a
			break
		}
		addMultiNodeHooks(c, in, seed, c.Options().DB, nil)
	}
}

// multiNode is what cluster and ring clients have in common.
type multiNode interface {
	AddHook(redis.Hook)
	OnNewNode(func(*redis.Client))
}

// addMultiNodeHooks puts one hook on the cluster (or ring) client, which
// sees every command exactly once, and one on every node client, which
// reports through the context which node ran it (and records commands sent
// to the node directly, such as those of ForEachMaster). Cluster nodes are
// hooked as they are created; a ring creates its shards up front, so those
// are hooked here too.
func addMultiNodeHooks(c multiNode, in *Instrumentation, seed string, db int, nodes *nodeSet) {
	var mu sync.Mutex
	seen := map[*redis.Client]bool{} // during Instrument only: no node hooked twice
	hookNode := func(node *redis.Client) {
		mu.Lock()
		if seen != nil {
			if seen[node] {
				mu.Unlock()
				return
			}
			seen[node] = true
		}
		mu.Unlock()
		if nodes != nil {
			nodes.add(node)
		}
		opt := node.Options()
		node.AddHook(&hook{in: in, db: opt.DB, node: true, t: target{fixed: newEndpoint(opt.Addr, opt.DB, in.conv)}})
	}
	c.OnNewNode(hookNode)
	if r, ok := c.(*redis.Ring); ok {
		_ = r.ForEachShard(context.Background(), func(_ context.Context, node *redis.Client) error {
			hookNode(node)
			return nil
		})
	}
	mu.Lock()
	seen = nil
	mu.Unlock()
	c.AddHook(&hook{in: in, db: db, t: target{
		fixed:   newEndpoint("", db, in.conv),
		cluster: &clusterTarget{seed: newEndpoint(seed, db, in.conv)},
	}})
}

// isFailover reports whether opt belongs to a sentinel-managed client
// (redis.NewFailoverClient), whose Addr is a placeholder.
func isFailover(opt *redis.Options) bool {
	return opt.Addr == "FailoverClient" && opt.Dialer != nil
}

// poolName is db.client.connection.pool.name: the client name, else the
// address in the form the semantic conventions suggest.
func poolName(client redis.UniversalClient, name string) string {
	if name != "" {
		return name
	}
	switch c := client.(type) {
	case *redis.Client:
		opt := c.Options()
		return opt.Addr + "/" + strconv.Itoa(opt.DB)
	case *redis.ClusterClient:
		if addrs := c.Options().Addrs; len(addrs) > 0 {
			return addrs[0]
		}
	case *redis.Ring:
		for _, a := range c.Options().Addrs {
			return a
		}
	}
	return "redis"
}
