package fxmodule

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/aspirego/redis/otlp"
)

// OTLP exports the service's traces, metrics and logs over OTLP,
// configured by the OTEL_* environment variables an Aspire AppHost injects
// (OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*, OTEL_BLRP_*, …; see otlp.New), so
// that the service shows up in the Aspire dashboard like a .NET one. It
//
//   - provides the *otlp.Providers (nil with no endpoint: nothing is
//     exported), a trace.TracerProvider and a metric.MeterProvider (the
//     SDK's, or the otel globals when a signal is not exported), which the
//     Redis clients are instrumented with;
//   - decorates the *slog.Logger of the graph (slog.Default() when there is
//     none) so that its records, this module's and go-redis's lines
//     included, are exported as well as printed;
//   - makes the providers the otel globals when the application starts (an
//     OnStart hook, not the constructor: building a graph has no side
//     effect), for the service's own instrumentation;
//   - flushes and shuts them down when the application stops.
//
// Add it beside Module:
//
//	fx.New(fxmodule.Module, fxmodule.OTLP, fx.Provide(rediscache.Client("cache")), ...)
var OTLP = fx.Options(
	fx.Module("aspirego/redis/otlp", fx.Provide(NewOTLPProviders, otlpTracerProvider, otlpMeterProvider)),
	// At the root: a decoration inside a module reaches only that module.
	fx.Decorate(decorateLogger),
)

// NewOTLPProviders builds the providers (otlp.New) and registers the
// lifecycle hooks that install them as the otel globals on start and
// flush them on stop. It returns nil, and registers nothing, when nothing
// is exported.
func NewOTLPProviders(lc fx.Lifecycle) (*otlp.Providers, error) {
	p, err := otlp.New(context.Background())
	if err != nil {
		return nil, fmt.Errorf("fxmodule: OTLP: %w", err)
	}
	if p == nil {
		return nil, nil
	}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			p.SetGlobal()
			return nil
		},
		OnStop: p.Shutdown,
	})
	return p, nil
}

func otlpTracerProvider(p *otlp.Providers) trace.TracerProvider {
	if p != nil && p.TracerProvider != nil {
		return p.TracerProvider
	}
	return otel.GetTracerProvider()
}

func otlpMeterProvider(p *otlp.Providers) metric.MeterProvider {
	if p != nil && p.MeterProvider != nil {
		return p.MeterProvider
	}
	return otel.GetMeterProvider()
}

type loggerIn struct {
	fx.In
	Providers *otlp.Providers
	Logger    *slog.Logger `optional:"true"`
}

// decorateLogger makes the graph's logger export its records too. Without
// a LoggerProvider the logger is left as it is (nil when absent).
func decorateLogger(in loggerIn) *slog.Logger {
	if in.Providers == nil || in.Providers.LoggerProvider == nil {
		return in.Logger
	}
	return in.Providers.Logger(in.Logger)
}
