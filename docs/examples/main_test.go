// Package docs_test holds the Go code shown in the documentation under
// docs/. Every Go snippet of a page is a region of a file here, so that
// it compiles, and the examples run as tests: go test ./docs/...
package docs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/testlog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(testlog.Main(m)) }

// startMiniredis starts an in-memory Redis for an example and returns it
// with the connection string an Aspire AppHost would inject for it.
// miniredis does not implement CLIENT SETINFO, hence setlib=false.
func startMiniredis() (*miniredis.Miniredis, string) {
	srv, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	return srv, srv.Addr() + ",setlib=false"
}

// setenv sets environment variables for one example, as an AppHost or a
// shell would, and returns the function that restores them.
func setenv(kv ...string) (restore func()) {
	type saved struct {
		key, value string
		ok         bool
	}
	var old []saved
	for i := 0; i+1 < len(kv); i += 2 {
		v, ok := os.LookupEnv(kv[i])
		old = append(old, saved{kv[i], v, ok})
		if err := os.Setenv(kv[i], kv[i+1]); err != nil {
			panic(err)
		}
	}
	return func() {
		for _, s := range old {
			if s.ok {
				_ = os.Setenv(s.key, s.value)
			} else {
				_ = os.Unsetenv(s.key)
			}
		}
	}
}

// stdoutLogger is a logger whose lines an Example can check: text on
// stdout, without the time, and only the lines the clients log about
// themselves (those with redis.client), not go-redis's own, whose number
// depends on timing.
func stdoutLogger() *slog.Logger {
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(clientLines{Handler: h})
}

// clientLines passes on the records of loggers that carry redis.client,
// except go-redis's own lines (logger=go-redis).
type clientLines struct {
	slog.Handler
	client bool
}

func (h clientLines) Enabled(ctx context.Context, l slog.Level) bool {
	return h.client && h.Handler.Enabled(ctx, l)
}

func (h clientLines) Handle(ctx context.Context, r slog.Record) error {
	goRedis := false
	r.Attrs(func(a slog.Attr) bool {
		goRedis = a.Key == "logger" && a.Value.String() == "go-redis"
		return !goRedis
	})
	if goRedis {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h clientLines) WithAttrs(attrs []slog.Attr) slog.Handler {
	client := h.client
	for _, a := range attrs {
		client = client || a.Key == "redis.client"
	}
	return clientLines{Handler: h.Handler.WithAttrs(attrs), client: client}
}

func (h clientLines) WithGroup(name string) slog.Handler {
	return clientLines{Handler: h.Handler.WithGroup(name), client: h.client}
}

// printLines prints s with each line trimmed of trailing spaces, for
// Example output.
func printLines(s string) {
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Println(strings.TrimRight(line, " "))
	}
}
