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
func Start(t testing.TB, names ...string) (*miniredis.Miniredis, fx.Option) {
	t.Helper()
	srv := miniredis.RunT(t)
	return srv, Option(t, srv, names...)
}

// Option returns an fx option that points the clients called names at srv.
func Option(t testing.TB, srv *miniredis.Miniredis, names ...string) fx.Option {
	t.Helper()
	cfg, err := settings.NewConfig(Values(srv, names...))
	if err != nil {
		t.Fatalf("rediscachetest: %v", err)
	}
	return fx.Supply(fx.Annotated{Group: rediscache.ConfigGroup, Target: cfg})
}

// Values returns the configuration that points the clients called names at
// srv, for settings.NewConfig or rediscache.New without fx. The connection
// string turns off what miniredis does not implement (CLIENT SETINFO).
func Values(srv *miniredis.Miniredis, names ...string) map[string]any {
	conns := make(map[string]any, len(names))
	for _, n := range names {
		conns[n] = srv.Addr() + ",setlib=false"
	}
	return map[string]any{"ConnectionStrings": conns}
}
