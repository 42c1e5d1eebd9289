package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// Timeouts put in the connection strings of the fault tests (ms).
const (
	connectTimeoutMS = 500
	syncTimeoutMS    = 500
	timeouts         = ",connectTimeout=500,syncTimeout=500"

	// healthTimeout bounds one run of a client's health check.
	healthTimeout = time.Second
)

// aof makes a server append every write to its log and fsync it before
// answering, so that an acknowledged write survives SIGKILL.
var aof = []string{"--appendonly", "yes", "--appendfsync", "always"}

// parallel runs t in parallel with the other suites and fault scenarios
// (each starts its own servers), except when the figures are measured for
// the report (ASPIREGO_RELIABILITY_REPORT set): then one runs at a time, so
// that none disturbs another's timings.
func parallel(t *testing.T) {
	t.Helper()
	if os.Getenv(ReportEnv) == "" {
		t.Parallel()
	}
}

// client builds the client "cache" from connection string conn through the
// public API (configuration + rediscache.New), with the package's log
// sink and tp (nil: the otel global, a no-op in these tests) as its
// tracer provider. It is closed when the test ends.
func client(t *testing.T, conn string, tp trace.TracerProvider, opts ...settings.Option) *rediscache.Instance {
	t.Helper()
	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:cache": conn})
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]settings.Option{settings.WithHealthCheckTimeout(healthTimeout)}, opts...)
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg, TracerProvider: tp, Logger: logs.logger()}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := inst.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := inst.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return inst
}

// health serves the client's checks as a service would, on /health.
type health struct {
	h http.Handler
}

func newHealth(t *testing.T, inst *rediscache.Instance) *health {
	t.Helper()
	if len(inst.Checks) == 0 {
		t.Fatal("the client has no health check")
	}
	checker, err := healthcheck.New(inst.Checks...)
	if err != nil {
		t.Fatal(err)
	}
	return &health{h: checker.HealthHandler(healthcheck.WithDetails())}
}

// get answers GET /health as JSON: the status code and the body.
func (h *health) get() (int, string) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/health", nil)
	req.Header.Set("Accept", "application/json")
	h.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// waitFor polls /health until it answers code, and returns how long that
// took from since. It fails the test after within.
func (h *health) waitFor(t *testing.T, code int, since time.Time, within time.Duration) time.Duration {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, body := h.get()
		checkNoSecret(t, "the health report", body)
		if got == code {
			return time.Since(since)
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health still answers %d after %v, want %d: %s", got, within, code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// requireHealthy fails the test unless /health answers 200 now.
func (h *health) requireHealthy(t *testing.T) {
	t.Helper()
	if code, body := h.get(); code != http.StatusOK {
		t.Fatalf("/health = %d, want 200: %s", code, body)
	}
}

// op is one command the load ran.
type op struct {
	key     string
	write   bool
	start   time.Time
	dur     time.Duration
	err     error
	wrong   bool // a read returned a value that was never written to key
	missing bool // a read found no value for an acknowledged write
}

// loadOptions shapes a load.
type loadOptions struct {
	workers int           // 0: 4
	pace    time.Duration // pause after each command; 0: 5ms
	prefix  string        // key prefix
	// key returns the key of a worker's seq-th write; nil: prefix:w:seq.
	key func(worker, seq int) string
	// confirm > 0 sends each SET in a pipeline with WAIT confirm 100:
	// a write counts as acknowledged only when that many replicas
	// confirmed it.
	confirm int
}

// errNotReplicated is the error of a write that WAIT did not confirm.
var errNotReplicated = errors.New("WAIT: not confirmed by the replicas")

// load is a steady, bounded stream of commands from a few workers:
// each worker alternates SET of a new key (its value is the key itself)
// and GET of a key it wrote earlier and saw acknowledged. Nothing bounds a
// command but the client's own timeouts: a command that never returns is a
// bug that stop reports.
type load struct {
	stop chan struct{}
	wg   sync.WaitGroup
	ops  [][]op
}

func startLoad(c redis.UniversalClient, o loadOptions) *load {
	if o.workers == 0 {
		o.workers = 4
	}
	if o.pace == 0 {
		o.pace = 5 * time.Millisecond
	}
	if o.key == nil {
		prefix := o.prefix
		o.key = func(w, seq int) string { return fmt.Sprintf("%s:%d:%d", prefix, w, seq) }
	}
	l := &load{stop: make(chan struct{}), ops: make([][]op, o.workers)}
	for w := range o.workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.ops[w] = runWorker(c, o, w, l.stop)
		}()
	}
	return l
}

