package keyed_test

import (
	"os"
	"testing"

	"github.com/aspirego/redis/internal/testlog"
)

func TestMain(m *testing.M) { os.Exit(testlog.Main(m).Run()) }
