package healthcheck_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aspirego/redis/healthcheck"
)

// fake checks, each a Run function.

func healthy(context.Context) error { return nil }

func failing(msg string) func(context.Context) error {
	return func(context.Context) error { return errors.New(msg) }
}

// slow returns nil after d, or ctx's error if ctx ends first.
func slow(d time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func panicking(context.Context) error { panic("boom: password=hunter2") }

// hung returns a Run function that ignores its context and blocks until
// release is called, counting its runs, and the release function.
type hung struct {
	release chan struct{}
	runs    chan struct{} // one value per run started (buffered)
}

func newHung() *hung {
	return &hung{release: make(chan struct{}), runs: make(chan struct{}, 1000)}
}

func (h *hung) Run(context.Context) error {
	h.runs <- struct{}{}
	<-h.release
	return nil
}

func (h *hung) Release() { close(h.release) }

func mustNew(tb testing.TB, checks ...healthcheck.Check) *healthcheck.Checker {
	tb.Helper()
	c, err := healthcheck.New(checks...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

func result(tb testing.TB, rep healthcheck.Report, name string) healthcheck.Result {
	tb.Helper()
	for _, r := range rep.Results {
		if r.Name == name {
			return r
		}
	}
	tb.Fatalf("no result named %q in %v", name, names(rep))
	return healthcheck.Result{}
}

func names(rep healthcheck.Report) []string {
	var out []string
	for _, r := range rep.Results {
		out = append(out, r.Name)
	}
	return out
}

// checkGoroutines counts the goroutines running a check (started by the
// checker), read from a dump of every goroutine's stack.
func checkGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Count(string(buf), "healthcheck.(*entry).join.func")
}

// eventually polls cond for up to 5 s.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
