package settings

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aspirego/redis/internal/connstr"
	"github.com/aspirego/redis/internal/redact"
	"github.com/aspirego/redis/internal/secrettest"
)

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
		sc := redact.NewScrubber(connstr.Secrets(cs)...)
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
}

// printed is everything a connection (or its error) shows through fmt and
// slog's JSON handler.
func printed(c *Connection, err error) string {
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return fmt.Sprintf("error: %v | key=%q piece=%q index=%d", err, pe.Key, pe.Piece, pe.Index)
		}
		return "error: " + err.Error()
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v | %#v | %q | %v | %v | %v | ", c, c, c.Endpoints, c.Ignored, c.Warnings, c.CommandMap)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("connection", "c", c)
	return buf.String()
}
