package healthcheck_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/aspirego/redis/healthcheck"
)

func serve(tb testing.TB, h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerStatusAndBody(t *testing.T) {
	up := mustNew(t, healthcheck.Check{Name: "redis_cache", Run: healthy})
	down := mustNew(t,
		healthcheck.Check{Name: "redis_cache", Run: failing("PING: connection refused")},
		healthcheck.Check{Name: "worker", Tags: []string{healthcheck.TagLive}, Run: healthy},
	)
	deadProcess := mustNew(t, healthcheck.Check{Name: "loop", Tags: []string{healthcheck.TagLive}, Run: failing("stuck")})

	tests := []struct {
		name    string
		checker *healthcheck.Checker
		method  string
		path    string
		code    int
		body    string
	}{
		{"health up", up, "GET", "/health", 200, "Healthy"},
		{"alive up", up, "GET", "/alive", 200, "Healthy"},
		{"health with redis down", down, "GET", "/health", 503, "Unhealthy"},
		{"alive ignores redis", down, "GET", "/alive", 200, "Healthy"},
		{"alive with a failing live check", deadProcess, "GET", "/alive", 503, "Unhealthy"},
		{"head healthy", up, "HEAD", "/health", 200, ""},
		{"head unhealthy", down, "HEAD", "/health", 503, ""},
		{"post", up, "POST", "/health", 405, "Method Not Allowed\n"},
		{"delete alive", up, "DELETE", "/alive", 405, "Method Not Allowed\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, tt.checker.Both(), tt.method, tt.path)
			if rec.Code != tt.code || rec.Body.String() != tt.body {
				t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, rec.Code, rec.Body, tt.code, tt.body)
			}
			h := rec.Header()
			switch tt.code {
			case 200, 503:
				want := map[string]string{
					"Content-Type":  "text/plain; charset=utf-8",
					"Cache-Control": "no-store, no-cache",
					"Pragma":        "no-cache",
					"Expires":       "Thu, 01 Jan 1970 00:00:00 GMT",
				}
				if tt.method == "HEAD" {
					want["Content-Length"] = map[int]string{200: "7", 503: "9"}[tt.code]
				}
				for k, v := range want {
					if got := h.Get(k); got != v {
						t.Errorf("header %s = %q, want %q", k, got, v)
					}
				}
			case 405:
				if got := h.Get("Allow"); got != "GET, HEAD" {
					t.Errorf("Allow = %q", got)
				}
			}
		})
	}
}

func TestSeparateHandlers(t *testing.T) {
	c := mustNew(t, healthcheck.Check{Name: "redis_cache", Run: failing("down")})
	mux := http.NewServeMux()
	mux.Handle("/readyz", c.HealthHandler())
	mux.Handle("/livez", c.AliveHandler())
	for path, code := range map[string]int{
		"/readyz": 503, "/livez": 200, "/health": 404,
	} {
		if rec := serve(t, mux, "GET", path); rec.Code != code {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, code)
		}
	}
}

// jsonReport mirrors the documented JSON shape.
type jsonReport struct {
	Status        healthcheck.Status `json:"status"`
	TotalDuration string             `json:"totalDuration"`
	Entries       map[string]struct {
		Status      healthcheck.Status `json:"status"`
		Duration    string             `json:"duration"`
		Tags        []string           `json:"tags"`
		Description *string            `json:"description"`
		Data        map[string]string  `json:"data"`
	} `json:"entries"`
}

var timeSpanRE = regexp.MustCompile(`^(\d+\.)?\d\d:\d\d:\d\d(\.\d{7})?$`)

