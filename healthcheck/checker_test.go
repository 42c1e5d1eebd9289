package healthcheck_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aspirego/redis/healthcheck"
)

func TestRunOutcomes(t *testing.T) {
	const timeout = 2 * time.Second
	tests := []struct {
		name    string
		run     func(context.Context) error
		timeout time.Duration
		status  healthcheck.Status
		errIs   error  // want errors.Is(err, errIs) when set
		errText string // want err.Error() == errText when set
		// elapsed is when Run must return, on the fake clock.
		elapsed time.Duration
	}{
		{name: "healthy", run: healthy, timeout: timeout, status: healthcheck.Healthy},
		{name: "failing", run: failing("connection refused"), timeout: timeout, status: healthcheck.Unhealthy, errText: "connection refused"},
		{name: "slow within timeout", run: slow(time.Second), timeout: timeout, status: healthcheck.Healthy, elapsed: time.Second},
		// The run's context ends a twentieth of the timeout (at most 100ms)
		// before the caller's deadline, so the check reports its own error.
		{name: "slow past timeout, honours ctx", run: slow(time.Hour), timeout: timeout, status: healthcheck.Unhealthy,
			errIs: context.DeadlineExceeded, errText: "health check timed out after 2s: context deadline exceeded", elapsed: timeout - 100*time.Millisecond},
		{name: "zero timeout means default", run: slow(time.Hour), timeout: 0, status: healthcheck.Unhealthy,
			errIs: context.DeadlineExceeded, errText: "health check timed out after 5s: context deadline exceeded", elapsed: healthcheck.DefaultTimeout - 100*time.Millisecond},
		{name: "short timeout", run: slow(time.Hour), timeout: time.Second, status: healthcheck.Unhealthy,
			errIs: context.DeadlineExceeded, errText: "health check timed out after 1s: context deadline exceeded", elapsed: time.Second - 50*time.Millisecond},
		{name: "panicking", run: panicking, timeout: timeout, status: healthcheck.Unhealthy, errText: "health check panicked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := mustNew(t, healthcheck.Check{Name: "dep", Timeout: tt.timeout, Run: tt.run})
				start := time.Now()
				rep := c.Run(t.Context())
				if got := time.Since(start); got != tt.elapsed {
					t.Errorf("Run returned after %v on the fake clock, want %v", got, tt.elapsed)
				}
				r := result(t, rep, "dep")
				if r.Status != tt.status || rep.Status != tt.status {
					t.Errorf("status: check %v, report %v; want %v", r.Status, rep.Status, tt.status)
				}
				if tt.status == healthcheck.Healthy && r.Err != nil {
					t.Errorf("healthy check has error %v", r.Err)
				}
				if tt.errIs != nil && (!errors.Is(r.Err, tt.errIs) || (tt.errIs == context.DeadlineExceeded && !errors.Is(r.Err, healthcheck.ErrTimeout))) {
					t.Errorf("err = %v, want one wrapping %v", r.Err, tt.errIs)
				}
				if tt.errText != "" && (r.Err == nil || r.Err.Error() != tt.errText) {
					t.Errorf("err = %v, want %q", r.Err, tt.errText)
				}
			})
		})
	}
}

func TestRunPanicHidesValue(t *testing.T) {
	c := mustNew(t, healthcheck.Check{Name: "p", Run: panicking})
	r := result(t, c.Run(t.Context()), "p")
	if r.Status != healthcheck.Unhealthy || !errors.Is(r.Err, healthcheck.ErrPanicked) || strings.Contains(r.Err.Error(), "hunter2") {
		t.Errorf("panicking check: %v %v, want Unhealthy, ErrPanicked, no panic value", r.Status, r.Err)
	}
}

func TestRunHungCheckIgnoringContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHung()
		defer h.Release() // lets the goroutine end before the bubble does
		c := mustNew(t,
			healthcheck.Check{Name: "hung", Timeout: 3 * time.Second, Run: h.Run},
			healthcheck.Check{Name: "ok", Timeout: time.Second, Run: healthy},
		)
		start := time.Now()
		rep := c.Run(t.Context())
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("Run returned after %v (fake clock), want the hung check's timeout 3s", got)
		}
		r := result(t, rep, "hung")
		if r.Status != healthcheck.Unhealthy || !errors.Is(r.Err, healthcheck.ErrTimeout) {
			t.Errorf("hung: %v, %v; want Unhealthy wrapping ErrTimeout", r.Status, r.Err)
		}
		if want := "health check timed out after 3s"; r.Err == nil || r.Err.Error() != want {
			t.Errorf("hung err = %v, want %q", r.Err, want)
		}
		if ok := result(t, rep, "ok"); ok.Status != healthcheck.Healthy {
			t.Errorf("a hung check made another check %v: %v", ok.Status, ok.Err)
		}
		if rep.Status != healthcheck.Unhealthy {
			t.Errorf("report status %v, want Unhealthy", rep.Status)
		}
	})
}

func TestRunCallerDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, healthcheck.Check{Name: "slow", Timeout: time.Hour, Run: slow(time.Minute)})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		r := result(t, c.Run(ctx), "slow")
		if got := time.Since(start); got != time.Second {
			t.Errorf("Run returned after %v, want the caller's deadline 1s", got)
		}
		if !errors.Is(r.Err, healthcheck.ErrTimeout) {
			t.Errorf("err = %v, want ErrTimeout", r.Err)
		}
		// The shared run goes on under its own timeout; let it finish.
		time.Sleep(time.Minute)
		synctest.Wait()
	})
}

func TestRunCancelledCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHung()
		defer h.Release()
		c := mustNew(t, healthcheck.Check{Name: "hung", Run: h.Run})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		r := result(t, c.Run(ctx), "hung")
		if !errors.Is(r.Err, healthcheck.ErrAbandoned) || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("err = %v, want ErrAbandoned wrapping context.Canceled", r.Err)
		}
		// An already-cancelled caller starts no run.
		before := len(h.runs)
		r = result(t, c.Run(ctx), "hung")
		if !errors.Is(r.Err, healthcheck.ErrAbandoned) || len(h.runs) != before {
			t.Errorf("cancelled caller: err %v, runs %d -> %d", r.Err, before, len(h.runs))
		}
	})
}

func TestRunCoalescesConcurrentCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHung()
		c := mustNew(t, healthcheck.Check{Name: "hung", Timeout: time.Second, Run: h.Run})

		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				r := result(t, c.Run(context.Background()), "hung")
				if !errors.Is(r.Err, healthcheck.ErrTimeout) {
					t.Errorf("err = %v, want ErrTimeout", r.Err)
				}
			})
		}
		wg.Wait()
		if n := len(h.runs); n != 1 {
			t.Errorf("100 concurrent callers started %d runs, want 1", n)
		}
		// A later caller joins the same (still hung) run.
		c.Run(context.Background())
		if n := len(h.runs); n != 1 {
			t.Errorf("a later caller started a second run of a hung check (%d runs)", n)
		}

		h.Release()
		synctest.Wait() // the run's goroutine has ended
		if r := result(t, c.Run(context.Background()), "hung"); r.Status != healthcheck.Healthy {
			t.Errorf("after release: %v %v, want Healthy", r.Status, r.Err)
		}
		if n := len(h.runs); n != 2 {
			t.Errorf("after release a new run should start: %d runs, want 2", n)
		}
		// synctest.Test fails if any goroutine of the bubble is still alive.
	})
}

func TestRunReusesResultOfSharedRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var runs int
		c := mustNew(t, healthcheck.Check{Name: "s", Timeout: 10 * time.Second, Run: func(ctx context.Context) error {
			runs++
			time.Sleep(2 * time.Second)
			return errors.New("down")
		}})
		var wg sync.WaitGroup
		wg.Go(func() { c.Run(context.Background()) })
		time.Sleep(time.Second)
		r := result(t, c.Run(context.Background()), "s") // joins at t=1s
		wg.Wait()
		if runs != 1 || r.Err == nil || r.Err.Error() != "down" || r.Duration != 2*time.Second {
			t.Errorf("joined run: runs=%d err=%v duration=%v; want 1, down, 2s (the run's own duration)", runs, r.Err, r.Duration)
		}
	})
}

