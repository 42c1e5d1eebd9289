package redact

import (
	"regexp"
	"strings"
	"testing"
)

func TestScrub(t *testing.T) {
	for in, want := range map[string]string{
		"dial: password=hunter2 refused":           "dial: password=*** refused",
		"sentinelPassword = hunter2, ssl=true":     "sentinelPassword = ***, ssl=true",
		"typo password:hunter2;":                   "typo password:***;",
		"redis://user:hunter2@host:6379/0":         "redis://user:***@host:6379/0",
		"rediss://:p@ss@host":                      "rediss://:***@host",
		"no secret here: timeout\"":                "no secret here: timeout\"",
		"already password=*** masked":              "already password=*** masked",
		`{"password":"x"}`:                         `{"password":"x"}`,
		"Error in ACL SETUSER modifier '>hunter2'": "Error in ACL SETUSER modifier '>hunter2'",
	} {
		if got := Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrubberKnownSecrets(t *testing.T) {
	var s Scrubber                  // the zero value works
	s.Add("", "hunter2", "hunter2") // empty and repeated secrets are fine
	if got := s.Scrub("ERR modifier '>hunter2'"); got != "ERR modifier '>***'" {
		t.Errorf("got %q", got)
	}
	if got := (*Scrubber)(nil).Scrub("password=x y"); got != "password=*** y" {
		t.Errorf("nil scrubber: %q", got)
	}
	// A secret that contains another is masked whole.
	s2 := NewScrubber("abc", "xabcx")
	if got := s2.Scrub("[xabcx]"); got != "[***]" {
		t.Errorf("got %q", got)
	}
}

// scrubReference is Scrub as the two patterns, unanchored, find it
// scanning the whole text: what Scrub must still do.
func scrubReference(text string) string {
	uri := regexp.MustCompile(strings.TrimPrefix(uriPassword.String(), "^"))
	pw := regexp.MustCompile("(?i)" + strings.TrimPrefix(passwordPiece.String(), "^(?i)"))
	text = uri.ReplaceAllString(text, "${1}"+Mask+"@")
	return pw.ReplaceAllStringFunc(text, func(m string) string {
		loc := pw.FindStringSubmatchIndex(m)
		if v := m[loc[3]:]; v == "…" || v == "..." {
			return m
		}
		return m[:loc[3]] + Mask
	})
}

// FuzzScrub checks that Scrub, which tries its patterns only where a
// match can start, finds what the patterns find scanning the whole text.
func FuzzScrub(f *testing.F) {
	for _, s := range []string{
		"dial: password=hunter2 refused",
		"sentinelPassword = hunter2, ssl=true",
		"PASSWORD:x;paſſword=y passwordpassword=z",
		"redis://user:hunter2@host:6379/0 and rediss://:p@ss@host",
		"1a://u:p@h 9+x://:q@h a://b://c:d@e ://x:y@z",
		"pass word=x password=… password=...",
		"Ünïcode://u:p@h pässword=x",
		strings.Repeat("n", 5000) + "password=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Scrub(s), scrubReference(s); got != want {
			t.Fatalf("Scrub(%q) = %q; the patterns give %q", s, got, want)
		}
	})
}
