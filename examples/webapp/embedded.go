package main

import (
	"errors"
	"log/slog"
	"sync"

	"github.com/alicebob/miniredis/v2"
	"go.uber.org/fx"

	"github.com/aspirego/redis/settings"
)

// embedded holds the embedded servers that embeddedRedis starts. They
// stop with the application; run also closes them when the application
// fails before it starts, when fx runs no stop hook.
type embedded struct {
	mu      sync.Mutex
	servers []*miniredis.Miniredis
}

func (e *embedded) add(s *miniredis.Miniredis) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.servers = append(e.servers, s)
}

// Close stops every embedded server; it may be called more than once.
func (e *embedded) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.servers {
		s.Close()
	}
}

// embeddedRedis returns an fx constructor of a configuration overlay (for
// the rediscache.ConfigGroup value group) that points every connection
// among names that is not configured at all at an embedded in-memory Redis
// (miniredis) of its own, so that the service starts on a machine with
// nothing set up. Each embedded server stops with the application.
//
// A connection that is configured, even wrongly, is left alone: its client
// then reports the problem when it is built.
func embeddedRedis(names ...string) func(fx.Lifecycle, *settings.Config, *slog.Logger, *embedded) (*settings.Config, error) {
	return func(lc fx.Lifecycle, cfg *settings.Config, logger *slog.Logger, e *embedded) (*settings.Config, error) {
		values := map[string]any{}
		for _, name := range names {
			if _, err := settings.Resolve(cfg, name); !errors.Is(err, settings.ErrNoEndpoints) {
				continue
			}
			srv := miniredis.NewMiniRedis()
			if err := srv.Start(); err != nil {
				return nil, err
			}
			e.add(srv)
			lc.Append(fx.StopHook(srv.Close))
			// miniredis does not know CLIENT SETINFO: setlib=false skips it.
			values[settings.ConnectionStringsKey+":"+name] = srv.Addr() + ",setlib=false"
			logger.Warn("no connection configured: using an embedded in-memory Redis (miniredis); its data is lost at exit",
				slog.String("connection", name),
				slog.String("address", srv.Addr()),
				slog.String("configure", settings.ConnectionStringsKey+"__"+name+"=host:port[,password=...]"))
		}
		return settings.NewConfig(values)
	}
}
