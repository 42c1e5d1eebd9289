package rediscache_test

import (
	"context"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/aspirego/redis/rediscache"
)

// TestPasswordWhiteSpace: a password with white space around it reaches
// the server as written from a ConfigurationOptions section (as .NET's
// binder sets it) and trimmed from a connection string (as
// StackExchange.Redis trims every piece).
func TestPasswordWhiteSpace(t *testing.T) {
	const written = "  pa ss\t"
	tests := []struct {
		name     string
		values   func(addr string) map[string]any
		password string // what the server requires
		how      string
	}{
		{"ConfigurationOptions:Password verbatim", func(addr string) map[string]any {
			return map[string]any{
				"ConnectionStrings:cache": addr + ",setlib=false",
				"Aspire:StackExchange:Redis:cache:ConfigurationOptions:Password": written,
			}
		}, written, "as written"},
		{"connection string trimmed", func(addr string) map[string]any {
			return map[string]any{"ConnectionStrings:cache": addr + ",setlib=false,password=" + written}
		}, "pa ss", "trimmed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := miniredis.RunT(t)
			srv.RequireAuth(tt.password)
			inst, err := rediscache.New("cache", rediscache.Deps{Config: config(t, tt.values(srv.Addr()))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = inst.Close() })
			if err := inst.Client.Ping(context.Background()).Err(); err != nil {
				t.Errorf("PING: %v (want the password to reach the server %s)", err, tt.how)
			}
		})
	}
}
