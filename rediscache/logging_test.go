package rediscache_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// goRedisLines returns the go-redis lines in a JSON log.
func goRedisLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["logger"] == "go-redis" {
			lines = append(lines, m)
		}
	}
	return lines
}

// Against a dead port every GET retries its dial several times, and
// go-redis logs each failed attempt; the lines must name the client and be
// few. A cluster dials through its nodes' clients.
func TestGoRedisLinesNameTheClientAndAreRateLimited(t *testing.T) {
	dead := func() string {
		srv := miniredis.RunT(t)
		addr := srv.Addr()
		srv.Close()
		return addr
	}
	for _, tc := range []struct{ name, conn string }{
		{"standalone", dead()},
		{"cluster", dead() + "," + dead()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logger, logs := newLogger()
			cfg := config(t, map[string]any{"ConnectionStrings:dead": tc.conn + ",password=hunter22,connectTimeout=200"})
			inst, err := rediscache.New("dead", rediscache.Deps{Config: cfg, Logger: logger},
				settings.ConfigureOptions(func(o *redis.UniversalOptions) {
					// Fewer failed dials than the pool size, or go-redis
					// starts a background re-dialler that outlives Close.
					o.PoolSize = 100
					// One logged dial failure per command, at once: six
					// lines without the rate limit.
					o.MaxRetries, o.DialerRetries = -1, 1
				}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = inst.Close() })
			ctx := context.Background()
			for range 3 {
				if err := inst.Client.Get(ctx, "k").Err(); err == nil {
					t.Fatal("GET succeeded against a dead port")
				}
				if err := inst.Checks[0].Run(ctx); err == nil {
					t.Fatal("health check passed against a dead port")
				}
			}
			lines := goRedisLines(t, logs.String())
			if len(lines) == 0 || len(lines) > 3 {
				t.Fatalf("%d go-redis lines for 3 GETs and 3 health checks; want 1 to 3 (rate-limited):\n%s", len(lines), logs)
			}
			for _, l := range lines {
				if l["redis.client"] != "dead" || l["level"] != "WARN" {
					t.Errorf("go-redis line %v: want level WARN and redis.client=dead", l)
				}
			}
			if strings.Contains(logs.String(), "hunter22") {
				t.Errorf("password in logs:\n%s", logs)
			}
		})
	}
}
