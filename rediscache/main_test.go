package rediscache_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/testlog"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(testlog.Main(m))
}
