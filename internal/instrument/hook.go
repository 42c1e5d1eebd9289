package instrument

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspirego/redis/internal/untraced"
)

// Instrumentation is the state shared by every hook installed by one
// Instrument call.
type Instrumentation struct {
	conv      Conventions
	queryText bool
	setup     bool // record connection set-up commands
	stopped   atomic.Bool

	tracing bool
	tracer  tracerSource

	metrics  bool
	meter    meterSource
	duration metric.Float64Histogram
}

// active returns the tracer to use (nil = no span) and whether to record
// the duration metric, for one command.
func (in *Instrumentation) active() (trace.Tracer, bool) {
	var tr trace.Tracer
	if in.tracing {
		tr = in.tracer.get()
	}
	return tr, in.metrics && in.meter.active()
}

// call is one command or batch in flight.
type call struct {
	span      trace.Span
	start     time.Time
	recording bool
	metrics   bool
}

// begin starts the span (when tr is not nil) and the clock (when metrics
// are recorded).
func (in *Instrumentation) begin(ctx context.Context, tr trace.Tracer, rec bool, oi *opInfo) call {
	c := call{metrics: rec}
	if tr != nil {
		// The span's context is deliberately not passed on to go-redis:
		// nothing below us reads it, and passing it on would only make
		// every context lookup further down one level deeper.
		//
		// The attributes are set in one call when the command is done
		// (see end) rather than passed as start options: the SDK copies
		// start-option attributes once more (an allocation and about a
		// tenth of the hook's cost), a span that is not sampled does not
		// need them, and only then is the server (cluster node, sentinel
		// primary) and the outcome known. Samplers still see the span name,
		// which is db.operation.name, and the kind.
		_, c.span = tr.Start(ctx, oi.name, spanKindClient...)
		c.recording = c.span.IsRecording()
	}
	if rec {
		c.start = time.Now()
	}
	return c
}

// end finishes the span and records the duration. oi is the operation at
// the endpoint the command went to (which may differ from the one the span
// started with, for cluster and sentinel clients).
//
// hide (a command whose arguments can hold a secret, see hidesReply)
// withholds the error's text from the span status, and an error.type that
// is not a known error code.
func (in *Instrumentation) end(ctx context.Context, c *call, oi *opInfo, err error, hide bool) {
	var errType, status string
	if err != nil && err != redis.Nil {
		errType, status = classifyError(err)
		if hide && status != "" && !knownErrorCodes[status] {
			errType, status = errOther, ""
		}
	}
	out := oi.outcome(errType, status)
	if c.span != nil {
		if c.recording {
			c.span.SetAttributes(out.spanAttrs...)
			if errType != "" {
				if hide {
					c.span.SetStatus(codes.Error, withheldStatus(errType))
				} else {
					c.span.SetStatus(codes.Error, err.Error())
				}
			}
		}
		c.span.End()
	}
	if c.metrics {
		in.duration.Record(ctx, time.Since(c.start).Seconds(), out.rec...)
	}
}

// processCmd runs one command through next and records it against the
// endpoint t names once the command is done: the configured server, the
// current sentinel primary or the cluster node that ran it.
func (in *Instrumentation) processCmd(ctx context.Context, cmd redis.Cmder, next redis.ProcessHook, t *target) error {
	if in.stopped.Load() {
		return next(ctx, cmd)
	}
	tr, rec := in.active()
	if tr == nil && !rec || untraced.Is(ctx) {
		return next(ctx, cmd)
	}
	name := cmd.Name()
	ep := t.startEndpoint()
	oi := ep.op(kindCommand, name)
	if oi.setup && !in.setup && isSetup(cmd, name) {
		return next(ctx, cmd)
	}
	c := in.begin(ctx, tr, rec, oi)
	if c.recording {
		in.cmdExtras(c.span, cmd, oi)
	}
	nctx, capt := t.wrap(ctx)
	err := next(nctx, cmd)
	if fep := t.finalEndpoint(ep, capt); fep != ep {
		oi = fep.op(kindCommand, name)
	}
	in.end(ctx, &c, oi, err, err != nil && oi.hideReply)
	return err
}

