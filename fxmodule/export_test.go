package fxmodule

import (
	"testing"
	"time"
)

// SetHealthLimits shortens the health server's idle timeout and
// connection cap for one test.
func SetHealthLimits(t *testing.T, idle time.Duration, maxConns int) {
	t.Helper()
	old := healthLimits
	t.Cleanup(func() { healthLimits = old })
	healthLimits.idle, healthLimits.maxConns = idle, maxConns
}
