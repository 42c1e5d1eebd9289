package healthcheck_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/healthcheck"
)

// get serves one GET request and prints the status code and body.
func get(h http.Handler, path string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	fmt.Println(path, rec.Code, rec.Body.String())
}

// A dependency that is down makes /health fail and leaves /alive healthy.
func Example() {
	checker, err := healthcheck.New(
		healthcheck.Check{Name: "redis_cache", Run: func(context.Context) error {
			return errors.New("PING: connection refused")
		}},
		healthcheck.Check{Name: "worker", Tags: []string{healthcheck.TagLive}, Run: func(context.Context) error {
			return nil
		}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	get(checker.HealthHandler(), "/health")
	get(checker.AliveHandler(), "/alive")
	// Output:
	// /health 503 Unhealthy
	// /alive 200 Healthy
}

// The check of a Redis client follows the server: Unhealthy while it is
// down, Healthy again once it is back, through the same client.
func ExampleRedis() {
	srv, err := miniredis.Run()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1})
	defer client.Close()

	checker, err := healthcheck.New(healthcheck.Redis("cache", client, time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	report := func() {
		var line []string
		for _, r := range checker.Run(context.Background()).Results {
			line = append(line, r.Name+"="+r.Status.String())
		}
		fmt.Println(strings.Join(line, " "))
	}
	report()
	srv.Close()
	report()
	_ = srv.Restart()
	report()
	// Output:
	// self=Healthy redis_cache=Healthy
	// self=Healthy redis_cache=Unhealthy
	// self=Healthy redis_cache=Healthy
}

// The two handlers can be mounted at any path, such as the /readyz and
// /livez of a Kubernetes probe.
func ExampleChecker_HealthHandler() {
	checker, err := healthcheck.New(healthcheck.Check{Name: "redis_cache", Run: func(context.Context) error {
		return errors.New("down")
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/readyz", checker.HealthHandler())
	mux.Handle("/livez", checker.AliveHandler())
	get(mux, "/readyz")
	get(mux, "/livez")
	// Output:
	// /readyz 503 Unhealthy
	// /livez 200 Healthy
}

// With "Accept: application/json" the handlers answer with a report;
// WithDetails adds each failing check's error text, with anything that
// looks like a password masked.
func ExampleWithDetails() {
	checker, err := healthcheck.New(healthcheck.Check{Name: "redis_cache", Run: func(context.Context) error {
		return errors.New("cannot reach 127.0.0.1:6379,password=hunter2")
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	req := httptest.NewRequest(http.MethodGet, "/health", nil)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	checker.HealthHandler(healthcheck.WithDetails()).ServeHTTP(rec, req)

	var report struct {
		Status  string
		Entries map[string]struct {
			Status      string
			Tags        []string
			Description string
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &report); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.Code, report.Status)
	for _, name := range []string{"redis_cache", "self"} {
		e := report.Entries[name]
		fmt.Printf("%s: %s %q %q\n", name, e.Status, e.Tags, e.Description)
	}
	// Output:
	// 503 Unhealthy
	// redis_cache: Unhealthy [] "cannot reach 127.0.0.1:6379,password=***"
	// self: Healthy ["live"] ""
}
