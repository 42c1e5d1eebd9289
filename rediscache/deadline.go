package rediscache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/healthcheck"
)

// CommandTimeoutError is the error of a command (or pipeline) that did not
// complete within the client's command timeout, syncTimeout. It wraps
// context.DeadlineExceeded, so errors.Is(err, context.DeadlineExceeded)
// holds, and reports Timeout() true, as a net.Error does.
type CommandTimeoutError struct {
	// Name is the client's name.
	Name string
	// Command is the command's name in upper case ("SET"), or "pipeline".
	Command string
	// Limit is how long the command was given.
	Limit time.Duration
	// Dial is the last failed connection attempt of the client during the
	// command, when there was one: what the command was most likely
	// waiting for. Nil otherwise.
	Dial error
	// Err is context.DeadlineExceeded.
	Err error
}

// Error names the client, the command, the timeout and its configuration
// key, and the last dial failure.
func (e *CommandTimeoutError) Error() string {
	msg := fmt.Sprintf("rediscache: client %q: %s exceeded its timeout, %v (syncTimeout): %v", e.Name, e.Command, e.Limit, e.Err)
	if e.Dial != nil {
		msg += "; last connection attempt: " + e.Dial.Error()
	}
	return msg
}

// Unwrap returns context.DeadlineExceeded.
func (e *CommandTimeoutError) Unwrap() error { return e.Err }

// Timeout reports true.
func (e *CommandTimeoutError) Timeout() bool { return true }

// commandTimeout returns the command timeout of client: the larger of
// the read and write timeouts go-redis resolved when it built the client
// (its defaults in place of zero), or 0 when either is not positive
// (go-redis: no timeout, or no deadline at all), which leaves commands
// unbounded as configured.
func commandTimeout(client redis.UniversalClient) time.Duration {
	var r, w time.Duration
	switch c := client.(type) {
	case *redis.Client: // standalone and sentinel
		r, w = c.Options().ReadTimeout, c.Options().WriteTimeout
	case *redis.ClusterClient:
		r, w = c.Options().ReadTimeout, c.Options().WriteTimeout
	}
	if r <= 0 || w <= 0 {
		return 0
	}
	return max(r, w)
}

// ownDeadline marks a context whose deadline the command-timeout hook
// keeps even when it is later than the command timeout: Start's PING,
// bounded by the connect budget instead.
type ownDeadline struct{}

// withOwnDeadline returns ctx marked with ownDeadline.
func withOwnDeadline(ctx context.Context) context.Context {
	return context.WithValue(ctx, ownDeadline{}, true)
}

// deadlineHook bounds every command by the command timeout.
type deadlineHook struct {
	name    string
	timeout time.Duration
	// lastDial is the outcome of the client's latest dial.
	lastDial atomic.Pointer[dialOutcome]
	shared   sharedDeadlines
}

type dialOutcome struct {
	at  time.Time
	err error
}

// deadlineLayer bounds every command and pipeline of the client by the
// client's command timeout, syncTimeout (go-redis's ReadTimeout and
// WriteTimeout, the larger of the two), or by the caller's context when
// that ends sooner, as StackExchange.Redis bounds every synchronous
// command by syncTimeout whatever its connection is doing.
//
// go-redis alone does not promise that: its socket deadlines bound each
// read and write, but a command that has to connect first waits for the
// dial (DialTimeout, tried DialerRetries times) and is then retried
// (MaxRetries, with backoff), so against a TCP connect that hangs one SET
// with the default settings took 61 s (4 command attempts x 3 dial
// attempts x 5 s). A deadline on the command's context bounds every layer
// at once: the wait for a pool turn and for a dial (go-redis waits for
// both on the context), the connection handshake (HELLO, AUTH), the
// socket reads and writes (ContextTimeoutEnabled) and the retry backoff.
// A dial that the deadline abandoned goes on in the background and its
// connection, if any, joins the pool.
//
// Blocking commands (BLPOP, BRPOP, BLMOVE, BLMPOP, BRPOPLPUSH, BZPOPMIN,
// BZPOPMAX, BZMPOP, XREAD and XREADGROUP with BLOCK, WAIT, WAITAOF) sent
// on their own, typed or through Do, get their own timeout on top of the
// command timeout, and no deadline at all when they block without limit
// (a timeout of 0), as go-redis's read deadlines do; go-redis's own read
// timeout is set to match (blocking.go). In a pipeline go-redis reads them
// under ReadTimeout like any other command, and so does the pipeline's
// deadline.
//
// Under a context that cannot be cancelled, commands share deadlines
// (sharedDeadlines), at no allocation; under any other context the
// deadline is a context.WithTimeout. The benchmark's rediscache variant
// measures both (docs/benchmarks.md, "Command deadlines").
//
// The layer adds one hook to the client, none when the options ask for no
// timeout, and bounds the health check the same way (boundCheck).
type deadlineLayer struct {
	noLayer
	client  string
	timeout time.Duration // set by install
}

