package testlog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

type fakeM struct {
	code int
	run  func()
}

func (m fakeM) Run() int { m.run(); return m.code }

func TestTail(t *testing.T) {
	var tl tail
	tl.Write(bytes.Repeat([]byte("a"), MaxKept))
	tl.Write([]byte("end"))
	if b := tl.bytes(); len(b) != MaxKept || !bytes.HasSuffix(b, []byte("aend")) {
		t.Errorf("kept %d bytes ending %q", len(b), b[len(b)-4:])
	}
}

func TestMainRoutesDefaultLoggers(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	var during *slog.Logger
	code := Main(fakeM{code: 0, run: func() {
		during = slog.Default()
		slog.Info("library line")
	}}).Run()
	if code != 0 || during == old {
		t.Fatalf("Run = %d; slog.Default was not replaced while the tests ran", code)
	}
}

func TestGoRedisLogger(t *testing.T) {
	var tl tail
	goRedisLogger{&tl}.Printf(context.Background(), "dial %s failed", "x")
	if got := string(tl.bytes()); got != "go-redis: dial x failed\n" {
		t.Errorf("got %q", got)
	}
}

func TestLoggerDropsLinesAfterTheTest(t *testing.T) {
	var logger *slog.Logger
	t.Run("inner", func(t *testing.T) {
		logger = Logger(t)
		logger.Info("during the test", "k", "v")
	})
	// Would panic if it still wrote to the finished test's output.
	logger.Info("after the test")
	if !strings.Contains(t.Name(), "Logger") {
		t.Fatal(t.Name())
	}
}