func TestNewDeduplicatesByName(t *testing.T) {
	c := mustNew(t,
		healthcheck.Check{Name: "redis_cache", Run: healthy},
		healthcheck.Check{Name: "other", Tags: []string{healthcheck.TagLive}, Run: healthy},
		healthcheck.Check{Name: "redis_cache", Run: failing("second registration must be dropped")},
		healthcheck.Check{Name: healthcheck.SelfName, Run: failing("self is built in")},
	)
	var got []string
	for _, ch := range c.Checks() {
		got = append(got, ch.Name)
	}
	if want := []string{"self", "redis_cache", "other"}; !slices.Equal(got, want) {
		t.Errorf("Checks() = %v, want %v", got, want)
	}
	if rep := c.Run(t.Context()); rep.Status != healthcheck.Healthy {
		t.Errorf("the first registration did not win: %+v", rep)
	}
}

func TestNewRejectsInvalidChecks(t *testing.T) {
	tests := []struct {
		name  string
		check healthcheck.Check
		want  string
	}{
		{"empty name", healthcheck.Check{Run: healthy}, "healthcheck: check #0: invalid health check: empty name"},
		{"nil run", healthcheck.Check{Name: "x"}, `healthcheck: check "x": invalid health check: nil Run function`},
		{"negative timeout", healthcheck.Check{Name: "x", Run: healthy, Timeout: -time.Second}, `healthcheck: check "x": invalid health check: negative timeout -1s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := healthcheck.New(tt.check)
			if c != nil || !errors.Is(err, healthcheck.ErrInvalidCheck) || err.Error() != tt.want {
				t.Errorf("New() = %v, %v; want nil, %q", c, err, tt.want)
			}
		})
	}
}

func TestRunSelectsByTag(t *testing.T) {
	c := mustNew(t,
		healthcheck.Check{Name: "redis_cache", Run: failing("down")},
		healthcheck.Check{Name: "worker", Tags: []string{healthcheck.TagLive, "extra"}, Run: healthy},
		healthcheck.Check{Name: "db", Tags: []string{"ready"}, Run: healthy},
	)
	tests := []struct {
		tags   []string
		want   []string
		status healthcheck.Status
	}{
		{nil, []string{"self", "redis_cache", "worker", "db"}, healthcheck.Unhealthy},
		{[]string{healthcheck.TagLive}, []string{"self", "worker"}, healthcheck.Healthy},
		{[]string{"ready", "extra"}, []string{"worker", "db"}, healthcheck.Healthy},
		{[]string{"none"}, nil, healthcheck.Healthy},
	}
	for _, tt := range tests {
		rep := c.Run(t.Context(), tt.tags...)
		if got := names(rep); !slices.Equal(got, tt.want) || rep.Status != tt.status {
			t.Errorf("Run(%q) = %v %v, want %v %v", tt.tags, rep.Status, got, tt.status, tt.want)
		}
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[healthcheck.Status]string{healthcheck.Healthy: "Healthy", healthcheck.Degraded: "Degraded", healthcheck.Unhealthy: "Unhealthy"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), want)
		}
	}
	if var0 := (healthcheck.Status(0)); var0 != healthcheck.Unhealthy {
		t.Errorf("zero Status = %v, want Unhealthy", var0)
	}
}

func TestRunWrapsErrorReturnedAfterDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, healthcheck.Check{Name: "s", Timeout: 2 * time.Second, Run: slow(time.Hour)})
		var wg sync.WaitGroup
		wg.Go(func() { c.Run(context.Background()) })
		time.Sleep(time.Second)
		// This caller waits until t=3s; the shared run ends at t=1.9s.
		r := result(t, c.Run(context.Background()), "s")
		wg.Wait()
		if !errors.Is(r.Err, healthcheck.ErrTimeout) || !errors.Is(r.Err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want ErrTimeout and the check's own context.DeadlineExceeded", r.Err)
		}
		if want := "health check timed out after 2s: context deadline exceeded"; r.Err == nil || r.Err.Error() != want {
			t.Errorf("err = %v, want %q", r.Err, want)
		}
	})
}