func (*deadlineLayer) name() string { return "deadline" }

func (l *deadlineLayer) install(c redis.UniversalClient) error {
	l.timeout = commandTimeout(c)
	if l.timeout > 0 {
		addHooks(c, &deadlineHook{name: l.client, timeout: l.timeout}, nil)
	}
	return nil
}

func (l *deadlineLayer) wrapCheck(c healthcheck.Check) healthcheck.Check {
	return boundCheck(c, l.client, l.timeout)
}

func (h *deadlineHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		h.lastDial.Store(&dialOutcome{at: time.Now(), err: err})
		return c, err
	}
}

func (h *deadlineHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		d := h.timeout
		if block, ok := blockTimeout(cmd); ok {
			if block == 0 {
				return next(ctx, cmd)
			}
			d = satAdd(d, block)
		}
		bounded, cancel, ok := h.bound(ctx, d)
		if !ok {
			return next(ctx, cmd)
		}
		err := next(bounded, cmd)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = h.timeoutError(strings.ToUpper(cmd.Name()), d)
			cmd.SetErr(err)
		}
		return err
	}
}

func (h *deadlineHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		// go-redis reads a pipeline's replies under ReadTimeout, blocking
		// commands included: the pipeline gets the command timeout.
		d := h.timeout
		bounded, cancel, ok := h.bound(ctx, d)
		if !ok {
			return next(ctx, cmds)
		}
		err := next(bounded, cmds)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = h.timeoutError("pipeline", d)
			for _, cmd := range cmds {
				if errors.Is(cmd.Err(), context.DeadlineExceeded) {
					cmd.SetErr(err)
				}
			}
		}
		return err
	}
}

// bound returns ctx with a deadline d from now, unless ctx ends sooner
// already or keeps its own deadline (ok false).
func (h *deadlineHook) bound(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc, bool) {
	if dl, has := ctx.Deadline(); has {
		if time.Until(dl) <= d || ctx.Value(ownDeadline{}) != nil {
			return ctx, nil, false
		}
	}
	if ctx.Done() != nil || d != h.timeout {
		// A context that can be cancelled (an HTTP request's, say) needs
		// its own child to merge both ends; so does a blocking command's
		// longer deadline.
		c, cancel := context.WithTimeout(ctx, d)
		return c, cancel, true
	}
	s := h.shared.get(d)
	if ctx == background {
		return &s.background, noCancel, true // no allocation
	}
	return &sharedDeadline{Context: ctx, s: s}, noCancel, true
}

var background = context.Background()

func noCancel() {}

// sharedDeadlines hands out deadlines shared by the commands that start
// within the same deadlineSlot, for parents that cannot be cancelled
// (context.Background and its values): one timer and one channel per
// slot instead of a context.WithTimeout per command, which costs five
// allocations (380 bytes) and about 1 µs, more than the rest of the
// client's hooks with telemetry off (docs/benchmarks.md, "Command
// deadlines").
//
// A slot made at time c has the deadline c+d+deadlineSlot and is handed
// out while the clock reads before c+deadlineSlot, so every command gets
// between d and d+deadlineSlot. Nothing but the clock retires a slot: a
// goroutine paused anywhere in get, or a timer that fires late on a
// saturated machine, cannot keep a slot in use past its time (an earlier
// version retired slots with a timer armed before the slot was
// published, and a goroutine paused between the two left an expired
// slot current for good). A late timer only closes Done late; Deadline,
// which go-redis's socket deadlines use, is exact.
type sharedDeadlines struct {
	cur atomic.Pointer[deadlineSlotState]
	mu  sync.Mutex
}

// deadlineSlot is the granularity of shared deadlines.
const deadlineSlot = 10 * time.Millisecond

type deadlineSlotState struct {
	until    time.Time // handed out before this time only
	deadline time.Time
	done     chan struct{}
	expired  atomic.Bool
	// background is the slot's context for commands under
	// context.Background, shared by all of them.
	background sharedDeadline
}

