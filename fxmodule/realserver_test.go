package fxmodule_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/goleak"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
)

// timedGet serves one /health request and returns its status and how long
// it took.
func timedGet(h http.Handler) (int, time.Duration) {
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	return rec.Code, time.Since(start)
}

// TestHealthAgainstRealServers follows one redis-server through up, down
// and up again, and a server that accepts connections and never answers,
// through the handler fxmodule provides.
func TestHealthAgainstRealServers(t *testing.T) {
	const timeout = 500 * time.Millisecond
	// "Did not hang" bound: the check's timeout plus a generous margin for
	// a loaded machine. This is not a performance assertion.
	const bound = timeout + 2*time.Second

	srv := testserver.Start(t, testserver.Options{Password: "health-secret"})
	hole := testserver.NewBlackhole(t)
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", srv.Addr+",password=health-secret,connectTimeout=200,syncTimeout=200,connectRetry=1")
	t.Setenv("ConnectionStrings__stuck", hole.Addr+",connectTimeout=200,syncTimeout=200,connectRetry=1")
	t.Setenv("Aspire__StackExchange__Redis__HealthCheckTimeout", "00:00:00.5")

	var h healthHandler
	app := fxtest.New(t,
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")),
		fx.Populate(&h),
	)
	app.RequireStart()
	defer app.RequireStop()

	if code, _ := timedGet(h.H); code != http.StatusOK {
		t.Fatalf("/health with the server up = %d, want 200", code)
	}
	srv.Stop()
	if code, took := timedGet(h.H); code != http.StatusServiceUnavailable || took > bound {
		t.Errorf("/health with the server stopped = %d after %v, want 503 within %v", code, took, bound)
	}
	srv.Restart(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := timedGet(h.H)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health still %d 5 s after the server came back", code)
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Run("silent server, 100 concurrent requests", func(t *testing.T) {
		before := goleak.IgnoreCurrent()
		var stuck healthHandler
		stuckApp := fxtest.New(t,
			fxmodule.Module,
			fx.Provide(keyed.Client("stuck")),
			fx.Populate(&stuck),
		)
		stuckApp.RequireStart()

		var wg sync.WaitGroup
		codes := make([]int, 100)
		took := make([]time.Duration, 100)
		for i := range 100 {
			wg.Go(func() { codes[i], took[i] = timedGet(stuck.H) })
		}
		wg.Wait()
		for i := range 100 {
			if codes[i] != http.StatusServiceUnavailable || took[i] > bound {
				t.Fatalf("request %d: %d after %v, want 503 within %v", i, codes[i], took[i], bound)
			}
		}
		stuckApp.RequireStop()
		// Once the client is closed nothing it or the checks started may
		// remain (go-redis's dial retry loop checks for close once a second).
		deadline := time.Now().Add(5 * time.Second)
		for err := goleak.Find(before); err != nil; err = goleak.Find(before) {
			if time.Now().After(deadline) {
				t.Fatalf("goroutines left after stop: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}
