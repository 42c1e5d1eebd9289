package otlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ErrConfig is wrapped by every error New returns for a bad OTEL_*
// environment variable.
var ErrConfig = errors.New("invalid OpenTelemetry environment")

// LogScope is the instrumentation scope of the log records the slog bridge
// exports (see [Providers.Logger]).
const LogScope = "log/slog"

// Providers are OpenTelemetry SDK providers that export traces, metrics
// and logs, built by New. A nil *Providers (nothing to export) is valid:
// its methods do nothing.
type Providers struct {
	// TracerProvider exports spans; nil when traces are not exported.
	TracerProvider *sdktrace.TracerProvider
	// MeterProvider exports metrics; nil when metrics are not exported.
	MeterProvider *sdkmetric.MeterProvider
	// LoggerProvider exports log records; nil when logs are not exported.
	LoggerProvider *sdklog.LoggerProvider
}

// Shutdown flushes what is buffered and stops every provider. It returns
// when ctx is done at the latest.
func (p *Providers) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	var errs []error
	if p.TracerProvider != nil {
		if err := p.TracerProvider.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("otlp: shutting down the tracer provider: %w", err))
		}
	}
	if p.MeterProvider != nil {
		if err := p.MeterProvider.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("otlp: shutting down the meter provider: %w", err))
		}
	}
	if p.LoggerProvider != nil {
		if err := p.LoggerProvider.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("otlp: shutting down the logger provider: %w", err))
		}
	}
	return errors.Join(errs...)
}

// SetGlobal makes the providers the otel globals (otel.SetTracerProvider,
// otel.SetMeterProvider, otel.SetLoggerProvider); clients instrumented with nil
// providers in their telemetry.Config then export through them.
func (p *Providers) SetGlobal() {
	if p == nil {
		return
	}
	if p.TracerProvider != nil {
		otel.SetTracerProvider(p.TracerProvider)
	}
	if p.MeterProvider != nil {
		otel.SetMeterProvider(p.MeterProvider)
	}
	if p.LoggerProvider != nil {
		otel.SetLoggerProvider(p.LoggerProvider)
	}
}

// handler returns a slog handler that passes every record to next (the
// local output) and exports it over OTLP through the OpenTelemetry slog
// bridge. A record logged with a context that holds a span (slog.InfoContext
// inside a traced request) carries that span's trace and span ids. Without
// a LoggerProvider it returns next itself.
func (p *Providers) handler(next slog.Handler) slog.Handler {
	if p == nil || p.LoggerProvider == nil {
		return next
	}
	bridge := otelslog.NewHandler(LogScope, otelslog.WithLoggerProvider(p.LoggerProvider))
	if next == nil {
		return bridge
	}
	return slog.NewMultiHandler(next, bridge)
}

// Logger returns a logger that prints through l's handler and exports
// every record over OTLP through the OpenTelemetry slog bridge, under the
// scope [LogScope]; a record logged with a context that holds a span
// (slog.InfoContext inside a traced request) carries that span's trace
// and span ids. With no LoggerProvider it returns l itself. A nil l
// stands for slog.Default(). Logger(l).Handler() is the handler alone.
func (p *Providers) Logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	if p == nil || p.LoggerProvider == nil {
		return l
	}
	return slog.New(p.handler(l.Handler()))
}

// The signals, with the suffix of their per-signal variables.
const (
	traces  = "TRACES"
	metrics = "METRICS"
	logs    = "LOGS"
)

