package healthcheck_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/redact"
	"github.com/aspirego/redis/internal/secrettest"
)

// TestCheckData: a check's Data is its entry's "data" in the JSON report
// with details, scrubbed, and changes no status.
func TestCheckData(t *testing.T) {
	c := mustNew(t, healthcheck.Check{
		Name: "redis_cache",
		Run:  healthy,
		Data: map[string]string{"tls": "TLS certificate verification is off", "hint": "password=hunter2"},
	})
	if r := result(t, c.Run(context.Background()), "redis_cache"); r.Status != healthcheck.Healthy || r.Data["tls"] == "" {
		t.Errorf("result = %+v, want Healthy with the data", r)
	}
	for _, tt := range []struct {
		name string
		opts []healthcheck.HandlerOption
		want map[string]string
	}{
		{"without details", nil, nil},
		{"with details", []healthcheck.HandlerOption{healthcheck.WithDetails()},
			map[string]string{"tls": "TLS certificate verification is off", "hint": "password=***"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, c.HealthHandler(tt.opts...), "GET", "/health", "Accept", "application/json")
			var rep jsonReport
			if err := json.NewDecoder(rec.Body).Decode(&rep); err != nil {
				t.Fatal(err)
			}
			e := rep.Entries["redis_cache"]
			if rec.Code != 200 || rep.Status != healthcheck.Healthy || e.Status != healthcheck.Healthy || fmt.Sprint(e.Data) != fmt.Sprint(tt.want) {
				t.Errorf("got %d %+v, want Healthy with data %v", rec.Code, rep, tt.want)
			}
		})
	}
}

// TestCheckScrubber: a check's Redact masks its own passwords whole in
// the report, where pattern scrubbing stops at the first comma or
// semicolon; tested with the shared corpus. Without it, some passwords of
// the corpus show.
func TestCheckScrubber(t *testing.T) {
	report := func(t *testing.T, pw string, withScrubber bool) string {
		t.Helper()
		ch := healthcheck.Check{
			Name: "redis_cache",
			Run: func(context.Context) error {
				return fmt.Errorf("connect with localhost,password=%s: WRONGPASS; user info redis://u:%s@h; quoted %q", pw, pw, pw)
			},
		}
		if withScrubber {
			ch.Redact = redact.NewScrubber(pw).Scrub
		}
		rec := serve(t, mustNew(t, ch).HealthHandler(healthcheck.WithDetails()), "GET", "/health", "Accept", "application/json")
		return rec.Body.String()
	}
	leaks := 0
	for _, pw := range secrettest.Passwords {
		secrettest.NoSecret(t, "health report", report(t, pw, true), report(t, secrettest.Neutral, true), pw, 3)
		if out := report(t, pw, false); containsAny(out, secrettest.Fragments(pw, 3)) {
			leaks++
		}
	}
	if leaks == 0 {
		t.Error("pattern scrubbing alone hid every password of the corpus: the test does not show what Check.Redact adds")
	}
	if s := fmt.Sprintf("%v %+v", healthcheck.Check{Name: "x", Redact: redact.NewScrubber("hunter2").Scrub}, healthcheck.Check{Redact: redact.NewScrubber("hunter2").Scrub}); containsAny(s, []string{"hunter2"}) {
		t.Errorf("a Check printed with %%v shows its secret: %s", s)
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
