package docs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/otlp"
	"github.com/aspirego/redis/rediscache"
)

// otlpApp is a service that exports its Redis spans and metrics over
// OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, as under an Aspire AppHost.
func otlpApp(t *testing.T, invoke any) *fxtest.App {
	return fxtest.New(t,
		fx.NopLogger,
		fxmodule.Module,
		otlp.Module, // tracer, meter and logger providers from OTEL_*; flushed on stop
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(invoke),
	)
}

// otlp.Module sends spans and metrics to the endpoint that
// OTEL_EXPORTER_OTLP_ENDPOINT names; here a fake collector that records
// what it receives.
func TestOTLP(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	srv, connectionString := startMiniredis()
	t.Cleanup(srv.Close)
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", connectionString)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf") // Aspire sets grpc
	t.Setenv("OTEL_SERVICE_NAME", "orders")

	app := otlpApp(t, func(rdb redis.UniversalClient) {
		rdb.Set(context.Background(), "k", "v", 0)
	})
	app.RequireStart()
	app.RequireStop() // flushes

	mu.Lock()
	defer mu.Unlock()
	if got["/v1/traces"] == 0 || got["/v1/metrics"] == 0 {
		t.Errorf("the collector received %v, want /v1/traces and /v1/metrics", got)
	}
}
