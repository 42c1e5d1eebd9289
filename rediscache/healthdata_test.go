package rediscache_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/healthjson"
	"github.com/aspirego/redis/internal/secrettest"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
)

// healthJSON serves /health with details for checks and returns the
// report's body and the entry of the check "redis_cache".
func healthJSON(t *testing.T, checks []healthcheck.Check) (string, healthjson.Entry) {
	t.Helper()
	c, err := healthcheck.New(checks...)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/health", nil)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	c.HealthHandler(healthcheck.WithDetails()).ServeHTTP(rec, req)
	var rep struct {
		Entries map[string]healthjson.Entry `json:"entries"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	e, ok := rep.Entries["redis_cache"]
	if !ok {
		t.Fatalf("no entry redis_cache: %s", rec.Body)
	}
	return rec.Body.String(), e
}

// TestHealthShowsTLSVerificationOff: /health's details say that a client
// does not verify the server's certificate, and the check stays Healthy.
func TestHealthShowsTLSVerificationOff(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{TLS: true})
	inst, err := connect(t, "rediss://"+srv.Addr+"?skip_verify=true")
	if err != nil {
		t.Fatal(err)
	}
	body, e := healthJSON(t, inst.Checks)
	if e.Status != healthcheck.Healthy.String() || e.Data["tls"] != rediscache.TLSVerificationOff {
		t.Errorf("entry = %+v, want Healthy with data tls=%q; report:\n%s", e, rediscache.TLSVerificationOff, body)
	}

	verified, err := rediscache.New("cache", rediscache.Deps{Config: config(t, map[string]any{"ConnectionStrings:cache": srv.Addr + ",ssl=true"})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = verified.Close() })
	if d := verified.Checks[0].Data; d != nil {
		t.Errorf("a client that verifies certificates has health data %v", d)
	}
}

// TestHealthReportScrubsClientSecrets: the health check carries the
// client's secrets, so a report masks a password whole even where it has a
// comma and pattern scrubbing would stop early (secrettest's corpus).
func TestHealthReportScrubsClientSecrets(t *testing.T) {
	report := func(t *testing.T, pw string) string {
		conn := "127.0.0.1:1,password=" + pw
		inst, err := rediscache.New("cache", rediscache.Deps{Config: config(t, map[string]any{"ConnectionStrings:cache": conn})})
		if err != nil {
			t.Skipf("%q does not make a connection string: %v", pw, err)
		}
		t.Cleanup(func() { _ = inst.Close() })
		check := inst.Checks[0]
		// An error text that carries the password as a server or a
		// library might: the connection string, a URI, a quoted echo.
		check.Run = func(context.Context) error {
			return fmt.Errorf("connect %s: ERR invalid password %q (redis://:%s@127.0.0.1:1)", conn, pw, pw)
		}
		body, e := healthJSON(t, []healthcheck.Check{check})
		if e.Status != healthcheck.Unhealthy.String() {
			t.Fatalf("entry = %+v", e)
		}
		return body
	}
	for _, pw := range secrettest.Passwords {
		t.Run(pw, func(t *testing.T) {
			secrettest.NoSecret(t, "/health report", report(t, pw), report(t, secrettest.Neutral), pw, 3)
		})
	}
}
