package multiplex

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/testlog"
)

// TestMain keeps go-redis's own log lines (dial failures of the fault
// tests) out of the output unless a test fails.
func TestMain(m *testing.M) { goleak.VerifyTestMain(testlog.Main(m)) }