func TestHandlerJSON(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	c := mustNew(t,
		healthcheck.Check{Name: "redis_cache", Run: failing("PING: dial tcp 127.0.0.1:6390: connect: connection refused")},
		healthcheck.Check{Name: "leaky", Run: failing("connect redis://app:" + secret + "@127.0.0.1:6390/0 failed; config 127.0.0.1:6390,password=" + secret + ",ssl=false")},
		healthcheck.Check{Name: "worker", Tags: []string{healthcheck.TagLive}, Run: healthy},
		healthcheck.Check{Name: "panics", Run: panicking},
	)

	decode := func(t *testing.T, rec *httptest.ResponseRecorder) jsonReport {
		t.Helper()
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type = %q", ct)
		}
		if rec.Header().Get("Cache-Control") != "no-store, no-cache" {
			t.Errorf("JSON response may be cached: %q", rec.Header().Get("Cache-Control"))
		}
		var rep jsonReport
		dec := json.NewDecoder(rec.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rep); err != nil {
			t.Fatalf("decode: %v", err)
		}
		return rep
	}

	t.Run("shape without details", func(t *testing.T) {
		rec := serve(t, c.Both(), "GET", "/health", "Accept", "application/json")
		raw := rec.Body.String()
		if rec.Code != 503 {
			t.Errorf("code %d", rec.Code)
		}
		for _, s := range []string{secret, "description", "refused", "panicked", "hunter2"} {
			if strings.Contains(raw, s) {
				t.Errorf("body without details contains %q: %s", s, raw)
			}
		}
		if !strings.Contains(raw, `"tags":[]`) {
			t.Errorf("an untagged check must have \"tags\":[] (not null): %s", raw)
		}
		rep := decode(t, rec)
		if rep.Status != healthcheck.Unhealthy || !timeSpanRE.MatchString(rep.TotalDuration) {
			t.Errorf("status %v totalDuration %q", rep.Status, rep.TotalDuration)
		}
		want := map[string]healthcheck.Status{"self": healthcheck.Healthy, "redis_cache": healthcheck.Unhealthy,
			"leaky": healthcheck.Unhealthy, "worker": healthcheck.Healthy, "panics": healthcheck.Unhealthy}
		if len(rep.Entries) != len(want) {
			t.Errorf("entries %v, want %v", rep.Entries, want)
		}
		for name, st := range want {
			e, ok := rep.Entries[name]
			if !ok || e.Status != st || !timeSpanRE.MatchString(e.Duration) || e.Description != nil {
				t.Errorf("entry %q = %+v (present %v), want status %v", name, e, ok, st)
			}
		}
		if tags := rep.Entries["worker"].Tags; len(tags) != 1 || tags[0] != "live" {
			t.Errorf("worker tags %v", tags)
		}
	})

	t.Run("alive", func(t *testing.T) {
		rep := decode(t, serve(t, c.Both(), "GET", "/alive", "Accept", "application/json"))
		if rep.Status != healthcheck.Healthy || len(rep.Entries) != 2 {
			t.Errorf("alive = %+v, want self and worker, Healthy", rep)
		}
	})

	t.Run("details are redacted", func(t *testing.T) {
		h := c.HealthHandler(healthcheck.WithDetails(), healthcheck.WithRedact(func(s string) string {
			return strings.ReplaceAll(s, "127.0.0.1", "[host]")
		}))
		rec := serve(t, h, "GET", "/", "Accept", "application/json")
		raw := rec.Body.String()
		if strings.Contains(raw, secret) || strings.Contains(raw, "hunter2") {
			t.Fatalf("a secret leaked into the JSON: %s", raw)
		}
		rep := decode(t, rec)
		desc := func(name string) string {
			if d := rep.Entries[name].Description; d != nil {
				return *d
			}
			return "<none>"
		}
		for name, want := range map[string]string{
			"redis_cache": "PING: dial tcp [host]:6390: connect: connection refused",
			"leaky":       "connect redis://app:***@[host]:6390/0 failed; config [host]:6390,password=***,ssl=false",
			"panics":      "health check panicked",
			"self":        "<none>",
		} {
			if got := desc(name); got != want {
				t.Errorf("%s description = %q, want %q", name, got, want)
			}
		}
	})
}

func TestAcceptNegotiation(t *testing.T) {
	c := mustNew(t)
	tests := []struct {
		accept []string
		json   bool
	}{
		{nil, false},
		{[]string{"application/json"}, true},
		{[]string{"Application/JSON; charset=utf-8"}, true},
		{[]string{"text/html, application/json;q=0.9"}, true},
		{[]string{"text/plain", "application/json"}, true},
		{[]string{"application/problem+json"}, true},
		{[]string{"application/json;q=0"}, false},
		{[]string{"*/*"}, false},
		{[]string{"text/plain"}, false},
		{[]string{"application/jsonx"}, false},
		{[]string{";;;, application/json"}, true},
	}
	for _, tt := range tests {
		var hdr []string
		for _, a := range tt.accept {
			hdr = append(hdr, "Accept", a)
		}
		rec := serve(t, c.Both(), "GET", "/health", hdr...)
		isJSON := strings.HasPrefix(rec.Body.String(), "{")
		if isJSON != tt.json {
			t.Errorf("Accept %q: JSON=%v, want %v (body %q)", tt.accept, isJSON, tt.json, rec.Body)
		}
	}
}

func TestHandlerHungCheckConcurrentRequests(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const timeout = 200 * time.Millisecond
	h := newHung()
	released := false
	defer func() {
		if !released {
			h.Release()
		}
	}()
	c := mustNew(t, healthcheck.Check{Name: "hung", Timeout: timeout, Run: h.Run})
	srv := httptest.NewServer(c.Both())
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()

	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/health", nil)
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			if elapsed := time.Since(start); elapsed > timeout+time.Second {
				t.Errorf("request hung for %v (check timeout %v)", elapsed, timeout)
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if n := len(h.runs); n != 1 {
		t.Errorf("100 concurrent requests started %d runs of the hung check, want 1", n)
	}
	if n := checkGoroutines(); n != 1 {
		t.Errorf("%d goroutines are running checks while the check hangs, want 1", n)
	}

	h.Release()
	released = true
	eventually(t, "the hung check's goroutine to end", func() bool { return checkGoroutines() == 0 })

	resp, err := client.Get(srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("after release: status %d, want 200", resp.StatusCode)
	}
	client.CloseIdleConnections()
	srv.Close()
}

func TestHandlerHonoursRequestContext(t *testing.T) {
	h := newHung()
	defer h.Release()
	c := mustNew(t, healthcheck.Check{Name: "hung", Timeout: time.Hour, Run: h.Run})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/health", nil)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { c.Both().ServeHTTP(rec, req); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("handler ignored the request's deadline")
	}
	if rec.Code != 503 {
		t.Errorf("code %d, want 503", rec.Code)
	}
	rep := c.Run(ctx) // ctx is done: reports without starting anything
	if r := result(t, rep, "hung"); !errors.Is(r.Err, healthcheck.ErrTimeout) {
		t.Errorf("err %v", r.Err)
	}
}
