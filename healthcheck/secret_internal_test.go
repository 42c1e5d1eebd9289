package healthcheck

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aspirego/redis/internal/secrettest"
)

// TestScrubCorpus feeds the shared corpus of tricky passwords to the scrub
// step of health reports, in the forms an error text carries them: a
// password= piece (masked up to the first separator, the most a pattern
// can know) and the user information of a URI, percent-encoded as
// url.URL.String writes it.
func TestScrubCorpus(t *testing.T) {
	for _, pw := range secrettest.Passwords {
		text := func(pw string) string { return scrub("config password=" + pw + " rejected") }
		uri := func(pw string) string {
			u := url.URL{Scheme: "redis", User: url.UserPassword("u", pw), Host: "h:6379"}
			return scrub("dial " + u.String() + ": refused")
		}
		first := strings.TrimSpace(strings.FieldsFunc(pw+" ", func(r rune) bool { return strings.ContainsRune(",;& \t\n\"'}]*", r) })[0])
		if first == "" {
			continue
		}
		secrettest.NoSecret(t, "scrub", text(pw), text(secrettest.Neutral), first, 3)
		secrettest.NoSecret(t, "scrub", uri(pw), uri(secrettest.Neutral), pw, 3)
	}
}
