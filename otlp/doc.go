// Package otlp exports a service's traces, metrics and logs over OTLP to
// the Aspire dashboard; with fx add [Module], without fx call [New].
//
// It sets up the OpenTelemetry SDK as the OTEL_* environment variables an
// Aspire AppHost injects say, so that a Go service shows up in the Aspire
// dashboard next to .NET ones: spans, metrics and structured logs.
//
// It is the one package of this module that links the OpenTelemetry SDK
// and the exporters (and through them gRPC). The instrumentation packages
// (telemetry, rediscache, keyed, healthcheck, settings) depend on the
// OpenTelemetry API only, like OpenTelemetry's own contrib
// instrumentations; a service that exports some other way never links
// this one.
//
//	p, err := otlp.New(ctx) // nil, nil without OTEL_EXPORTER_OTLP_ENDPOINT
//	...
//	p.SetGlobal()
//	defer p.Shutdown(ctx) // flushes
//	logger := p.Logger(slog.Default()) // printed and exported
//
// With fx, add [Module] beside fxmodule.Module: it does the same, providers
// built when the graph is, the otel globals set when the application
// starts, flushed when it stops, and the *slog.Logger in the graph
// (slog.Default() when there is none) decorated to export too and made
// slog's default while the application runs, so that slog.Info exports
// as well. It is here rather than in fxmodule so that an fx application
// that does not export over OTLP does not link the SDK.
//
// # Logs
//
// The logger [Providers.Logger] returns fans every slog record out to the local handler and
// to the OpenTelemetry slog bridge (go.opentelemetry.io/contrib/bridges/otelslog),
// which exports it as an OTLP log record under the scope [LogScope]. The
// record's attributes become log attributes; a record logged with a
// context that holds a span carries its trace and span ids, so that the
// dashboard links it to the trace. OTEL_LOGS_EXPORTER and OTEL_BLRP_*
// (the batch log record processor) apply.
package otlp
