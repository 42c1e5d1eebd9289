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
//   - gives everything that asks for a *slog.Logger a working one: the
//     graph's own, or slog.Default() when the graph has none. With logs
//     exported, it prints as before and exports every record too,
//     fxmodule's and go-redis's lines included. slog's own first default
//     handler (the one slog.Default() has until slog.SetDefault is
//     called) prints through the standard logger, which slog.SetDefault
//     points back at the default logger: it is replaced by a
//     slog.TextHandler writing where the standard logger writes, at the
//     same level;
//   - makes the providers the otel globals when the application starts (an
//     OnStart hook, not the constructor: building a graph has no side
//     effect), for the service's own instrumentation;
//   - with logs exported, makes that logger slog's default while the
//     application runs (slog.SetDefault on start, put back on stop), so
//     that slog.Info and the other package-level functions, and the
//     standard logger's lines, are exported as well, as every ILogger
//     record of a .NET service is;
//   - flushes and shuts them down when the application stops.
//
// With several applications in one process (tests), the last one started
// is slog's default; one that stops puts back what it replaced only if
// slog's default is still its logger, and otherwise hands it to the
// application started after it. A service that calls slog.SetDefault
// itself while the application runs keeps its choice.
//
// A constructor inside the application's own fx.Module gets the logger
// only when the graph provides one (fx checks a module's constructors
// against the providers, and a decoration is none): supply one then, such
// as fx.Supply(slog.Default()).
//
// Add it beside fxmodule.Module:
//
//	fx.New(fxmodule.Module, otlp.Module, fx.Provide(rediscache.Client("cache")), ...)
//
// It lives here, not in fxmodule, so that an fx application that does not
// export over OTLP does not link the SDK, the exporters and gRPC.
var Module = fx.Options(
	fx.Module("aspirego/redis/otlp",
		fx.Provide(newWithLifecycle, tracerProvider, meterProvider),
		// Here, not at the root: a module's invocations run before the
		// root's, so the logger is decorated before the application's own
		// constructors ask for it.
		fx.Invoke(fx.Annotate(buildLogger, fx.ParamTags(``, `optional:"true"`))),
	),
	// At the root: a decoration inside a module reaches only that module.
	fx.Decorate(decorateLogger),
)

// newWithLifecycle builds the providers (New) and registers on lc the
// hooks that install them as the otel globals when the application starts
// (SetGlobal) and flush them when it stops (Shutdown). It returns nil, and
// registers nothing, when nothing is exported. Module provides it.
func newWithLifecycle(lc fx.Lifecycle) (*Providers, error) {
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

// buildLogger builds the graph's logger even when nothing else asks for
// it, so that slog's default exports while the application runs. The
// providers come first: a bad variable is reported as such.
func buildLogger(*Providers, *slog.Logger) {}

type loggerIn struct {
	fx.In
	Lifecycle fx.Lifecycle
	Providers *Providers
	Logger    *slog.Logger `optional:"true"`
}

// decorateLogger gives the graph a logger that works: the graph's own, or
// slog's default when there is none. With a LoggerProvider it exports its
// records too and is slog's default while the application runs.
func decorateLogger(in loggerIn) *slog.Logger {
	if in.Providers == nil || in.Providers.LoggerProvider == nil {
		if in.Logger != nil {
			return in.Logger
		}
		return processDefault()
	}
	local := console(in.Logger)
	l := slog.New(in.Providers.handler(local))
	var d *installed
	in.Lifecycle.Append(fx.Hook{
		OnStart: func(context.Context) error {
			d = install(l, local)
			return nil
		},
		OnStop: func(context.Context) error {
			d.uninstall()
			return nil
		},
	})
	return l
}