func runWorker(c redis.UniversalClient, o loadOptions, w int, stop <-chan struct{}) []op {
	ctx := context.Background()
	var ops []op
	var acked []string
	for seq := 0; ; seq++ {
		select {
		case <-stop:
			return ops
		default:
		}
		if seq%2 == 1 && len(acked) > 0 {
			key := acked[(seq*7919)%len(acked)]
			start := time.Now()
			v, err := c.Get(ctx, key).Result()
			r := op{key: key, start: start, dur: time.Since(start)}
			switch {
			case errors.Is(err, redis.Nil):
				r.missing = true
			case err != nil:
				r.err = err
			case v != key:
				r.wrong = true
			}
			ops = append(ops, r)
		} else {
			key := o.key(w, seq)
			start := time.Now()
			var err error
			if o.confirm > 0 {
				pipe := c.Pipeline()
				pipe.Set(ctx, key, key, 0)
				wait := pipe.Do(ctx, "WAIT", o.confirm, 100)
				if _, err = pipe.Exec(ctx); err == nil {
					if n, _ := wait.Int64(); n < int64(o.confirm) {
						err = errNotReplicated
					}
				}
			} else {
				err = c.Set(ctx, key, key, 0).Err()
			}
			ops = append(ops, op{key: key, write: true, start: start, dur: time.Since(start), err: err})
			if err == nil {
				acked = append(acked, key)
			}
		}
		time.Sleep(o.pace)
	}
}

// stopLoad stops the workers and returns every command they ran, in
// start order. A worker whose command has not returned after a minute
// fails the test: the client hung.
func (l *load) stopLoad(t *testing.T) result {
	t.Helper()
	close(l.stop)
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("a command has not returned for a minute: the client hangs")
	}
	var all []op
	for _, ops := range l.ops {
		all = append(all, ops...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].start.Before(all[j].start) })
	return result{ops: all}
}

// result is what a load did.
type result struct {
	ops []op
}

func (r result) attempted() int { return len(r.ops) }

func (r result) failed() int {
	n := 0
	for _, o := range r.ops {
		if o.err != nil {
			n++
		}
	}
	return n
}

func (r result) count(f func(op) bool) int {
	n := 0
	for _, o := range r.ops {
		if f(o) {
			n++
		}
	}
	return n
}

// writes returns the keys of the writes that were acknowledged and of
// those that failed.
func (r result) writes() (acked, failed []string) {
	for _, o := range r.ops {
		switch {
		case !o.write:
		case o.err == nil:
			acked = append(acked, o.key)
		default:
			failed = append(failed, o.key)
		}
	}
	return acked, failed
}

// errorSpan returns the start of the first failed command and the end of
// the last one; ok is false when none failed.
func (r result) errorSpan() (first, last time.Time, ok bool) {
	for _, o := range r.ops {
		if o.err == nil {
			continue
		}
		if !ok || o.start.Before(first) {
			first = o.start
		}
		if end := o.start.Add(o.dur); !ok || end.After(last) {
			last = end
		}
		ok = true
	}
	return first, last, ok
}

func (r result) maxLatency() time.Duration {
	var m time.Duration
	for _, o := range r.ops {
		m = max(m, o.dur)
	}
	return m
}

// errorKinds counts the failures by kind, most frequent first, as
// "kind×n" strings.
func (r result) errorKinds() []string {
	counts := map[string]int{}
	for _, o := range r.ops {
		if o.err != nil {
			counts[errorKind(o.err)]++
		}
	}
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = fmt.Sprintf("%s×%d", k, counts[k])
	}
	return out
}

// errorKind names the kind of a command error for the figures.
func errorKind(err error) string {
	var ne net.Error
	var op *net.OpError
	msg := err.Error()
	switch {
	case errors.Is(err, rediscache.ErrRedirect):
		return "RedirectError"
	case errors.Is(err, errNotReplicated):
		return "WAIT unconfirmed"
	case strings.Contains(msg, "connection refused"):
		return "refused"
	case errors.As(err, &op) && op.Op == "dial":
		return "dial timeout"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "broken pipe"), strings.Contains(msg, "EOF"):
		return "reset"
	case errors.Is(err, redis.ErrPoolTimeout):
		return "pool timeout"
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		word, _, _ := strings.Cut(rerr.Error(), " ")
		return word
	}
	if len(msg) > 40 {
		msg = msg[:40] + "…"
	}
	return msg
}

// checkErrors fails the test when a command error shows a password.
func (r result) checkErrors(t *testing.T) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range r.ops {
		if o.err != nil && !seen[o.err.Error()] {
			seen[o.err.Error()] = true
			checkNoSecret(t, "a command error", o.err.Error())
		}
	}
}

// existing counts how many of keys exist, through c.
func existing(t *testing.T, c redis.UniversalClient, keys []string) int {
	t.Helper()
	n := 0
	for _, ok := range present(t, c, keys) {
		if ok {
			n++
		}
	}
	return n
}

// present reports which of keys exist, through c (pipelines of EXISTS; a
// cluster client splits them by node).
func present(t *testing.T, c redis.UniversalClient, keys []string) []bool {
	t.Helper()
	ctx := context.Background()
	out := make([]bool, 0, len(keys))
	for chunk := range slices.Chunk(keys, 500) {
		pipe := c.Pipeline()
		cmds := make([]*redis.IntCmd, len(chunk))
		for i, k := range chunk {
			cmds[i] = pipe.Exists(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("reading the writes back: %v", err)
		}
		for _, c := range cmds {
			out = append(out, c.Val() == 1)
		}
	}
	return out
}

// sleepUntil sleeps until t.
func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

// ms formats d in milliseconds for the figures.
func ms(d time.Duration) string {
	if d < 0 {
		return "–"
	}
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}
