package settings

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aspirego/redis/internal/secrettest"
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

// TestSecretCorpus runs the shared corpus of tricky passwords through every
// output path of this package: Redact, Secrets + Scrubber, errors, and the
// fmt and slog forms of a Connection and a Resolved.
func TestSecretCorpus(t *testing.T) {
	templates := []string{
		"cache:6379,password=%s",
		"cache:6379,password=%s,ssl=false",
		"cache:6379,sentinelPassword=%s,serviceName=m",
		"cache:6379,password=%s,name=app,abortConnect=false",
		"cache:6379,tunnel=http://u:%s@p:1",
		"redis://u:%s@cache:6379",
	}
	// outputs returns every output path's text for the connection string.
	outputs := func(cs string) map[string]string {
		out := map[string]string{"Redact": Redact(cs)}
		sc := NewScrubber(Secrets(cs)...)
		out["Scrubber"] = sc.Scrub("failed with " + cs + " and " + fmt.Sprintf("%q", cs))
		c, err := ParseConnectionString(cs)
		p := printed(c, err)
		if err == nil {
			p += fmt.Sprint(c.Warnings)
			var buf bytes.Buffer
			r := Resolved{Name: "cache", Settings: Settings{ConnectionString: cs}, Connection: c}
			slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "r", r)
			p += fmt.Sprintf("%v %+v %#v %s", r, r, r, buf.String())
		}
		out["parse"] = p
		return out
	}
	for _, pw := range secrettest.Passwords {
		t.Run(fmt.Sprintf("%q", pw), func(t *testing.T) {
			for _, tmpl := range templates {
				got, base := outputs(fmt.Sprintf(tmpl, pw)), outputs(fmt.Sprintf(tmpl, secrettest.Neutral))
				for what, out := range got {
					check := pw
					if what == "parse" && !strings.Contains(tmpl, "://") {
						// The parser takes the password up to its first
						// comma; what follows is read as .NET reads it
						// (name=tail is a client name), and only Redact
						// must hide it.
						check = strings.TrimSpace(strings.Split(pw, ",")[0])
					}
					secrettest.NoSecret(t, what+" of "+tmpl, out, base[what], check, 3)
				}
			}
		})
	}
	_ = errors.Is
}
