package healthcheck

import (
	"testing"
)

func TestScrub(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dial tcp 127.0.0.1:6379: connect: connection refused", "dial tcp 127.0.0.1:6379: connect: connection refused"},
		{"localhost:6379,password=abc=def,ssl=true", "localhost:6379,password=***,ssl=true"},
		{"serviceName=m,sentinelPassword=xyz;next", "serviceName=m,sentinelPassword=***;next"},
		{"Password = hunter2 trailing", "Password = *** trailing"},
		{"redis://user:pa55@h:1/0", "redis://user:***@h:1/0"},
		{"rediss://:pa55@h:1", "rediss://:***@h:1"},
		{"unix://u:p@/tmp/redis.sock", "unix://u:***@/tmp/redis.sock"},
		{"redis://h:6379/0 ok", "redis://h:6379/0 ok"},
		{"WRONGPASS invalid username-password pair or user is disabled.", "WRONGPASS invalid username-password pair or user is disabled."},
	}
	for _, tt := range tests {
		if got := scrub(tt.in); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
