package healthcheck_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aspirego/redis/healthcheck"
)

func degraded(msg string) func(context.Context) error {
	return func(context.Context) error { return healthcheck.Degrade(errors.New(msg)) }
}

func TestDegradedStatus(t *testing.T) {
	tests := []struct {
		name   string
		checks []healthcheck.Check
		want   healthcheck.Status
	}{
		{"healthy only", []healthcheck.Check{{Name: "a", Run: healthy}}, healthcheck.Healthy},
		{"one degraded", []healthcheck.Check{{Name: "a", Run: healthy}, {Name: "b", Run: degraded("refresh failed")}}, healthcheck.Degraded},
		{"degraded and unhealthy", []healthcheck.Check{{Name: "b", Run: degraded("refresh failed")}, {Name: "c", Run: failing("down")}}, healthcheck.Unhealthy},
		{"unhealthy then degraded", []healthcheck.Check{{Name: "c", Run: failing("down")}, {Name: "b", Run: degraded("refresh failed")}}, healthcheck.Unhealthy},
		{"Degrade(nil) is healthy", []healthcheck.Check{{Name: "a", Run: func(context.Context) error { return healthcheck.Degrade(nil) }}}, healthcheck.Healthy},
		{"wrapped degraded", []healthcheck.Check{{Name: "a", Run: func(context.Context) error {
			return fmt.Errorf("credential: %w", healthcheck.Degrade(errors.New("refresh failed")))
		}}}, healthcheck.Degraded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := mustNew(t, tt.checks...).Run(t.Context())
			if rep.Status != tt.want {
				t.Errorf("report status %v, want %v", rep.Status, tt.want)
			}
			for _, r := range rep.Results {
				var de *healthcheck.DegradedError
				if (r.Status == healthcheck.Degraded) != errors.As(r.Err, &de) {
					t.Errorf("%s: status %v with error %v", r.Name, r.Status, r.Err)
				}
			}
		})
	}
}

// A degraded error that comes back after the check's deadline is a
// timeout, as any late answer is.
func TestDegradedAfterDeadlineIsUnhealthy(t *testing.T) {
	c := mustNew(t, healthcheck.Check{Name: "late", Timeout: 200 * time.Millisecond, Run: func(ctx context.Context) error {
		<-ctx.Done()
		return healthcheck.Degrade(ctx.Err())
	}})
	r := result(t, c.Run(t.Context()), "late")
	if r.Status != healthcheck.Unhealthy || !errors.Is(r.Err, healthcheck.ErrTimeout) {
		t.Errorf("late degraded answer: status %v, err %v; want Unhealthy, a timeout", r.Status, r.Err)
	}
}

func TestHandlerDegraded(t *testing.T) {
	c := mustNew(t,
		healthcheck.Check{Name: "redis_cache", Run: healthy},
		healthcheck.Check{Name: "redis_cache_entra", Run: degraded("token refresh failed: password=hunter2")},
	)
	tests := []struct {
		name string
		opts []healthcheck.HandlerOption
		code int
	}{
		{"default is 200, as in ASP.NET Core", nil, 200},
		{"WithStatusCode", []healthcheck.HandlerOption{healthcheck.WithStatusCode(healthcheck.Degraded, 503)}, 503},
		{"out-of-range code ignored", []healthcheck.HandlerOption{healthcheck.WithStatusCode(healthcheck.Degraded, 42)}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, c.HealthHandler(tt.opts...), "GET", "/health")
			if rec.Code != tt.code || rec.Body.String() != "Degraded" {
				t.Errorf("got %d %q, want %d \"Degraded\"", rec.Code, rec.Body.String(), tt.code)
			}
		})
	}

	t.Run("JSON", func(t *testing.T) {
		rec := serve(t, c.HealthHandler(healthcheck.WithDetails()), "GET", "/health", "Accept", "application/json")
		var rep jsonReport
		if err := json.NewDecoder(rec.Body).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		e := rep.Entries["redis_cache_entra"]
		if rec.Code != 200 || rep.Status != healthcheck.Degraded || e.Status != healthcheck.Degraded || e.Description == nil ||
			*e.Description != "token refresh failed: password=***" || rep.Entries["redis_cache"].Status != healthcheck.Healthy {
			t.Errorf("got %d %+v", rec.Code, rep)
		}
	})

	t.Run("alive ignores it", func(t *testing.T) {
		rec := serve(t, c.AliveHandler(), "GET", "/alive")
		if rec.Code != 200 || rec.Body.String() != "Healthy" {
			t.Errorf("got %d %q", rec.Code, rec.Body.String())
		}
	})

	t.Run("unhealthy code can be changed too", func(t *testing.T) {
		down := mustNew(t, healthcheck.Check{Name: "x", Run: failing("down")})
		rec := serve(t, down.HealthHandler(healthcheck.WithStatusCode(healthcheck.Unhealthy, 500)), "GET", "/health")
		if rec.Code != 500 || rec.Body.String() != "Unhealthy" {
			t.Errorf("got %d %q", rec.Code, rec.Body.String())
		}
	})
}
