package rediscache

import (
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// warnInsecureTLS logs, at WARN and once per client (New runs once per
// client), that the client does not verify the server's TLS certificate,
// however that was configured: skip_verify=true in a rediss:// URI, or an
// option func that sets TLSConfig.InsecureSkipVerify. redis-doctor shows
// the same warning.
func warnInsecureTLS(logger *slog.Logger, o *redis.UniversalOptions) {
	if o.TLSConfig == nil || !o.TLSConfig.InsecureSkipVerify {
		return
	}
	logger.Warn("redis client does not verify the server's TLS certificate (skip_verify=true or TLSConfig.InsecureSkipVerify): anything on the network path can pose as the server and read the password and data")
}
