package rediscachetest

import (
	"log/slog"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/fx"

	"github.com/aspirego/redis/internal/testlog"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// Logger returns a logger that writes to t.Output(), so that the clients'
// lines (built, connected, closed, and go-redis's own) show under the test
// that caused them, with go test -v or when it fails, and a green run stays
// quiet. Supply it to the container, fx.Supply(rediscachetest.Logger(t)),
// or pass it as rediscache.Deps.Logger. Lines logged after the test ended
// are dropped.
func Logger(t testing.TB) *slog.Logger {
	t.Helper()
	return testlog.Logger(t)
}

// Start starts a miniredis server that is closed when the test ends and
// returns it with an fx option that points the clients called names at it
// (every name shares the server; call Start again for separate servers).
// The option lays a configuration over whatever the application loads, in
// the rediscache.ConfigGroup value group.
//
// Without fx, give rediscache.New a configuration that names the server:
// settings.NewConfig(map[string]any{"ConnectionStrings:cache": srv.Addr()}).
func Start(t testing.TB, names ...string) (*miniredis.Miniredis, fx.Option) {
	t.Helper()
	srv := miniredis.RunT(t)
	conns := make(map[string]any, len(names))
	for _, n := range names {
		// miniredis does not implement CLIENT SETINFO.
		conns[n] = srv.Addr() + ",setlib=false"
	}
	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings": conns})
	if err != nil {
		t.Fatalf("rediscachetest: %v", err)
	}
	return srv, fx.Supply(fx.Annotated{Group: rediscache.ConfigGroup, Target: cfg})
}
