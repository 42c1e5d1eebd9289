package multiplex

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/surface"
	"github.com/aspirego/redis/internal/untraced"
)

// Multiplexed is what Instrument instruments: a client in the
// multiplexed mode.
type Multiplexed struct {
	// Base is the client redis.NewUniversalClient returned.
	Base redis.UniversalClient
	// Front takes the application's commands: Base's auto-pipeliner, or
	// Base itself when only the client-side cache is on.
	Front redis.UniversalClient
	// Cache is Base's client-side cache, or nil. Its reads go to Base
	// rather than to an auto-pipeliner, whose batches bypass the cache.
	Cache *Cache
	// TraceCacheHits gives reads served from the cache a span too, marked
	// with redis.client.cache.hit=true. Off by default: such a span costs
	// several times the read itself (docs/benchmarks.md).
	TraceCacheHits bool
}

// CacheHitKey marks the span of a read served from the client-side cache
// (Multiplexed.TraceCacheHits).
const CacheHitKey = attribute.Key("redis.client.cache.hit")

// cacheHitAttrs is CacheHitKey=true, built once rather than per span.
var cacheHitAttrs = []attribute.KeyValue{CacheHitKey.Bool(true)}

// BatchSizeMetric is the histogram of the number of commands in each
// batch the auto-pipeliner sends.
const BatchSizeMetric = "redis.client.autopipeline.batch.size"

// Instrument instruments a client in the multiplexed mode and
// returns the client to hand out in place of m.Front. Its Close closes
// m.Front and then m.Base.
//
// go-redis runs auto-pipelined batches on context.Background(), so hooks
// see one PIPELINE per batch and no caller. Here every command is recorded
// where it is issued instead: the returned client wraps each method of
// redis.UniversalClient (internal/surface; a command of a newer go-redis
// than the one it was generated from goes through Process, and is recorded
// the same way), and records the command once it has run, under the
// caller's context: its own span, a child of the caller's, with the
// attributes instrument.Instrument gives it, and its own db.client.operation.duration
// sample. The batches themselves produce no spans; their sizes go to the
// BatchSizeMetric histogram. Pipelines,
// transactions and Watch are recorded by instrument.Instrument's hooks on m.Base as
// without multiplexing, and so are the commands they carry.
//
// A read served from the client-side cache is not an operation against
// the server: it gets no span and no duration sample, and is counted by
// the cache metrics (see Cache).
func Instrument(m Multiplexed, cfg instrument.Config) (redis.UniversalClient, func() error, error) {
	var fr *front
	closeBase := func() error {
		if fr != nil {
			// No invalidations reach a closed client: its cached values
			// must not be served either.
			fr.disable()
		}
		if m.Base == m.Front {
			return nil
		}
		return m.Base.Close()
	}
	if m.Base == nil || m.Front == nil {
		return nil, nil, fmt.Errorf("telemetry: client %q: nil client", cfg.Name)
	}
	wrap := func(obs surface.Observer) redis.UniversalClient {
		c := surface.New(m.Front, obs, closeBase)
		if m.Cache == nil {
			return c
		}
		reads := m.Cache.reads(m.Base)
		c.SetCachedReads(reads)
		if cr, ok := reads.(cachedReads); ok {
			fr = cr.f
			if !m.TraceCacheHits {
				return frontClient{Client: c, f: fr}
			}
		}
		return c
	}
	if cfg.DisableTracing && cfg.DisableMetrics || cfg.Redisotel {
		stop, err := instrument.Instrument(m.Base, cfg)
		if err != nil {
			return nil, nil, err
		}
		return wrap(nil), stop, nil
	}

	in, meter, err := instrument.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	eng := &engineHook{in: in}
	var regs []metric.Registration
	if meter != nil {
		h, err := meter.Int64Histogram(BatchSizeMetric,
			metric.WithUnit("{command}"),
			metric.WithDescription("Commands in each batch the auto-pipeliner sent."),
			metric.WithExplicitBucketBoundaries(1, 2, 5, 10, 20, 50, 100, 200, 300, 500))
		if err != nil {
			return nil, nil, fmt.Errorf("telemetry: client %q: creating %s: %w", cfg.Name, BatchSizeMetric, err)
		}
		eng.size = h
		if m.Cache != nil {
			reg, err := m.Cache.register(meter, instrument.PoolName(m.Base, cfg.Name))
			if err != nil {
				return nil, nil, fmt.Errorf("telemetry: client %q: %w", cfg.Name, err)
			}
			regs = append(regs, reg)
		}
	}
	// First, so that it runs before Instrument's hooks and hides the
	// auto-pipeliner's batches from them.
	m.Base.AddHook(eng)

	stopHooks, err := instrument.Instrument(m.Base, cfg)
	if err != nil {
		return nil, nil, err
	}
	obs := &observer{in: in, hitSpans: m.TraceCacheHits}
	switch c := m.Base.(type) {
	case *redis.Client:
		opt := c.Options()
		if instrument.IsFailover(opt) {
			d := in.NewPrimaryTracker(opt.DB)
			obs.primary = d
			c.AddHook(d)
		} else {
			obs.fixed = in.NewEndpoint(opt.Addr, opt.DB)
		}
	case *redis.ClusterClient:
		// The node that ran a command is known only to the node client's
		// hooks, which see the batch without the caller: they note it per
		// command for End.
		obs.fixed = in.NewEndpoint("", 0)
		obs.nodes = &cmdNodes{seed: maphash.MakeSeed()}
		c.OnNewNode(func(node *redis.Client) {
			opt := node.Options()
			node.AddHook(nodeNoter{ep: in.NewEndpoint(opt.Addr, opt.DB), nodes: obs.nodes})
		})
	default:
		obs.fixed = in.NewEndpoint("", 0)
	}

	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			in.Stop()
			stopErr = stopHooks()
			for _, r := range regs {
				if err := r.Unregister(); err != nil && stopErr == nil {
					stopErr = fmt.Errorf("telemetry: client %q: unregistering cache metrics: %w", cfg.Name, err)
				}
			}
		})
		return stopErr
	}
	return wrap(obs), stop, nil
}

