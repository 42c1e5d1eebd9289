package rediscache

import (
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/connstr"
	"github.com/aspirego/redis/internal/redact"
	"github.com/aspirego/redis/settings"
)

// warnInsecureTLS logs, at WARN and once per client (New runs once per
// client), that the client does not verify the server's TLS certificate,
// however that was configured: skip_verify=true in a rediss:// URI, or an
// option func that sets TLSConfig.InsecureSkipVerify. redis-doctor shows
// the same warning.
func warnInsecureTLS(logger *slog.Logger, o *redis.UniversalOptions) {
	if !insecureTLS(o) {
		return
	}
	logger.Warn("redis client does not verify the server's TLS certificate (skip_verify=true or TLSConfig.InsecureSkipVerify): anything on the network path can pose as the server and read the password and data")
}

// insecureTLS reports whether the client skips TLS certificate
// verification.
func insecureTLS(o *redis.UniversalOptions) bool {
	return o.TLSConfig != nil && o.TLSConfig.InsecureSkipVerify
}

// TLSVerificationOff is the health check data (healthcheck.Check.Data,
// under the key "tls") of a client that does not verify the server's TLS
// certificate. Its status stays Healthy.
const TLSVerificationOff = "TLS certificate verification is off"

// insecureTLSData is the health check's Data: the TLS warning, or nil.
func insecureTLSData(o *redis.UniversalOptions) map[string]string {
	if !insecureTLS(o) {
		return nil
	}
	return map[string]string{"tls": TLSVerificationOff}
}

// checkSecrets is the health check's Redact: it knows the client's
// passwords and what may be the tail of a password with a comma in the
// connection string (connstr.Secrets), so that a report masks them whole.
func checkSecrets(res *settings.Resolved, o *redis.UniversalOptions) *redact.Scrubber {
	sc := redact.NewScrubber(o.Password, o.SentinelPassword)
	sc.Add(connstr.Secrets(res.Settings.ConnectionString)...)
	return sc
}
