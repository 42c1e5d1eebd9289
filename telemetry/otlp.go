package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ErrOTLPConfig is wrapped by every error NewOTLPProviders returns for a
// bad OTEL_* environment variable.
var ErrOTLPConfig = errors.New("invalid OpenTelemetry environment")

// Providers are OpenTelemetry SDK providers that export over OTLP, built by
// NewOTLPProviders. A nil *Providers (no endpoint configured) is valid:
// its methods do nothing.
type Providers struct {
	// TracerProvider exports spans; nil when traces are not exported.
	TracerProvider *sdktrace.TracerProvider
	// MeterProvider exports metrics; nil when metrics are not exported.
	MeterProvider *sdkmetric.MeterProvider
}

// Shutdown flushes what is buffered and stops both providers. It returns
// when ctx is done at the latest.
func (p *Providers) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	var errs []error
	if p.TracerProvider != nil {
		if err := p.TracerProvider.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("telemetry: shutting down the tracer provider: %w", err))
		}
	}
	if p.MeterProvider != nil {
		if err := p.MeterProvider.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("telemetry: shutting down the meter provider: %w", err))
		}
	}
	return errors.Join(errs...)
}

// SetGlobal makes the providers the otel globals (otel.SetTracerProvider,
// otel.SetMeterProvider); clients instrumented with nil providers in their
// Config then export through them.
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
}

// NewOTLPProviders builds a tracer and a meter provider exporting over
// OTLP, configured by the standard environment variables that an Aspire
// AppHost injects into the processes it starts:
//
//   - OTEL_EXPORTER_OTLP_ENDPOINT (or the per-signal
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / _METRICS_ENDPOINT): where to
//     send. With none set for either signal, NewOTLPProviders returns
//     (nil, nil): telemetry export is off. OTEL_SDK_DISABLED=true does the
//     same.
//   - OTEL_EXPORTER_OTLP_PROTOCOL (or _TRACES_PROTOCOL / _METRICS_PROTOCOL):
//     grpc or http/protobuf (the specification's default; Aspire sets
//     grpc). http/json is not supported and is an error.
//   - OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER: otlp (default) or none.
//
// Read by the OpenTelemetry SDK and exporters themselves:
// OTEL_EXPORTER_OTLP_HEADERS (Aspire's x-otlp-api-key),
// OTEL_EXPORTER_OTLP_CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY,
// _INSECURE, _COMPRESSION, _TIMEOUT (and their per-signal forms),
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
// OTEL_TRACES_SAMPLER_ARG, OTEL_BSP_SCHEDULE_DELAY and the other OTEL_BSP_*
// variables, OTEL_METRIC_EXPORT_INTERVAL, OTEL_METRIC_EXPORT_TIMEOUT,
// OTEL_METRICS_EXEMPLAR_FILTER.
//
// No connection is made here; exporters connect when they first export.
// Call Shutdown when the application stops, to flush.
func NewOTLPProviders(ctx context.Context) (*Providers, error) {
	if b, _ := strconv.ParseBool(os.Getenv("OTEL_SDK_DISABLED")); b {
		return nil, nil
	}
	traces, err := signalEnabled("TRACES")
	if err != nil {
		return nil, err
	}
	metrics, err := signalEnabled("METRICS")
	if err != nil {
		return nil, err
	}
	if !traces && !metrics {
		return nil, nil
	}

	envRes, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource from OTEL_SERVICE_NAME/OTEL_RESOURCE_ATTRIBUTES: %w: %w", ErrOTLPConfig, err)
	}
	res, err := resource.Merge(resource.Default(), envRes)
	if err != nil {
		return nil, fmt.Errorf("telemetry: merging resources: %w", err)
	}

	p := &Providers{}
	if traces {
		proto, err := protocol("TRACES")
		if err != nil {
			return nil, err
		}
		var exp sdktrace.SpanExporter
		if proto == "grpc" {
			exp, err = otlptracegrpc.New(ctx)
		} else {
			exp, err = otlptracehttp.New(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP trace exporter (%s): %w", proto, err)
		}
		p.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	}
	if metrics {
		proto, err := protocol("METRICS")
		if err != nil {
			_ = p.Shutdown(ctx)
			return nil, err
		}
		var exp sdkmetric.Exporter
		if proto == "grpc" {
			exp, err = otlpmetricgrpc.New(ctx)
		} else {
			exp, err = otlpmetrichttp.New(ctx)
		}
		if err != nil {
			_ = p.Shutdown(ctx)
			return nil, fmt.Errorf("telemetry: OTLP metric exporter (%s): %w", proto, err)
		}
		p.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
	}
	return p, nil
}

// signalEnabled reports whether a signal (TRACES, METRICS) is exported:
// OTEL_<signal>_EXPORTER is otlp or unset, and an endpoint is set.
func signalEnabled(signal string) (bool, error) {
	key := "OTEL_" + signal + "_EXPORTER"
	switch v := strings.TrimSpace(strings.ToLower(os.Getenv(key))); v {
	case "", "otlp":
	case "none":
		return false, nil
	default:
		return false, fmt.Errorf("telemetry: %s=%q: %w: only otlp and none are supported", key, v, ErrOTLPConfig)
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "", nil
}

// protocol returns grpc or http/protobuf for a signal.
func protocol(signal string) (string, error) {
	key := "OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL"
	v := os.Getenv(key)
	if v == "" {
		key = "OTEL_EXPORTER_OTLP_PROTOCOL"
		v = os.Getenv(key)
	}
	switch v = strings.TrimSpace(strings.ToLower(v)); v {
	case "", "http/protobuf":
		return "http/protobuf", nil
	case "grpc":
		return "grpc", nil
	default:
		return "", fmt.Errorf("telemetry: %s=%q: %w: use grpc or http/protobuf", key, v, ErrOTLPConfig)
	}
}
