package testserver

import (
	"errors"
	"fmt"
	"time"
)

// pollInterval is how often the harness re-checks a condition.
const pollInterval = 50 * time.Millisecond

// stop, returned by a waitFor condition, ends the wait at once: the
// condition cannot become true.
type stop struct{ err error }

func (s stop) Error() string { return s.err.Error() }
func (s stop) Unwrap() error { return s.err }

// waitFor calls cond until it returns nil, returns a stop error, or timeout
// passes; the error names what was awaited and the last reason cond gave.
func waitFor(what string, timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		var st stop
		if errors.As(err, &st) {
			return fmt.Errorf("testserver: %s: %w", what, st.err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testserver: %s: not reached within %s: %w", what, timeout, err)
		}
		time.Sleep(pollInterval)
	}
}
