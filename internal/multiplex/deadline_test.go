package multiplex

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestBatchDeadlineBounds walks the hook's clock through the batches of
// an idle client, steady traffic and a stall: only batches that waited
// for a batch before them get a deadline sooner than the whole timeout.
func TestBatchDeadlineBounds(t *testing.T) {
	const timeout = 500 * time.Millisecond
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type batch struct {
		name       string
		start, end time.Duration // since t0
		failed     bool          // ended by a timeout
		// want is the deadline since t0, or -1 for the whole timeout.
		want time.Duration
	}
	for _, tc := range []struct {
		name    string
		batches []batch
	}{
		{"late behind a timeout", []batch{
			{"c0", 0, time.Millisecond, false, -1},
			{"c1, times out", time.Millisecond, time.Millisecond + timeout, true, 0 + timeout},
			// Its goroutine ran 300 ms late: still queued since c0 started.
			{"c2, late", 301*time.Millisecond + timeout, 301*time.Millisecond + timeout, true, 0 + timeout},
		}},
		{"late after success", []batch{
			{"d0", 0, time.Millisecond, false, -1},
			{"d1, 300 ms after d0: not queued behind it", 301 * time.Millisecond, 302 * time.Millisecond, false, -1},
		}},
		{"first batches", []batch{
			{"first", 0, time.Millisecond, false, -1},
			{"queued behind the first", time.Millisecond, 2 * time.Millisecond, false, timeout},
		}},
		{"after idle", []batch{
			{"a", 0, time.Millisecond, false, -1},
			{"after a second of idle", time.Second, time.Second + time.Millisecond, false, -1},
			{"queued behind it", time.Second + time.Millisecond, time.Second + 2*time.Millisecond, false, time.Second + timeout},
		}},
		{"stall", []batch{
			{"b0", 0, time.Millisecond, false, -1},
			{"b1, times out", time.Millisecond, time.Millisecond + timeout, true, 0 + timeout},
			// Queued since b1 was taken off the queue, when b0 started.
			{"b2, queued behind b1", time.Millisecond + timeout, time.Millisecond + timeout, true, 0 + timeout},
			// Queued since b2 was taken off the queue, when b1 started.
			{"b3, queued behind b2", time.Millisecond + timeout, time.Millisecond + timeout, true, time.Millisecond + timeout},
			// Queued since b2 started: the whole timeout from then.
			{"b4, queued behind b3", 2*time.Millisecond + timeout, 2*time.Millisecond + 2*timeout, true, time.Millisecond + 2*timeout},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var now time.Time
			h := NewBatchDeadline(timeout, nil)
			h.now = func() time.Time { return now }
			for _, b := range tc.batches {
				now = t0.Add(b.start)
				got, capped := h.begin()
				switch {
				case b.want < 0 && capped:
					t.Errorf("%s: deadline %v after t0, want the whole timeout", b.name, got.Sub(t0))
				case b.want >= 0 && (!capped || !got.Equal(t0.Add(b.want))):
					t.Errorf("%s: deadline %v after t0 (capped %v), want %v", b.name, got.Sub(t0), capped, b.want)
				}
				now = t0.Add(b.end)
				h.end(b.failed)
			}
		})
	}
}

// TestBatchDeadlineCutsWaitedBatch: a batch whose deadline has passed
// fails with the timeout error without being sent. The first batch takes
// twice the timeout; the two queued behind it have waited their timeout.
func TestBatchDeadlineCutsWaitedBatch(t *testing.T) {
	errCut := errors.New("cut")
	h := NewBatchDeadline(time.Millisecond, func(string, time.Duration) error { return errCut })
	h.waitSlack = time.Hour
	ran := 0
	next := func(context.Context) error { ran++; time.Sleep(2 * time.Millisecond); return nil }
	for i := range 3 {
		err := h.run(context.Background(), nil, "pipeline", next)
		if i > 0 && err != errCut {
			t.Errorf("batch %d: %v, want %v", i, err, errCut)
		}
	}
	if ran != 1 {
		t.Errorf("%d of 3 batches sent, want 1: the others were queued behind a batch longer than the timeout", ran)
	}
}
