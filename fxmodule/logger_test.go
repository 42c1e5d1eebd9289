package fxmodule_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/internal/testlog"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
)

// defaultLogTo sends slog.Default() to a buffer, every level, for one test.
func defaultLogTo(t *testing.T) *testlog.Buffer {
	t.Helper()
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	buf := &testlog.Buffer{}
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	return buf
}

// A start-up failure is logged once, at ERROR, with the constructor named
// as written in fx.Provide, and without fx's chain of "could not build
// arguments for function "reflect".makeFuncStub" lines.
func TestStartFailureIsLoggedOnce(t *testing.T) {
	const password = "logged-once-s3cret"
	const cause = `settings: config key ConnectionStrings:cache (environment variable ConnectionStrings__cache): ` +
		`set, but no endpoint in it can be used: piece 1, '127.0.0.1:abc': the port is not a number`
	esc := func(s string) string { return strings.ReplaceAll(s, `"`, `\"`) }
	tests := []struct {
		name   string
		env    string
		ctor   any
		invoke any
		want   string // in the one ERROR line
		once   string // in the whole log once
	}{
		{"rediscache.Client", "127.0.0.1:abc,password=" + password, rediscache.Client("cache"), func(redis.UniversalClient) {},
			`level=ERROR msg="start-up failed: rediscache.Client(\"cache\"): rediscache: client \"cache\": ` + esc(cause), "the port is not a number"},
		{"keyed.Client", "127.0.0.1:abc,password=" + password, keyed.Client("cache"), fx.Annotate(func(redis.UniversalClient) {}, fx.ParamTags(`name:"cache"`)),
			`level=ERROR msg="start-up failed: keyed.Client(\"cache\"): rediscache: client \"cache\": ` + esc(cause), "the port is not a number"},
		{"OnStart hook", "127.0.0.1:1,abortConnect=true,connectRetry=0,password=" + password, keyed.Client("cache"), fx.Annotate(func(redis.UniversalClient) {}, fx.ParamTags(`name:"cache"`)),
			`level=ERROR msg="start-up failed: keyed.Client(\"cache\"): rediscache: client \"cache\": abortConnect=true and connecting to`, "abortConnect=true and connecting to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ConnectionStrings__cache", tt.env)
			logs := defaultLogTo(t)
			app := fx.New(
				fxmodule.Module,
				fx.Provide(tt.ctor),
				fx.Invoke(tt.invoke),
			)
			if err := app.Start(context.Background()); err == nil {
				t.Fatal("the application started")
			}
			out := logs.String()
			t.Log(out)
			var errorLines []string
			for line := range strings.Lines(out) {
				if strings.Contains(line, "level=ERROR") {
					errorLines = append(errorLines, line)
				}
			}
			if len(errorLines) != 1 || !strings.Contains(errorLines[0], tt.want) {
				t.Errorf("ERROR lines: %q; want one containing %q", errorLines, tt.want)
			}
			if n := strings.Count(out, tt.once); n != 1 {
				t.Errorf("the cause is in the log %d times; want once", n)
			}
			for _, bad := range []string{"makeFuncStub", password} {
				if strings.Contains(out, bad) {
					t.Errorf("the log contains %q", bad)
				}
			}
		})
	}
}
