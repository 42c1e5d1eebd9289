package instrument

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"

	"github.com/aspirego/redis/internal/untraced"
)

// instrumentRedisotel is Instrument in compatibility mode: go-redis'
// redisotel with safe options (no db.statement, no caller capture, no dial
// spans, AUTH/HELLO and commands whose error reply may echo a secret
// filtered), its pool callbacks unregistered by stop.
// Commands on an untraced context produce no span; redisotel's per-command
// use_time histogram cannot be told to skip them.
func instrumentRedisotel(client redis.UniversalClient, cfg Config) (func() error, error) {
	g := &untracedGate{}
	addGate(client, g)

	if !cfg.DisableTracing {
		tp := cfg.TracerProvider
		if tp == nil {
			tp = otel.GetTracerProvider()
		}
		err := redisotel.InstrumentTracing(client,
			redisotel.WithTracerProvider(tp),
			redisotel.WithDBStatement(false),
			redisotel.WithCallerEnabled(false),
			redisotel.WithDialFilter(true),
			// redisotel records a failed command's error text as the span
			// status: commands whose reply may echo a secret (ACL SETUSER,
			// CONFIG SET, AUTH, ...; see hidesReply) are not traced at all,
			// but for the credential-free HELLO of a new connection (a HELLO
			// with AUTH is filtered by DefaultCommandFilter).
			redisotel.WithCommandFilter(func(cmd redis.Cmder) bool {
				return g.skip(cmd) || redisotelHides(cmd) || redisotel.DefaultCommandFilter(cmd)
			}),
			redisotel.WithCommandsFilter(func(cmds []redis.Cmder) bool {
				if len(cmds) > 0 && g.skip(cmds[0]) {
					return true
				}
				for _, c := range cmds {
					if redisotelHides(c) || redisotel.DefaultCommandFilter(c) {
						return true
					}
				}
				return false
			}),
		)
		if err != nil {
			return nil, fmt.Errorf("telemetry: client %q: redisotel tracing: %w", cfg.Name, err)
		}
	}

	done := make(chan struct{})
	var once sync.Once
	stop := func() error {
		once.Do(func() { close(done) })
		return nil
	}
	if !cfg.DisableMetrics {
		mp := cfg.MeterProvider
		if mp == nil {
			mp = otel.GetMeterProvider()
		}
		opts := []redisotel.MetricsOption{
			redisotel.WithMeterProvider(mp),
			redisotel.WithCloseChan(done),
			redisotel.WithSemConvCompliantMetrics(true),
		}
		if cfg.Name != "" {
			opts = append(opts, redisotel.WithPoolName(cfg.Name))
		}
		if err := redisotel.InstrumentMetrics(client, opts...); err != nil {
			_ = stop()
			return nil, fmt.Errorf("telemetry: client %q: redisotel metrics: %w", cfg.Name, err)
		}
	}
	return stop, nil
}

// redisotelHides reports whether redisotel mode must not trace cmd
// because its error reply may echo a secret.
func redisotelHides(cmd redis.Cmder) bool {
	name := cmd.Name()
	return name != "hello" && hidesReply(name)
}

// untracedGate lets redisotel's command filter (which sees only the
// command) skip commands whose context is marked untraced: a hook placed in
// front of redisotel's remembers those commands while they run.
type untracedGate struct {
	inFlight atomic.Int64 // untraced commands running; 0 keeps skip to one load
	cmds     sync.Map     // redis.Cmder → struct{}
}

func (g *untracedGate) skip(cmd redis.Cmder) bool {
	if g.inFlight.Load() == 0 {
		return false
	}
	_, ok := g.cmds.Load(cmd)
	return ok
}

func (g *untracedGate) mark(cmd redis.Cmder) func() {
	g.cmds.Store(cmd, struct{}{})
	g.inFlight.Add(1)
	return func() {
		g.inFlight.Add(-1)
		g.cmds.Delete(cmd)
	}
}

var _ redis.Hook = (*untracedGate)(nil)

func (g *untracedGate) DialHook(redis.DialHook) redis.DialHook { return nil }

func (g *untracedGate) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !untraced.Is(ctx) {
			return next(ctx, cmd)
		}
		defer g.mark(cmd)()
		return next(ctx, cmd)
	}
}

func (g *untracedGate) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || !untraced.Is(ctx) {
			return next(ctx, cmds)
		}
		defer g.mark(cmds[0])()
		return next(ctx, cmds)
	}
}

// addGate installs the gate where redisotel puts its hooks, ahead of them:
// on the client itself, or on every node of a cluster or ring.
func addGate(client redis.UniversalClient, g *untracedGate) {
	switch c := client.(type) {
	case *redis.Client:
		c.AddHook(g)
	case *redis.ClusterClient:
		c.OnNewNode(func(n *redis.Client) { n.AddHook(g) })
	case *redis.Ring:
		c.OnNewNode(func(n *redis.Client) { n.AddHook(g) })
	}
}
