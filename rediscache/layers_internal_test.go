package rediscache

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/settings"
)

// noopExtension implements AzureAuthentication and adds nothing.
type noopExtension struct{}

func (noopExtension) Setting() string { return settings.AzureAuthenticationKey }
func (noopExtension) Extend(*settings.Resolved, *slog.Logger) (Addon, error) {
	return Addon{}, nil
}

// The layers install their hooks in one order; in the multiplexed mode
// the deadline moves after the telemetry (see layers.order).
func TestLayerOrder(t *testing.T) {
	tests := []struct {
		name string
		conn string
		deps Deps
		opts []settings.Option
		want []string
	}{
		{
			name: "plain",
			conn: "127.0.0.1:1",
			want: []string{"extensions []", "long reads", "go-redis logs", "deadline", "redirect guard",
				"CLIENT SETNAME tolerance", "telemetry", "primary/replica discovery", "command map"},
		},
		{
			name: "plain, several endpoints, an extension",
			conn: "127.0.0.1:1,127.0.0.1:2",
			deps: Deps{Extensions: []Extension{noopExtension{}}},
			opts: []settings.Option{settings.EnableAzureAuthentication()},
			want: []string{"extensions [extension AzureAuthentication]", "long reads", "go-redis logs", "deadline", "redirect guard",
				"CLIENT SETNAME tolerance", "telemetry", "primary/replica discovery", "command map"},
		},
		{
			name: "auto-pipelining",
			conn: "127.0.0.1:1",
			opts: []settings.Option{settings.EnableAutoPipelining()},
			want: []string{"extensions []", "long reads", "go-redis logs", "redirect guard",
				"CLIENT SETNAME tolerance", "telemetry, multiplexed", "deadline", "primary/replica discovery", "command map"},
		},
		{
			name: "client-side caching",
			conn: "127.0.0.1:1",
			opts: []settings.Option{settings.EnableClientSideCaching()},
			want: []string{"extensions []", "long reads", "go-redis logs", "redirect guard",
				"CLIENT SETNAME tolerance", "telemetry, multiplexed", "deadline", "primary/replica discovery", "command map"},
		},
		{
			// go-redis keeps no client-side cache for a database other
			// than 0: the client is not multiplexed.
			name: "client-side caching not kept",
			conn: "127.0.0.1:1,defaultDatabase=2",
			opts: []settings.Option{settings.EnableClientSideCaching()},
			want: []string{"extensions []", "long reads", "go-redis logs", "deadline", "redirect guard",
				"CLIENT SETNAME tolerance", "telemetry", "primary/replica discovery", "command map"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst := withMap(t, tc.conn, map[string]string{"GET": "MYGET"}, tc.deps, tc.opts...)
			var got []string
			for _, l := range inst.layers {
				got = append(got, l.name())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("layers installed in the order\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// The health check is adapted by the layers: bounded by the command
// timeout (deadline), and, in the multiplexed mode, saying so.
func TestHealthCheckLayers(t *testing.T) {
	addr := testserver.Silent(t)
	tests := []struct {
		name string
		opts []settings.Option
		mode string // "": not multiplexed
	}{
		{name: "plain"},
		{name: "auto-pipelining", opts: []settings.Option{settings.EnableAutoPipelining()}, mode: "auto-pipelining"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inst := withMap(t, addr+",syncTimeout=200,connectRetry=1", nil, Deps{}, tc.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := inst.Checks[0].Run(ctx)
			var te *CommandTimeoutError
			if !errors.As(err, &te) || te.Command != "health check" {
				t.Fatalf("health check of a server that never answers: %v (%T), want a *CommandTimeoutError of the health check", err, err)
			}
			if got := strings.Contains(err.Error(), "(multiplexed: "+tc.mode+")"); got != (tc.mode != "") {
				t.Errorf("health check error %q: says multiplexed %v, want %v", err, got, tc.mode != "")
			}
		})
	}
}
