package rediscache_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// TestWarnsWhenTLSVerificationIsOff: a client that does not verify the
// server's certificate says so at WARN, once, however it was configured.
func TestWarnsWhenTLSVerificationIsOff(t *testing.T) {
	const warning = "does not verify the server's TLS certificate"
	insecure := settings.ConfigureOptions(func(o *redis.UniversalOptions) {
		o.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	})
	for _, tt := range []struct {
		name string
		conn string
		opts []settings.Option
		want int // WARN lines
	}{
		{"rediss URI skip_verify=true", "rediss://127.0.0.1:6380?skip_verify=true", nil, 1},
		{"option func", "127.0.0.1:6380,ssl=true", []settings.Option{insecure}, 1},
		{"verified", "127.0.0.1:6380,ssl=true", nil, 0},
		{"no TLS", "127.0.0.1:6379", nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			logger, buf := newLogger()
			inst, err := rediscache.New("cache", rediscache.Deps{
				Config: config(t, map[string]any{"ConnectionStrings:cache": tt.conn}),
				Logger: logger,
			}, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = inst.Close() })
			got := 0
			for line := range strings.Lines(buf.String()) {
				if strings.Contains(line, warning) {
					got++
					if !strings.Contains(line, `"level":"WARN"`) || !strings.Contains(line, `"redis.client":"cache"`) {
						t.Errorf("the warning is not a WARN naming the client: %s", line)
					}
				}
			}
			if got != tt.want {
				t.Errorf("%d warnings, want %d; log:\n%s", got, tt.want, buf)
			}
		})
	}
}
