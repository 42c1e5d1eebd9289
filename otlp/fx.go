package otlp

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
)

// Module exports an fx application's traces, metrics and logs over OTLP,
// configured by the OTEL_* environment variables an Aspire AppHost injects
// (OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*, OTEL_BLRP_*, …; see New), so that
// the service shows up in the Aspire dashboard like a .NET one. It
//
//   - provides the *Providers (nil with no endpoint: nothing is exported),
//     a trace.TracerProvider and a metric.MeterProvider (the SDK's, or the
//     otel globals when a signal is not exported), which the Redis clients
//     are instrumented with;
//   - decorates the *slog.Logger of the graph (slog.Default() when there is
//     none) so that its records, fxmodule's and go-redis's lines included,
//     are exported as well as printed;
//   - makes the providers the otel globals when the application starts (an
//     OnStart hook, not the constructor: building a graph has no side
//     effect), for the service's own instrumentation;
//   - flushes and shuts them down when the application stops.
//
// Add it beside fxmodule.Module:
//
//	fx.New(fxmodule.Module, otlp.Module, fx.Provide(rediscache.Client("cache")), ...)
//
// It lives here, not in fxmodule, so that an fx application that does not
// export over OTLP does not link the SDK, the exporters and gRPC.
var Module = fx.Options(
	fx.Module("aspirego/redis/otlp", fx.Provide(NewWithLifecycle, tracerProvider, meterProvider)),
	// At the root: a decoration inside a module reaches only that module.
	fx.Decorate(decorateLogger),
)

// NewWithLifecycle builds the providers (New) and registers on lc the
// hooks that install them as the otel globals when the application starts
// (SetGlobal) and flush them when it stops (Shutdown). It returns nil, and
// registers nothing, when nothing is exported. Module provides it.
func NewWithLifecycle(lc fx.Lifecycle) (*Providers, error) {
	p, err := New(context.Background())
	if err != nil {
		return nil, err // "otlp: ..." naming the variable
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

func tracerProvider(p *Providers) trace.TracerProvider {
	if p != nil && p.TracerProvider != nil {
		return p.TracerProvider
	}
	return otel.GetTracerProvider()
}

func meterProvider(p *Providers) metric.MeterProvider {
	if p != nil && p.MeterProvider != nil {
		return p.MeterProvider
	}
	return otel.GetMeterProvider()
}

type loggerIn struct {
	fx.In
	Providers *Providers
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