func (s *sharedDeadlines) get(d time.Duration) *deadlineSlotState {
	if b := s.cur.Load(); b != nil && time.Now().Before(b.until) {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now() // after the wait for the lock
	if b := s.cur.Load(); b != nil && now.Before(b.until) {
		return b
	}
	b := &deadlineSlotState{until: now.Add(deadlineSlot), deadline: now.Add(d + deadlineSlot), done: make(chan struct{})}
	b.background = sharedDeadline{Context: background, s: b}
	time.AfterFunc(d+deadlineSlot, func() {
		b.expired.Store(true)
		close(b.done)
	})
	if stallHook != nil {
		stallHook()
	}
	s.cur.Store(b)
	return b
}

// stallHook, when set (by tests only), is called where a goroutine that
// the scheduler pauses must not harm other commands: after a deadline
// slot is made and before it is published.
var stallHook func()

// sharedDeadline is a context whose parent cannot be cancelled, with a
// shared deadline.
type sharedDeadline struct {
	context.Context
	s *deadlineSlotState
}

func (c *sharedDeadline) Deadline() (time.Time, bool) { return c.s.deadline, true }
func (c *sharedDeadline) Done() <-chan struct{}       { return c.s.done }
func (c *sharedDeadline) Err() error {
	if c.s.expired.Load() {
		return context.DeadlineExceeded
	}
	return nil
}

func (h *deadlineHook) timeoutError(command string, d time.Duration) error {
	e := &CommandTimeoutError{Name: h.name, Command: command, Limit: d, Err: context.DeadlineExceeded}
	// A dial that failed since the command started (at the latest d ago)
	// is most likely what it waited for.
	if last := h.lastDial.Load(); last != nil && last.err != nil && time.Since(last.at) <= d+deadlineSlot {
		e.Dial = last.err
	}
	return e
}

// blockTimeout reports whether cmd is a blocking command and how long it
// may block (0: without limit). A blocking command whose timeout cannot be
// read is treated as blocking without limit. Its name and keywords may be
// strings or byte slices, in any case, as go-redis sends both.
func blockTimeout(cmd redis.Cmder) (time.Duration, bool) {
	args := cmd.Args()
	if len(args) == 0 {
		return 0, false
	}
	name := argString(args[0])
	// Cheap first filter: every blocking command starts with b, w or x.
	if name == "" {
		return 0, false
	}
	switch name[0] | 0x20 {
	case 'b', 'w', 'x':
	default:
		return 0, false
	}
	switch strings.ToLower(name) {
	case "blpop", "brpop", "bzpopmin", "bzpopmax", "brpoplpush", "blmove":
		return argDuration(args[len(args)-1], time.Second)
	case "blmpop", "bzmpop":
		if len(args) < 2 {
			return 0, true
		}
		return argDuration(args[1], time.Second)
	case "wait":
		if len(args) < 3 {
			return 0, true
		}
		return argDuration(args[2], time.Millisecond)
	case "waitaof":
		if len(args) < 4 {
			return 0, true
		}
		return argDuration(args[3], time.Millisecond)
	case "xread":
		return streamBlock(args, 1)
	case "xreadgroup":
		// GROUP, the group and the consumer come first, and the names
		// may be anything ("block", "streams").
		return streamBlock(args, 4)
	}
	return 0, false
}

// streamBlock reads the BLOCK option of XREAD or XREADGROUP, whose options
// start at args[start] and end at STREAMS: after it come stream names and
// IDs, which may be "block" too. Without BLOCK the command does not block.
func streamBlock(args []any, start int) (time.Duration, bool) {
	for i := start; i < len(args); i++ {
		switch s := argString(args[i]); {
		case strings.EqualFold(s, "streams"):
			return 0, false
		case strings.EqualFold(s, "block"):
			if i+1 == len(args) {
				return 0, true
			}
			return argDuration(args[i+1], time.Millisecond)
		}
	}
	return 0, false
}

// argString returns a command argument that is a string or a byte slice
// as a string, and "" for any other argument.
func argString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// argDuration reads a command argument as a count of unit; anything
// unreadable or negative counts as no limit.
func argDuration(v any, unit time.Duration) (time.Duration, bool) {
	var f float64
	switch v := v.(type) {
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case int32:
		f = float64(v)
	case uint64:
		f = float64(v)
	case float64:
		f = v
	case string:
		p, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, true
		}
		f = p
	case []byte:
		p, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return 0, true
		}
		f = p
	default:
		return 0, true
	}
	if !(f > 0) { // also NaN
		return 0, true
	}
	d := f * float64(unit)
	if d >= math.MaxInt64 {
		return math.MaxInt64, true
	}
	return max(time.Duration(d), 1), true
}

// satAdd returns a+b for non-negative durations, saturating at the
// largest duration.
func satAdd(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// satMul returns d*n for non-negative d and n, saturating at the largest
// duration.
func satMul(d time.Duration, n int) time.Duration {
	if d <= 0 || n <= 0 {
		return 0
	}
	if d > math.MaxInt64/time.Duration(n) {
		return math.MaxInt64
	}
	return d * time.Duration(n)
}

// boundCheck bounds a health check's whole run by the command timeout d
// as well as its own: the check of a cluster client talks to the nodes
// directly (loading the slot map, then PING and CLUSTER INFO on every
// primary), outside the client's hooks. A run cut by d fails with a
// *CommandTimeoutError for the command "health check".
func boundCheck(c healthcheck.Check, name string, d time.Duration) healthcheck.Check {
	if d <= 0 {
		return c
	}
	run := c.Run
	c.Run = func(ctx context.Context) error {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
			return run(ctx)
		}
		bounded, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		err := run(bounded)
		if err != nil && ctx.Err() == nil && bounded.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			var te *CommandTimeoutError
			if !errors.As(err, &te) {
				return &CommandTimeoutError{Name: name, Command: "health check", Limit: d, Err: err}
			}
		}
		return err
	}
	return c
}
