package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Checker runs a fixed set of checks. It is safe for concurrent use.
//
// Each selected check runs in its own goroutine under its own deadline, so
// checks run concurrently and one slow check does not delay the others.
// Concurrent callers share runs: while a check is running, a second caller
// waits for that run (under its own deadline) instead of starting another,
// so a hung dependency costs one goroutine however many requests arrive.
// Results are not cached: the next call after a run ends starts a new one.
type Checker struct {
	entries []*entry
}

type entry struct {
	check   Check
	timeout time.Duration // how long a caller waits
	// runTimeout bounds the run's context. It ends a little before a
	// caller's wait does, so that a check honouring its context reports
	// its own error ("timed out after 5s: PING: dial tcp ...: connection
	// refused") rather than a bare "timed out".
	runTimeout time.Duration
	inline     bool // trivial check, run on the caller's goroutine

	mu     sync.Mutex
	flight *flight // the run in progress, nil when none
}

// flight is one run of a check. Its fields are written before done is
// closed and read only after.
type flight struct {
	done       chan struct{}
	start, end time.Time
	err        error
}

// New returns a Checker for checks, plus the always-healthy "self" check
// tagged [TagLive] (see [SelfName]). Checks are de-duplicated by name: the
// first one with a name wins and later ones are silently dropped, like
// Aspire's TryAddHealthCheck, so two components may contribute the same
// check. A check without a name or Run function, or with a negative
// timeout, is an error wrapping [ErrInvalidCheck].
func New(checks ...Check) (*Checker, error) {
	c := &Checker{entries: make([]*entry, 0, len(checks)+1)}
	c.entries = append(c.entries, &entry{
		check:   Check{Name: SelfName, Tags: []string{TagLive}, Run: func(context.Context) error { return nil }},
		timeout: DefaultTimeout,
		inline:  true,
	})
	seen := map[string]bool{SelfName: true}
	var errs []error
	for i, ch := range checks {
		switch {
		case ch.Name == "":
			errs = append(errs, fmt.Errorf("healthcheck: check #%d: %w: empty name", i, ErrInvalidCheck))
			continue
		case ch.Run == nil:
			errs = append(errs, fmt.Errorf("healthcheck: check %q: %w: nil Run function", ch.Name, ErrInvalidCheck))
			continue
		case ch.Timeout < 0:
			errs = append(errs, fmt.Errorf("healthcheck: check %q: %w: negative timeout %v", ch.Name, ErrInvalidCheck, ch.Timeout))
			continue
		}
		if seen[ch.Name] {
			continue
		}
		seen[ch.Name] = true
		ch.Tags = slices.Clip(slices.Clone(ch.Tags))
		ch.Data = maps.Clone(ch.Data)
		timeout := ch.Timeout
		if timeout == 0 {
			timeout = DefaultTimeout
		}
		c.entries = append(c.entries, &entry{check: ch, timeout: timeout, runTimeout: timeout - min(timeout/20, 100*time.Millisecond)})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Checks returns the checks c runs, "self" first, then the others in the
// order they were passed to [New], without duplicates.
func (c *Checker) Checks() []Check {
	out := make([]Check, len(c.entries))
	for i, e := range c.entries {
		out[i] = e.check
		out[i].Tags = slices.Clone(e.check.Tags)
		out[i].Data = maps.Clone(e.check.Data)
	}
	return out
}

// run runs every check that carries at least one of tags (every check when
// tags is empty) and reports the outcome. It returns when every selected
// check has finished or reached its deadline (its Timeout after Run was
// called, or ctx's deadline if sooner), or as soon as ctx is done.
//
// Run waits for check goroutines, never for a Run function that ignores
// its context: such a check is reported as timed out at its deadline and
// goes on running in the background until it returns.
func (c *Checker) run(ctx context.Context, tags ...string) report {
	start := time.Now()
	selected := make([]*entry, 0, len(c.entries))
	for _, e := range c.entries {
		if len(tags) == 0 || slices.ContainsFunc(tags, e.check.hasTag) {
			selected = append(selected, e)
		}
	}

	results := make([]result, len(selected))
	flights := make([]*flight, len(selected))
	for i, e := range selected {
		results[i] = result{Name: e.check.Name, Tags: e.check.Tags, Data: e.check.Data, redact: e.check.Redact}
		switch {
		case ctx.Err() != nil:
			// Nothing to wait for: do not start runs nobody will read.
		case e.inline:
			t := time.Now()
			results[i].Err = call(ctx, e.check.Run)
			results[i].Duration = time.Since(t)
		default:
			flights[i] = e.join(ctx)
		}
	}

	var timer *time.Timer
	for i, e := range selected {
		r := &results[i]
		f := flights[i]
		if f == nil {
			if !e.inline {
				r.Err = abandoned(ctx, e.timeout)
			}
			continue
		}
		if !f.wait(ctx, start.Add(e.timeout), &timer) {
			r.Duration = time.Since(start)
			r.Err = abandoned(ctx, e.timeout)
			continue
		}
		r.Duration = f.end.Sub(f.start)
		r.Err = f.err
	}
	if timer != nil {
		timer.Stop()
	}

	rep := report{Status: Healthy, Results: results}
	for i := range results {
		st := statusOf(results[i].Err)
		results[i].Status = st
		if st.rank() < rep.Status.rank() {
			rep.Status = st
		}
	}
	rep.Duration = time.Since(start)
	return rep
}

// abandoned is the error of a check the caller stopped waiting for: its
// own deadline passed, or ctx ended.
func abandoned(ctx context.Context, timeout time.Duration) error {
	err := ctx.Err()
	switch {
	case err == nil:
		return fmt.Errorf("%w after %v", errTimeout, timeout)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: the caller's deadline passed", errTimeout)
	default:
		return fmt.Errorf("%w: %w", errAbandoned, context.Cause(ctx))
	}
}

// join returns the run of e in progress, starting one if there is none.
func (e *entry) join(ctx context.Context) *flight {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.flight != nil {
		return e.flight
	}
	f := &flight{done: make(chan struct{}), start: time.Now()}
	e.flight = f
	// The run is shared by every caller that joins it, so it must not end
	// when the caller that started it goes away: keep ctx's values, drop
	// its cancellation, and bound the run by the check's own timeout.
	runCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), f.start.Add(e.runTimeout))
	go func() {
		defer cancel()
		err := call(runCtx, e.check.Run)
		end := time.Now()
		if deadline, _ := runCtx.Deadline(); err != nil && (runCtx.Err() != nil || !end.Before(deadline)) {
			// Whatever the check says (context.DeadlineExceeded, an i/o
			// timeout), it failed because its time was up.
			err = fmt.Errorf("%w after %v: %w", errTimeout, e.timeout, err)
		}
		e.mu.Lock()
		f.err, f.end = err, end
		e.flight = nil
		e.mu.Unlock()
		close(f.done)
	}()
	return f
}

// wait reports whether f is done before deadline passes and before ctx is
// done. It reuses *timer across calls.
func (f *flight) wait(ctx context.Context, deadline time.Time, timer **time.Timer) bool {
	select {
	case <-f.done:
		return true
	default:
	}
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	if *timer == nil {
		*timer = time.NewTimer(d)
	} else {
		(*timer).Reset(d)
	}
	select {
	case <-f.done:
		return true
	case <-(*timer).C:
	case <-ctx.Done():
	}
	// A run that finished at the very deadline still counts.
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// call runs fn, turning a panic into errPanicked.
func call(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errPanicked
		}
	}()
	return fn(ctx)
}