// cmdExtras adds the per-call attributes of a recorded command span.
func (in *Instrumentation) cmdExtras(span trace.Span, cmd redis.Cmder, oi *opInfo) {
	if oi.procArg {
		if args := cmd.Args(); len(args) > 1 {
			if s, ok := args[1].(string); ok {
				span.SetAttributes(semconv.DBStoredProcedureName(s))
			}
		}
	}
	if in.queryText {
		in.setQueryText(span, queryText(cmd))
	}
}

// setQueryText records db.query.text (and db.statement with
// ConventionsDup).
func (in *Instrumentation) setQueryText(span trace.Span, q string) {
	if in.conv == ConventionsDup {
		span.SetAttributes(semconv.DBQueryText(q), oldDBStatement.String(q))
		return
	}
	span.SetAttributes(semconv.DBQueryText(q))
}

// processBatch is processCmd for a pipeline or a MULTI/EXEC transaction.
func (in *Instrumentation) processBatch(ctx context.Context, cmds []redis.Cmder, next redis.ProcessPipelineHook, t *target) error {
	if in.stopped.Load() {
		return next(ctx, cmds)
	}
	tr, rec := in.active()
	if tr == nil && !rec || untraced.Is(ctx) {
		return next(ctx, cmds)
	}
	kind, inner := batchKind(cmds)
	if !in.setup && kind == kindPipeline && len(cmds) > 0 && setupNames[cmds[0].Name()] && allSetup(cmds) {
		return next(ctx, cmds)
	}
	name := commonName(inner)
	if kind == kindPipeline && len(inner) == 1 {
		// A batch of one is modelled as the single operation it is.
		kind = kindCommand
	}
	ep := t.startEndpoint()
	oi := ep.op(kind, name)
	c := in.begin(ctx, tr, rec, oi)
	if c.recording {
		if kind != kindCommand && len(inner) != 1 {
			c.span.SetAttributes(semconv.DBOperationBatchSize(len(inner)))
		}
		if in.queryText {
			in.setQueryText(c.span, batchQueryText(inner))
		}
	}
	nctx, capt := t.wrap(ctx)
	err := next(nctx, cmds)
	// go-redis returns the first command's error, which may be redis.Nil
	// while a later command failed: the batch failed then.
	recErr := err
	if recErr == nil || recErr == redis.Nil {
		recErr = firstError(cmds)
	}
	if fep := t.finalEndpoint(ep, capt); fep != ep {
		oi = fep.op(kind, name)
	}
	in.end(ctx, &c, oi, recErr, recErr != nil && anyHidesReply(inner))
	return err
}

// batchKind tells a MULTI/EXEC transaction (go-redis hands the hook the
// commands wrapped in MULTI ... EXEC) from a plain pipeline and returns
// the user's commands.
func batchKind(cmds []redis.Cmder) (opKind, []redis.Cmder) {
	if n := len(cmds); n >= 2 && cmds[0].Name() == "multi" && cmds[n-1].Name() == "exec" {
		return kindMulti, cmds[1 : n-1]
	}
	return kindPipeline, cmds
}

// commonName returns the command name shared by all cmds, or "".
func commonName(cmds []redis.Cmder) string {
	if len(cmds) == 0 {
		return ""
	}
	name := cmds[0].Name()
	for _, c := range cmds[1:] {
		if c.Name() != name {
			return ""
		}
	}
	return name
}

// firstError returns the first command error of a batch other than
// redis.Nil.
func firstError(cmds []redis.Cmder) error {
	for _, c := range cmds {
		if err := c.Err(); err != nil && err != redis.Nil {
			return err
		}
	}
	return nil
}

// target says which endpoint a hook reports.
type target struct {
	// fixed is the endpoint of a standalone client or of one cluster node;
	// for a cluster client, the endpoint spans start with (no server.*).
	fixed *Endpoint
	// cur, when not nil, holds the endpoint of the server the client
	// currently talks to (a sentinel-managed client: the current primary).
	cur *atomic.Pointer[Endpoint]
	// cluster, when not nil, marks the cluster client's own hook: the node
	// hooks report the node each command went to through the context.
	cluster *clusterTarget
}

// clusterTarget is the extra state of a cluster client's hook.
type clusterTarget struct {
	seed *Endpoint // used when no node reported (node created before Instrument)
}

func (t *target) startEndpoint() *Endpoint {
	if t.cur != nil {
		return t.cur.Load()
	}
	return t.fixed
}

