package settings

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aspirego/redis/internal/connstr"
)

// parseCount reads a whole number that is zero (the default) or more.
func parseCount(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a whole number of zero or more", v)
	}
	return n, nil
}

// parseDelay reads a duration of zero or more, written like
// HealthCheckTimeout; a bare "0" is zero.
func parseDelay(v string) (time.Duration, error) {
	t := strings.TrimSpace(v)
	if strings.Trim(t, "0") == "" && t != "" {
		return 0, nil
	}
	if d, err := time.ParseDuration(t); err == nil && d == 0 {
		return 0, nil
	}
	if ts, err := connstr.ParseTimeSpan(t); err == nil && ts == 0 {
		return 0, nil
	}
	return parseTimeout(v)
}

// validateMultiplexing reports settings set in code that cannot be used.
func validateMultiplexing(name string, s *Settings) error {
	for _, c := range []struct {
		key string
		bad bool
	}{
		{keyAutoPipeliningBatchSize, s.AutoPipeliningBatchSize < 0},
		{keyAutoPipeliningConcurrency, s.AutoPipeliningConcurrency < 0},
		{keyAutoPipeliningFlushDelay, s.AutoPipeliningFlushDelay < 0},
		{keyClientSideCacheSize, s.ClientSideCacheSize < 0},
		{keyClientSideCacheTTL, s.ClientSideCacheTTL < 0},
	} {
		if c.bad {
			return fmt.Errorf("settings: client %q: %s must not be negative (set in code)", name, c.key)
		}
	}
	return nil
}
