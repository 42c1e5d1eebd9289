package depcheck

import (
	"strings"
	"testing"
)

// TestHealthcheckKnowsNoConfig: the generic health package links neither
// package settings nor what settings reads configuration with (koanf,
// hujson); it gets its secret scrubber from internal/redact.
func TestHealthcheckKnowsNoConfig(t *testing.T) {
	for _, d := range goListDeps(t, "healthcheck") {
		for _, bad := range []string{"github.com/aspirego/redis/settings", "github.com/knadh/koanf", "github.com/tailscale/hujson"} {
			if d == bad || strings.HasPrefix(d, bad+"/") {
				t.Errorf("healthcheck depends on %s: it must not know about configuration", d)
			}
		}
	}
}