// wrap returns the context to pass to next: for a cluster client, one
// that lets the node hook report the node.
func (t *target) wrap(ctx context.Context) (context.Context, *nodeCapture) {
	if t.cluster == nil {
		return ctx, nil
	}
	c := &nodeCapture{Context: ctx}
	return c, c
}

func (t *target) finalEndpoint(start *Endpoint, capt *nodeCapture) *Endpoint {
	switch {
	case t.cur != nil:
		return t.cur.Load()
	case capt != nil:
		if n := capt.node.Load(); n != nil {
			return n
		}
		return t.cluster.seed
	}
	return start
}

// nodeCapture is the context a cluster client's hook passes down; the hook
// of the node client that runs the command stores its endpoint in it.
type nodeCapture struct {
	context.Context
	node atomic.Pointer[Endpoint]
}

type captureKey struct{}

// Value makes the capture findable from the node hook's context, whatever
// go-redis wrapped around it on the way.
func (c *nodeCapture) Value(key any) any {
	if key == (captureKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// hook is the redis.Hook of a standalone or sentinel-managed client, and
// of each node of a cluster.
type hook struct {
	in *Instrumentation
	t  target
	// primary is set for a sentinel-managed client: its dial hook tracks
	// the address of the primary each new connection goes to (t.cur).
	primary *PrimaryTracker
	db      int
	// node is set on a cluster node's hook: commands that came through the
	// cluster client only report the node; others are recorded here.
	node bool
}

var _ redis.Hook = (*hook)(nil)

// DialHook tracks the address of the primary for a sentinel-managed
// client and is not installed otherwise.
func (h *hook) DialHook(next redis.DialHook) redis.DialHook {
	if h.primary == nil {
		return nil
	}
	return h.primary.DialHook(next)
}

// PrimaryTracker follows the primary a sentinel-managed client dials: cur
// is the endpoint of the connection dialled last. It is the dial hook of
// the client's telemetry hook and, in the multiplexed mode, a hook of its
// own.
type PrimaryTracker struct {
	db   int
	conv Conventions
	cur  atomic.Pointer[Endpoint]
	mu   sync.Mutex
	eps  map[string]*Endpoint // endpoints seen so far, at most maxCachedOps
}

func newPrimaryTracker(db int, conv Conventions) *PrimaryTracker {
	d := &PrimaryTracker{db: db, conv: conv, eps: make(map[string]*Endpoint)}
	d.cur.Store(newEndpoint("", db, conv))
	return d
}

func (d *PrimaryTracker) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err == nil && conn != nil {
			if ra := conn.RemoteAddr(); ra != nil {
				d.observe(ra.String())
			}
		}
		return conn, err
	}
}

// observe makes addr the endpoint of the client's commands.
func (d *PrimaryTracker) observe(addr string) {
	if cur := d.cur.Load(); cur != nil && cur.hostport == addr {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ep := d.eps[addr]
	if ep == nil {
		ep = newEndpoint(addr, d.db, d.conv)
		if len(d.eps) < maxCachedOps {
			d.eps[addr] = ep
		}
	}
	d.cur.Store(ep)
}

func (d *PrimaryTracker) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (d *PrimaryTracker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// ProcessHook wraps every command.
func (h *hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	if h.node {
		return func(ctx context.Context, cmd redis.Cmder) error {
			if c, ok := ctx.Value(captureKey{}).(*nodeCapture); ok {
				c.node.Store(h.t.fixed)
				return next(ctx, cmd)
			}
			return h.in.processCmd(ctx, cmd, next, &h.t)
		}
	}
	return func(ctx context.Context, cmd redis.Cmder) error {
		return h.in.processCmd(ctx, cmd, next, &h.t)
	}
}

// ProcessPipelineHook wraps every pipeline and transaction.
func (h *hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	if h.node {
		return func(ctx context.Context, cmds []redis.Cmder) error {
			if c, ok := ctx.Value(captureKey{}).(*nodeCapture); ok {
				c.node.Store(h.t.fixed)
				return next(ctx, cmds)
			}
			return h.in.processBatch(ctx, cmds, next, &h.t)
		}
	}
	return func(ctx context.Context, cmds []redis.Cmder) error {
		return h.in.processBatch(ctx, cmds, next, &h.t)
	}
}

// spanKindClient is the only start option of a command span.
var spanKindClient = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
