package rediscache

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/aspirego/redis/internal/secrettest"
)

// TestLogScrubCorpus feeds the shared corpus of tricky passwords to the
// go-redis log bridge's scrubbing: a log line may carry the password in
// any spelling, and it must come out masked.
func TestLogScrubCorpus(t *testing.T) {
	for _, pw := range secrettest.Passwords {
		line := func(pw string) string {
			return scrub(fmt.Sprintf("redis: auth %s failed; %q; redis://:%s@h; %s", pw, pw, url.PathEscape(pw), url.QueryEscape(pw)), []string{pw})
		}
		secrettest.NoSecret(t, "go-redis log line", line(pw), line(secrettest.Neutral), pw, 3)
	}
}
