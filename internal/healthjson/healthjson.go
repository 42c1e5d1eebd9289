package healthjson

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Report is the JSON form of one run of a set of checks.
type Report struct {
	Status        string           `json:"status"`
	TotalDuration string           `json:"totalDuration"`
	Entries       map[string]Entry `json:"entries"`
}

// Entry is the JSON form of one check's outcome.
type Entry struct {
	Status      string            `json:"status"`
	Duration    string            `json:"duration"`
	Tags        []string          `json:"tags"`
	Description string            `json:"description,omitempty"`
	Data        map[string]string `json:"data,omitempty"`
}

// Get asks h for the JSON report of path ("/health" when empty) under ctx
// and decodes it. It returns the HTTP status code with the report.
func Get(ctx context.Context, h http.Handler, path string) (Report, int, error) {
	if path == "" {
		path = "/health"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return Report{}, 0, fmt.Errorf("health report of %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	h.ServeHTTP(rec, req)
	var rep Report
	if err := json.Unmarshal(rec.body.Bytes(), &rep); err != nil {
		return Report{}, rec.code, fmt.Errorf("health report of %s (HTTP %d): %w", path, rec.code, err)
	}
	return rep, rec.code, nil
}

// recorder is the http.ResponseWriter Get serves into (net/http/httptest
// would register its flag in every binary that links this package).
type recorder struct {
	header http.Header
	code   int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// TimeSpan formats d as a .NET TimeSpan does by default
// ("[-][d.]hh:mm:ss[.fffffff]"), e.g. "00:00:00.0012345".
func TimeSpan(d time.Duration) string {
	var b []byte
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	ticks := int64(d / 100) // 100 ns, the TimeSpan resolution
	frac := ticks % 10_000_000
	secs := ticks / 10_000_000
	days := secs / 86400
	secs %= 86400
	if days > 0 {
		b = strconv.AppendInt(b, days, 10)
		b = append(b, '.')
	}
	b = append2(b, secs/3600)
	b = append(b, ':')
	b = append2(b, secs/60%60)
	b = append(b, ':')
	b = append2(b, secs%60)
	if frac != 0 {
		b = append(b, '.')
		s := strconv.FormatInt(frac, 10)
		for range 7 - len(s) {
			b = append(b, '0')
		}
		b = append(b, s...)
	}
	return string(b)
}

func append2(b []byte, n int64) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// ParseTimeSpan reads what TimeSpan writes.
func ParseTimeSpan(s string) (time.Duration, error) {
	bad := fmt.Errorf("healthjson: %.40q is not a TimeSpan ([-][d.]hh:mm:ss[.fffffff])", s)
	rest, neg := strings.CutPrefix(s, "-")
	var days int64
	if before, after, ok := strings.Cut(rest, "."); ok && !strings.Contains(before, ":") {
		d, err := strconv.ParseInt(before, 10, 64)
		if err != nil || d < 0 {
			return 0, bad
		}
		days, rest = d, after
	}
	clock, frac, hasFrac := strings.Cut(rest, ".")
	parts := strings.Split(clock, ":")
	if len(parts) != 3 {
		return 0, bad
	}
	var secs int64
	for i, limit := range []int64{24, 60, 60} {
		n, err := strconv.ParseInt(parts[i], 10, 64)
		if err != nil || len(parts[i]) != 2 || n < 0 || n >= limit {
			return 0, bad
		}
		secs = secs*[]int64{1, 60, 60}[i] + n
	}
	var ticks int64
	if hasFrac {
		if frac == "" || len(frac) > 7 {
			return 0, bad
		}
		n, err := strconv.ParseInt(frac+strings.Repeat("0", 7-len(frac)), 10, 64)
		if err != nil || n < 0 {
			return 0, bad
		}
		ticks = n
	}
	d := time.Duration(((days*86400+secs)*10_000_000 + ticks) * 100)
	if neg {
		d = -d
	}
	return d, nil
}

// Routes serves health on /health and alive on /alive, and 404 on any
// other path: the one handler fxmodule.Module provides for both endpoints.
func Routes(health, alive http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			health.ServeHTTP(w, r)
		case "/alive":
			alive.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
