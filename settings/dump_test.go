package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/aspirego/redis/internal/redact"
	"github.com/aspirego/redis/internal/secrettest"
)

// dumps is every way a developer prints a value: the fmt verbs, String
// and GoString when there are such methods, encoding/json, and slog's
// JSON and text handlers.
func dumps(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%20v", "%x"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	if s, ok := v.(fmt.Stringer); ok {
		out["String"] = s.String()
	}
	if g, ok := v.(fmt.GoStringer); ok {
		out["GoString"] = g.GoString()
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%T): %v", v, err)
	}
	if !json.Valid(j) {
		t.Fatalf("json.Marshal(%T) gives invalid JSON: %s", v, j)
	}
	out["json"] = string(j)
	// Inside a struct and a slice, fmt and json reach the value through
	// reflection.
	out["%+v in a struct"] = fmt.Sprintf("%+v", struct{ V any }{v})
	out["%v in a slice"] = fmt.Sprintf("%v", []any{v})
	j, _ = json.Marshal(struct{ V any }{v})
	out["json in a struct"] = string(j)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("dump", "v", v)
	out["slog JSON"] = buf.String()
	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("dump", "v", v)
	out["slog text"] = buf.String()
	return out
}

// secretHolders returns every type of this package that holds pw, in the
// forms a program has them (values and pointers).
func secretHolders(t *testing.T, pw string) map[string]any {
	t.Helper()
	conn, err := ParseConnectionString("localhost:6380,user=app,password=placeholder,ssl=true")
	if err != nil {
		t.Fatal(err)
	}
	conn.Options.Password = pw
	conn.Options.SentinelPassword = pw
	s := Settings{ConnectionString: "localhost,password=" + pw, HealthCheckTimeout: 5e9}
	r := Resolved{Name: "cache", Settings: s, Connection: conn, Source: "ConnectionStrings:cache"}

	file, err := json.Marshal(map[string]any{
		"ConnectionStrings": map[string]any{"cache": "localhost,password=" + pw},
		"Aspire": map[string]any{"StackExchange": map[string]any{"Redis": map[string]any{
			"ConfigurationOptions": map[string]any{"Password": pw, "SentinelPassword": pw},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(LoadOptions{Dir: writeFiles(t, map[string]string{"appsettings.json": string(file)}), Environ: []string{
		"CACHE_PASSWORD=" + pw,
		"REDIS_PASSWORD=" + pw,
		"CACHE_URI=redis://app:" + url.PathEscape(pw) + "@localhost:6379",
		"ConnectionStrings__other=localhost,password=" + pw,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"Settings": s, "*Settings": &s,
		"*Connection": conn,
		"Resolved":    r, "*Resolved": &r,
		"*Config":   cfg,
		"*Scrubber": redact.NewScrubber(pw, "localhost,password="+pw),
	}
}

// TestDumpsRedact: every type that can hold a password shows none of it,
// whatever prints it (issue: json.Marshal of a Settings printed the raw
// connection string, %v of a loaded Config printed CACHE_PASSWORD and
// ConfigurationOptions:Password). The corpus is secrettest's.
func TestDumpsRedact(t *testing.T) {
	baseline := map[string]map[string]string{}
	for name, v := range secretHolders(t, secrettest.Neutral) {
		baseline[name] = dumps(t, v)
		for how, out := range baseline[name] {
			// A Scrubber shows only a count; a Config has no JSON form
			// ({}); a *Resolved inside a struct or a slice is an address,
			// as fmt prints pointers there; the others show "***".
			opaque := name == "*Scrubber" || name == "*Config" && strings.Contains(strings.ToLower(how), "json") ||
				name == "*Resolved" && (how == "%+v in a struct" || how == "%v in a slice")
			if !strings.Contains(out, "***") && how != "%x" && !opaque {
				t.Errorf("%s %s shows no redacted value: %s", name, how, out)
			}
		}
	}
	for _, pw := range secrettest.Passwords {
		for name, v := range secretHolders(t, pw) {
			for how, out := range dumps(t, v) {
				secrettest.NoSecret(t, name+" "+how, out, baseline[name][how], pw, 3)
			}
		}
	}
}

// TestConfigDump: the redacted dump of a configuration still shows what
// is not secret.
func TestConfigDump(t *testing.T) {
	cfg, err := NewConfig(map[string]any{
		"ConnectionStrings": map[string]any{"cache": "h:6379,password=hunter2,ssl=true"},
		"CACHE_PASSWORD":    "hunter2",
		"CACHE_HOST":        "h",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{Environment: Files:[] Values:{CACHE_HOST="h" CACHE_PASSWORD="***" ConnectionStrings:cache="h:6379,password=***,ssl=true"}}`
	if got := fmt.Sprint(cfg); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
