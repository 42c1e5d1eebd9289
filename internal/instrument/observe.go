package instrument

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// SpanKindClient is the span-kind start option of a command span.
var SpanKindClient = spanKindClient[0]

// New sets up the tracer and the operation-duration histogram cfg asks
// for, for the multiplexed mode's observer (internal/multiplex), which
// records each command through the methods below as the hooks record
// them. meter is nil when no metrics are recorded.
func New(cfg Config) (in *Instrumentation, meter metric.Meter, err error) {
	return newInstrumentation(cfg)
}

// Stop turns the hooks and the observer into pass-throughs.
func (in *Instrumentation) Stop() { in.stopped.Store(true) }

// Stopped reports whether Stop was called.
func (in *Instrumentation) Stopped() bool { return in.stopped.Load() }

// Tracing reports whether commands get spans now.
func (in *Instrumentation) Tracing() bool { return in.tracing && in.tracer.get() != nil }

// Active returns the tracer to use (nil: no span) and whether to record
// the duration metric, for one command.
func (in *Instrumentation) Active() (trace.Tracer, bool) { return in.active() }

// MeterActive reports whether metrics are recorded now.
func (in *Instrumentation) MeterActive() bool { return in.metrics && in.meter.active() }

// NewEndpoint describes the server at addr ("" when not known) using
// database db.
func (in *Instrumentation) NewEndpoint(addr string, db int) *Endpoint {
	return newEndpoint(addr, db, in.conv)
}

// NewPrimaryTracker returns the tracker of a sentinel-managed client's
// primary.
func (in *Instrumentation) NewPrimaryTracker(db int) *PrimaryTracker {
	return newPrimaryTracker(db, in.conv)
}

// Current is the endpoint of the primary dialled last.
func (d *PrimaryTracker) Current() *Endpoint { return d.cur.Load() }

// RecordCommand records cmd, which ran on ep from start until now: a span
// from tr (when not nil) under ctx, started with opts and carrying extra
// attributes besides the command's, and a duration sample when rec.
func (in *Instrumentation) RecordCommand(ctx context.Context, tr trace.Tracer, rec bool, start time.Time, ep *Endpoint, cmd redis.Cmder, opts []trace.SpanStartOption, extra []attribute.KeyValue) {
	oi := ep.op(kindCommand, cmd.Name())
	c := call{start: start, metrics: rec}
	if tr != nil {
		_, c.span = tr.Start(ctx, oi.name, opts...)
		c.recording = c.span.IsRecording()
		if c.recording {
			in.cmdExtras(c.span, cmd, oi)
			if len(extra) > 0 {
				c.span.SetAttributes(extra...)
			}
		}
	}
	err := cmd.Err()
	in.end(ctx, &c, oi, err, err != nil && oi.hideReply)
}

// IsSetup reports whether cmd is one of the commands go-redis sends when
// it opens a connection.
func IsSetup(cmd redis.Cmder) bool { return isSetup(cmd, cmd.Name()) }

// IsSetupBatch reports whether cmds are a connection's handshake.
func IsSetupBatch(cmds []redis.Cmder) bool {
	return len(cmds) > 0 && setupNames[cmds[0].Name()] && allSetup(cmds)
}

// PoolName is db.client.connection.pool.name of client called name.
func PoolName(client redis.UniversalClient, name string) string { return poolName(client, name) }

// IsFailover reports whether opt belongs to a sentinel-managed client.
func IsFailover(opt *redis.Options) bool { return isFailover(opt) }
