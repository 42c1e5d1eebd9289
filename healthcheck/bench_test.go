package healthcheck_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/healthcheck"
)

// BenchmarkHealth measures GET /health with three healthy Redis checks
// (three clients, three miniredis servers on loopback) and reports the
// latency percentiles p50 and p99 in milliseconds. "handler" calls the
// handler directly; "http" goes through a loopback HTTP server.
func BenchmarkHealth(b *testing.B) {
	var checks []healthcheck.Check
	for _, name := range []string{"cache", "sessions", "queue"} {
		m := miniredis.RunT(b)
		client := redis.NewClient(&redis.Options{Addr: m.Addr(), ContextTimeoutEnabled: true})
		b.Cleanup(func() { _ = client.Close() })
		checks = append(checks, healthcheck.Redis(name, client, 5*time.Second))
	}
	c := mustNew(b, checks...)
	h := c.Both()

	b.Run("handler", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/health", nil)
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(rec, req)
			lat = append(lat, time.Since(start))
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
		reportPercentiles(b, lat)
	})

	b.Run("http", func(b *testing.B) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		client := srv.Client()
		defer client.CloseIdleConnections()
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			resp, err := client.Get(srv.URL + "/health")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat = append(lat, time.Since(start))
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		reportPercentiles(b, lat)
	})
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		i := int(p * float64(len(lat)-1))
		return float64(lat[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
