package fxmodule

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/aspirego/redis/telemetry"
)

// OTLP provides a trace.TracerProvider and a metric.MeterProvider that
// export over OTLP, configured by the OTEL_* environment variables an
// Aspire AppHost injects (OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, …; see
// telemetry.NewOTLPProviders), so the service's Redis spans and metrics
// show up in the Aspire dashboard. It also makes them the otel globals,
// for the service's own instrumentation, and flushes them when the
// application stops.
//
// With no endpoint configured it provides the otel globals and exports
// nothing. Add it beside Module:
//
//	fx.New(fxmodule.Module, fxmodule.OTLP, fx.Provide(rediscache.Client("cache")), ...)
var OTLP = fx.Module("aspirego/redis/otlp", fx.Provide(NewOTLP))

// NewOTLP is the constructor behind OTLP.
func NewOTLP(lc fx.Lifecycle) (trace.TracerProvider, metric.MeterProvider, error) {
	p, err := telemetry.NewOTLPProviders(context.Background())
	if err != nil {
		return nil, nil, fmt.Errorf("fxmodule: OTLP: %w", err)
	}
	p.SetGlobal()
	lc.Append(fx.Hook{OnStop: p.Shutdown})
	return otel.GetTracerProvider(), otel.GetMeterProvider(), nil
}