// opCtx is the context a command issued through the multiplexed client
// carries down: it marks the command as recorded (Instrument's hooks skip
// it, as they skip untraced contexts) and holds its start time and
// whether the client-side cache served it.
type opCtx struct {
	context.Context
	start time.Time
	hit   bool // set by Cache.Get, on the caller's goroutine
}

// tracedOpCtx is the opCtx of a command that gets a span: it also holds
// the span's start options, so that passing them to Tracer.Start costs no
// allocation of its own. Commands without a span do without the room.
type tracedOpCtx struct {
	opCtx
	opts [2]trace.SpanStartOption
}

// asOpCtx returns the opCtx ctx is, or nil.
func asOpCtx(ctx context.Context) *opCtx {
	switch op := ctx.(type) {
	case *opCtx:
		return op
	case *tracedOpCtx:
		return &op.opCtx
	}
	return nil
}

func (o *opCtx) Value(key any) any {
	if untraced.IsKey(key) {
		return true
	}
	if _, ok := key.(opKey); ok {
		return o
	}
	return o.Context.Value(key)
}

// observer records each command of the multiplexed client.
type observer struct {
	in       *instrument.Instrumentation
	hitSpans bool // spans for reads the cache served
	fixed    *instrument.Endpoint
	primary  *instrument.PrimaryTracker // sentinel: the current primary
	nodes    *cmdNodes                  // cluster: the node each command ran on
}

func (o *observer) Begin(ctx context.Context) context.Context {
	if o.in.Stopped() {
		return ctx
	}
	if o.in.Tracing() {
		return &tracedOpCtx{opCtx: opCtx{Context: ctx, start: time.Now()}}
	}
	return &opCtx{Context: ctx, start: time.Now()}
}

func (o *observer) End(ctx context.Context, cmd redis.Cmder) {
	var node *instrument.Endpoint
	if o.nodes != nil {
		node = o.nodes.take(cmd) // on every path: the note must not stay
	}
	op := asOpCtx(ctx)
	if op == nil || op.hit && !o.hitSpans {
		return
	}
	tr, rec := o.in.Active()
	if op.hit {
		// Not an operation against the server: no duration sample.
		rec = false
	}
	if tr == nil && !rec {
		return
	}
	ep := o.fixed
	switch {
	case node != nil:
		ep = node
	case o.primary != nil:
		ep = o.primary.Current()
	}
	var opts []trace.SpanStartOption
	var extra []attribute.KeyValue
	if tr != nil {
		if t, ok := ctx.(*tracedOpCtx); ok {
			t.opts = [2]trace.SpanStartOption{instrument.SpanKindClient, trace.WithTimestamp(op.start)}
			opts = t.opts[:]
		} else {
			// The tracer became active after Begin.
			opts = []trace.SpanStartOption{instrument.SpanKindClient, trace.WithTimestamp(op.start)}
		}
		if op.hit {
			extra = cacheHitAttrs
		}
	}
	o.in.RecordCommand(op.Context, tr, rec, op.start, ep, cmd, opts, extra)
}

