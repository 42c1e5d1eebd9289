package multiplex

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/surface"
)

// BatchDeadline is a hook of a client whose commands go-redis's
// auto-pipeliner sends in batches, one batch at a time (a standalone or
// sentinel-managed client, MaxConcurrentBatches 1). It gives each batch a
// deadline that keeps every command of it within about the command
// timeout from when its caller issued it, where the client's deadline
// hook, after it, gives the batch the whole timeout from when the batch
// starts.
//
// The difference matters when the server stalls. go-redis's flusher takes
// the next batch's commands off the queue as soon as it has sent a batch,
// then waits for that batch to end before it sends the next. A command
// queued behind a batch that times out has already waited up to one
// timeout when its own batch starts, and waited a second one in it:
// 1.04 s at syncTimeout=500 before this hook (issue 20, item 6c).
//
// go-redis tells a batch nothing about when its commands were issued, but
// the order of the flusher bounds it: the commands of a batch that started
// as soon as the one before it ended (it was waiting for it) were queued no
// earlier than that one was taken off the queue, which is when the batch
// before that one started, or when that one started if it did not wait.
// Such a batch gets that time plus the timeout as its deadline when that is
// sooner (a batch that starts within a timeout of one that timed out counts
// as having waited for it, however late its goroutine ran); once the
// deadline has passed, its commands fail at once with the timeout error,
// without being sent. A batch that did not wait holds commands issued since
// the last batch ended, and keeps the whole timeout. With no stall the
// bound is a few milliseconds short of the whole timeout.
type BatchDeadline struct {
	timeout time.Duration
	// waitSlack is how soon after the last batch ended a batch must start
	// to count as having waited for it.
	waitSlack time.Duration
	// timeoutErr is the error of a command (or "pipeline") cut by the
	// deadline, given the timeout.
	timeoutErr func(command string, limit time.Duration) error
	now        func() time.Time

	mu         sync.Mutex
	lastStart  time.Time // the last batch's start
	prevStart  time.Time // the start of the batch before it
	lastWaited bool      // the last batch started as soon as the one before it ended
	lastEnd    time.Time // the last batch's end; zero while it runs
	lastFailed bool      // the last batch ended by a timeout, or was cut
}

// NewBatchDeadline returns the hook for a client with the given command
// timeout. timeoutErr builds the error of a command the hook cuts.
func NewBatchDeadline(timeout time.Duration, timeoutErr func(command string, limit time.Duration) error) *BatchDeadline {
	return &BatchDeadline{timeout: timeout, waitSlack: timeout / 4, timeoutErr: timeoutErr, now: time.Now}
}

// inBatchKey marks the context a batch runs on once the hook has seen it:
// the commands go-redis sends on it (a new connection's handshake) are
// part of the batch, not batches of their own.
type inBatchKey struct{}

// begin records the start of a batch and returns its deadline, and
// whether it is sooner than the whole timeout.
func (h *BatchDeadline) begin() (time.Time, bool) {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	since := now.Sub(h.lastEnd)
	// Behind a batch that timed out, the next one may start late on a
	// loaded machine (its goroutine waits to run): up to a timeout later
	// it still counts as queued behind it.
	waited := !h.lastEnd.IsZero() && (since <= h.waitSlack || h.lastFailed && since <= h.timeout)
	var deadline time.Time
	capped := false
	if waited {
		queued := h.lastStart // when the last batch was taken off the queue
		if h.lastWaited {
			queued = h.prevStart
		}
		if !queued.IsZero() {
			deadline = queued.Add(h.timeout)
			capped = deadline.Before(now.Add(h.timeout))
		}
	}
	h.prevStart, h.lastStart, h.lastWaited, h.lastEnd = h.lastStart, now, waited, time.Time{}
	return deadline, capped
}

// end records the end of a batch, and whether it failed by a timeout.
func (h *BatchDeadline) end(failed bool) {
	now := h.now()
	h.mu.Lock()
	h.lastEnd, h.lastFailed = now, failed
	h.mu.Unlock()
}

// isBatch reports whether ctx is that of a batch the hook has not seen
// yet.
func isBatch(ctx context.Context) bool {
	return (surface.IsEngine(ctx) || surface.InEngine(ctx)) && ctx.Value(inBatchKey{}) == nil
}

// DialHook passes.
func (h *BatchDeadline) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook bounds a batch of one command, which go-redis sends on its
// own.
func (h *BatchDeadline) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !isBatch(ctx) {
			return next(ctx, cmd)
		}
		return h.run(ctx, []redis.Cmder{cmd}, strings.ToUpper(cmd.Name()), func(ctx context.Context) error { return next(ctx, cmd) })
	}
}

// ProcessPipelineHook bounds a batch.
func (h *BatchDeadline) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !isBatch(ctx) {
			return next(ctx, cmds)
		}
		return h.run(ctx, cmds, "pipeline", func(ctx context.Context) error { return next(ctx, cmds) })
	}
}

// run runs one batch under its deadline.
func (h *BatchDeadline) run(ctx context.Context, cmds []redis.Cmder, name string, next func(context.Context) error) error {
	deadline, capped := h.begin()
	ctx = context.WithValue(ctx, inBatchKey{}, true)
	if !capped {
		err := next(ctx)
		h.end(isTimeout(err))
		return err
	}
	if !h.now().Before(deadline) {
		// Its commands have waited their timeout already.
		h.end(true)
		err := h.timeoutErr(name, h.timeout)
		for _, cmd := range cmds {
			cmd.SetErr(err)
		}
		return err
	}
	bounded, cancel := context.WithDeadline(ctx, deadline)
	err := next(bounded)
	cancel()
	h.end(isTimeout(err))
	if err == nil || bounded.Err() == nil {
		return err
	}
	// Cut by this deadline: the error the deadline hook gives a batch it
	// cut.
	cut := h.timeoutErr(name, h.timeout)
	for _, cmd := range cmds {
		if isTimeout(cmd.Err()) {
			cmd.SetErr(cut)
		}
	}
	if isTimeout(err) {
		err = cut
	}
	return err
}

// isTimeout reports whether err is a context deadline or a network timeout.
func isTimeout(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
