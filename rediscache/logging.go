package rediscache

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/settings"
)

// goRedisLogs routes go-redis's process-wide log lines to slog. go-redis
// has one logger for the whole process, so its lines go to the logger of
// the client built last, and every password of every client built so far is
// scrubbed from them.
var goRedisLogs = &logAdapter{}

type logAdapter struct {
	mu        sync.RWMutex
	logger    *slog.Logger
	secrets   []string
	installed bool
}

func routeGoRedisLogs(logger *slog.Logger, opts *redis.UniversalOptions) {
	goRedisLogs.mu.Lock()
	defer goRedisLogs.mu.Unlock()
	goRedisLogs.logger = logger
	for _, s := range []string{opts.Password, opts.SentinelPassword} {
		if s != "" && !slices.Contains(goRedisLogs.secrets, s) {
			goRedisLogs.secrets = append(goRedisLogs.secrets, s)
		}
	}
	if !goRedisLogs.installed {
		goRedisLogs.installed = true
		redis.SetLogger(goRedisLogs)
	}
}

// Printf implements go-redis's logging interface.
func (a *logAdapter) Printf(ctx context.Context, format string, v ...any) {
	a.mu.RLock()
	logger, secrets := a.logger, a.secrets
	a.mu.RUnlock()
	if logger == nil {
		return
	}
	msg := scrub(fmt.Sprintf(format, v...), secrets)
	level := slog.LevelWarn
	if strings.Contains(format, "rejected by hook, returning to pool") {
		// Routine with streaming credentials (azureauth): every idle
		// connection is set aside once per token refresh to re-authenticate.
		level = slog.LevelDebug
	}
	logger.LogAttrs(ctx, level, msg, slog.String("logger", "go-redis"))
}

// scrub masks the secrets in msg with the module's one scrubber.
func scrub(msg string, secrets []string) string {
	return settings.NewScrubber(secrets...).Scrub(msg)
}
