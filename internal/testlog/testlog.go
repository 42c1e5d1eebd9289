package testlog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Logger returns a logger writing text lines to t.Output(). Lines logged
// after the test ended (by a goroutine that outlived it) are dropped.
func Logger(t testing.TB) *slog.Logger {
	t.Helper()
	w := &testWriter{w: t.Output()}
	t.Cleanup(w.close)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu   sync.Mutex
	w    io.Writer
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	return w.w.Write(p)
}

func (w *testWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
}

// M is what TestMain runs: *testing.M, or a wrapper of it.
type M interface{ Run() int }

// Main wraps m (for goleak.VerifyTestMain(testlog.Main(m)), or
// os.Exit(testlog.Main(m).Run())): while it runs, slog.Default() and
// go-redis's logger write to memory (the last MaxKept bytes), which is
// printed to stderr only when a test failed.
func Main(m M) M { return mainM{m} }

// MaxKept bounds the log kept in memory by Main.
const MaxKept = 1 << 20

type mainM struct{ m M }

func (w mainM) Run() int {
	sink := &tail{}
	slog.SetDefault(slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug})))
	redis.SetLogger(goRedisLogger{sink})
	code := w.m.Run()
	if code != 0 {
		if b := sink.bytes(); len(b) > 0 {
			fmt.Fprintf(os.Stderr, "--- log lines of code run without a test's logger (slog.Default, go-redis), last %d bytes:\n%s", len(b), b)
		}
	}
	return code
}

// tail keeps the last MaxKept bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - MaxKept; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}

type goRedisLogger struct{ w io.Writer }

func (l goRedisLogger) Printf(_ context.Context, format string, v ...any) {
	fmt.Fprintf(l.w, "go-redis: "+format+"\n", v...)
}

// Buffer is a bytes.Buffer that a logger's goroutines and the test may use
// at once.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
