package integration

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := writeReport(); err != nil {
		fmt.Fprintln(os.Stderr, "integration: writing the report:", err)
		if code == 0 {
			code = 1
		}
	}
	if code == 0 {
		if err := findLeaks(); err != nil {
			fmt.Fprintln(os.Stderr, "integration: goroutines left running after the tests:", err)
			code = 1
		}
	}
	if code == 0 {
		if leaks := logs.leaks(); len(leaks) > 0 {
			fmt.Fprintln(os.Stderr, "integration: a password appeared in the log:", strings.Join(leaks, "\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// findLeaks is goleak.Find, given up to leakGrace to settle: a go-redis
// pool whose server was unreachable runs a dial probe that notices the
// pool is closed only after its one-second sleep.
func findLeaks() error {
	const leakGrace = 5 * time.Second
	deadline := time.Now().Add(leakGrace)
	for {
		err := goleak.Find()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// logs receives the log lines of every client the tests build (go-redis
// has one process-wide logger, which rediscache routes to the logger of
// the client built last) and checks that no password of any test server
// appears in them.
var logs = &logSink{}

type logSink struct {
	mu      sync.Mutex
	secrets []string
	lines   int
	found   []string
}

// logger returns a logger writing to the sink.
func (s *logSink) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// secret registers a password that must never be logged.
func (s *logSink) secret(pw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = append(s.secrets, pw)
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines += bytes.Count(p, []byte("\n"))
	for _, pw := range s.secrets {
		if bytes.Contains(p, []byte(pw)) && len(s.found) < 10 {
			s.found = append(s.found, strings.ReplaceAll(string(p), pw, "<the password>"))
		}
	}
	return len(p), nil
}

func (s *logSink) leaks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.found
}

// checkNoSecret fails the test when text contains a registered password.
func checkNoSecret(t *testing.T, what, text string) {
	t.Helper()
	logs.mu.Lock()
	secrets := logs.secrets
	logs.mu.Unlock()
	for _, pw := range secrets {
		if strings.Contains(text, pw) {
			t.Errorf("%s contains a password: %s", what, strings.ReplaceAll(text, pw, "<the password>"))
		}
	}
}