// New builds tracer, meter and logger providers as configured by the
// standard environment variables that an Aspire AppHost injects into the
// processes it starts. Exporters come from
// go.opentelemetry.io/contrib/exporters/autoexport.
//
//   - OTEL_EXPORTER_OTLP_ENDPOINT (or the per-signal
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / _METRICS_ENDPOINT /
//     _LOGS_ENDPOINT): where to send. A signal exported over OTLP (the
//     default) needs one: with none set for any signal, New returns
//     (nil, nil) and nothing is exported. OTEL_SDK_DISABLED=true does the
//     same.
//   - OTEL_EXPORTER_OTLP_PROTOCOL (or the per-signal forms): grpc (what
//     Aspire sets) or http/protobuf (the specification's default);
//     http/json is not supported and is an error.
//   - OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_LOGS_EXPORTER:
//     otlp (default), none, console (to stdout, without an endpoint), and
//     for metrics prometheus, as autoexport offers them.
//
// Read by the OpenTelemetry SDK and exporters themselves:
// OTEL_EXPORTER_OTLP_HEADERS (Aspire's x-otlp-api-key),
// OTEL_EXPORTER_OTLP_CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY,
// _INSECURE, _COMPRESSION, _TIMEOUT (and their per-signal forms),
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
// OTEL_TRACES_SAMPLER_ARG, OTEL_BSP_*, OTEL_BLRP_*,
// OTEL_METRIC_EXPORT_INTERVAL, OTEL_METRIC_EXPORT_TIMEOUT,
// OTEL_METRICS_EXEMPLAR_FILTER.
//
// No connection is made here; exporters connect when they first export.
// New sets no otel global: call SetGlobal (Module does it when the
// application starts), and Shutdown when it stops, to flush.
func New(ctx context.Context) (*Providers, error) {
	if b, _ := strconv.ParseBool(os.Getenv("OTEL_SDK_DISABLED")); b {
		return nil, nil
	}
	on := map[string]bool{}
	for _, s := range []string{traces, metrics, logs} {
		enabled, err := signalEnabled(s)
		if err != nil {
			return nil, err
		}
		on[s] = enabled
	}
	if !on[traces] && !on[metrics] && !on[logs] {
		return nil, nil
	}

	envRes, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("otlp: resource from OTEL_SERVICE_NAME/OTEL_RESOURCE_ATTRIBUTES: %w: %w", ErrConfig, err)
	}
	res, err := resource.Merge(resource.Default(), envRes)
	if err != nil {
		return nil, fmt.Errorf("otlp: merging resources: %w", err)
	}

	p := &Providers{}
	fail := func(err error) (*Providers, error) {
		_ = p.Shutdown(ctx)
		return nil, err
	}
	if on[traces] {
		exp, err := autoexport.NewSpanExporter(ctx)
		if err != nil {
			return fail(exporterError(traces, err))
		}
		p.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	}
	if on[metrics] {
		r, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return fail(exporterError(metrics, err))
		}
		p.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithResource(res))
	}
	if on[logs] {
		exp, err := autoexport.NewLogExporter(ctx)
		if err != nil {
			return fail(exporterError(logs, err))
		}
		p.LoggerProvider = sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)), sdklog.WithResource(res))
	}
	return p, nil
}

func exporterError(signal string, err error) error {
	return fmt.Errorf("otlp: %s exporter (OTEL_%s_EXPORTER=%q): %w: %w", strings.ToLower(signal), signal, os.Getenv("OTEL_"+signal+"_EXPORTER"), ErrConfig, err)
}

// signalEnabled reports whether a signal (TRACES, METRICS, LOGS) is
// exported: OTEL_<signal>_EXPORTER is otlp or unset and an endpoint is
// set, or it names another exporter than none.
func signalEnabled(signal string) (bool, error) {
	key := "OTEL_" + signal + "_EXPORTER"
	switch v := strings.TrimSpace(os.Getenv(key)); v {
	case "", "otlp":
		if os.Getenv("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" {
			return false, nil
		}
		return true, checkProtocol(signal)
	case "none":
		return false, nil
	default:
		// console, prometheus, or a name autoexport rejects with an error.
		return true, nil
	}
}

// checkProtocol rejects an OTLP protocol autoexport does not offer, naming
// the variable.
func checkProtocol(signal string) error {
	key := "OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL"
	v := os.Getenv(key)
	if v == "" {
		key = "OTEL_EXPORTER_OTLP_PROTOCOL"
		v = os.Getenv(key)
	}
	switch v {
	case "", "http/protobuf", "grpc":
		return nil
	default:
		return fmt.Errorf("otlp: %s=%q: %w: use grpc or http/protobuf", key, v, ErrConfig)
	}
}
