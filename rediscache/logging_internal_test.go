package rediscache

import (
	"testing"
	"time"
)

func TestLogLimiter(t *testing.T) {
	var l logLimiter
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at          time.Duration
		wantOK      bool
		wantDropped int
	}
	steps := []step{
		{0, true, 0},
		{time.Second, true, 0},
		{2 * time.Second, true, 0},
		{3 * time.Second, false, 0}, // burst used up
		{4 * time.Second, false, 0},
		{logWindow, true, 2}, // a new window reports the two dropped
		{logWindow + time.Second, true, 0},
		{-time.Hour, true, 0}, // a clock that went back starts a window
	}
	for i, s := range steps {
		dropped, ok := l.allow(t0.Add(s.at))
		if ok != s.wantOK || dropped != s.wantDropped {
			t.Errorf("step %d (at %v): allow = %d, %v; want %d, %v", i, s.at, dropped, ok, s.wantDropped, s.wantOK)
		}
	}
}