// engineHook hides the auto-pipeliner's own batches, which go-redis runs
// on context.Background(), from Instrument's hooks, and records their
// sizes.
type engineHook struct {
	in   *instrument.Instrumentation
	size metric.Int64Histogram
}

func (h *engineHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *engineHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if surface.IsEngine(ctx) {
			// A batch of one.
			if !instrument.IsSetup(cmd) {
				h.record(1)
			}
			return next(surface.Engine, cmd)
		}
		return next(ctx, cmd)
	}
}

func (h *engineHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if surface.IsEngine(ctx) && !isTransaction(cmds) {
			// Not the handshake of a connection the batch opened.
			if len(cmds) > 0 && !instrument.IsSetupBatch(cmds) {
				h.record(len(cmds))
			}
			return next(surface.Engine, cmds)
		}
		return next(ctx, cmds)
	}
}

// isTransaction reports whether cmds are a MULTI/EXEC transaction: the
// auto-pipeliner sends MULTI on a connection of its own, never in a batch,
// so a transaction on context.Background() is a caller's (one inside
// Watch, say).
func isTransaction(cmds []redis.Cmder) bool {
	return len(cmds) > 0 && cmds[0].Name() == "multi"
}

func (h *engineHook) record(n int) {
	if h.size != nil && !h.in.Stopped() && h.in.MeterActive() {
		h.size.Record(context.Background(), int64(n))
	}
}

// nodeNoter is a hook of each node of a cluster client in the multiplexed
// mode: it notes which node runs the commands the multiplexed client
// issued, those of the auto-pipeliner's batches and those it sent on
// their own.
type nodeNoter struct {
	ep    *instrument.Endpoint
	nodes *cmdNodes
}

func (nodeNoter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h nodeNoter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if issued(ctx) && noted(cmd) {
			h.nodes.put(cmd, h.ep)
		}
		return next(ctx, cmd)
	}
}

func (h nodeNoter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if surface.InEngine(ctx) {
			for _, cmd := range cmds {
				if noted(cmd) {
					h.nodes.put(cmd, h.ep)
				}
			}
		}
		return next(ctx, cmds)
	}
}

// issued reports whether ctx is that of a command the multiplexed client
// issued: run in a batch, or on its own with its caller's context.
func issued(ctx context.Context) bool {
	return surface.InEngine(ctx) || ctx.Value(opKey{}) != nil
}

// noted reports whether a command in an issued command's context may be
// one the multiplexed client issued: not the handshake of a connection it
// opened, nor the cluster client's own topology requests.
func noted(cmd redis.Cmder) bool {
	name := cmd.Name()
	switch {
	case instrument.IsSetup(cmd):
		return false
	case name == "cluster" || name == "command":
		return false
	}
	return true
}

// cmdNodes maps the commands in flight to the node that ran them. A
// command that never reaches End (one of a batch sent through
// AsyncAutoPipeline, say) is forgotten after two generations.
type cmdNodes struct {
	seed   maphash.Seed
	shards [16]cmdNodeShard
}

type cmdNodeShard struct {
	mu        sync.Mutex
	cur, prev map[redis.Cmder]*instrument.Endpoint
	_         [40]byte // keeps shards apart in the CPU caches
}

// cmdNodesGeneration is the number of notes per shard before the older
// generation is forgotten: far more than the commands in flight.
const cmdNodesGeneration = 4096

func (t *cmdNodes) shard(cmd redis.Cmder) *cmdNodeShard {
	return &t.shards[maphash.Comparable(t.seed, cmd)%uint64(len(t.shards))]
}

func (t *cmdNodes) put(cmd redis.Cmder, ep *instrument.Endpoint) {
	sh := t.shard(cmd)
	sh.mu.Lock()
	if sh.cur == nil || len(sh.cur) >= cmdNodesGeneration {
		sh.prev, sh.cur = sh.cur, make(map[redis.Cmder]*instrument.Endpoint)
	}
	sh.cur[cmd] = ep
	sh.mu.Unlock()
}

func (t *cmdNodes) take(cmd redis.Cmder) *instrument.Endpoint {
	sh := t.shard(cmd)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if ep, ok := sh.cur[cmd]; ok {
		delete(sh.cur, cmd)
		return ep
	}
	if ep, ok := sh.prev[cmd]; ok {
		delete(sh.prev, cmd)
		return ep
	}
	return nil
}

// size is the number of notes held.
func (t *cmdNodes) size() int {
	n := 0
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		n += len(sh.cur) + len(sh.prev)
		sh.mu.Unlock()
	}
	return n
}
