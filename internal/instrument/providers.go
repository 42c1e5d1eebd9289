package instrument

import (
	"reflect"
	"runtime/debug"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of every span and metric this
// package records.
const ScopeName = "github.com/aspirego/redis/telemetry"

// modulePath is this module's path, derived from ScopeName.
var modulePath = strings.TrimSuffix(ScopeName, "/telemetry")

// Version is the version of this module as the Go toolchain recorded it
// in the running binary (for example v0.4.0, or a pseudo-version, or
// "(devel)" when built inside the module itself); it is the
// instrumentation scope version of every span and metric this package
// records. Empty when the binary carries no build information.
func Version() string {
	versionOnce.Do(func() { version = moduleVersion(debug.ReadBuildInfo()) })
	return version
}

var (
	versionOnce sync.Once
	version     string
)

// moduleVersion finds this module in build information: the main module
// (tests, examples) or a dependency, following a replace directive.
func moduleVersion(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return ""
	}
	if bi.Main.Path == modulePath {
		return bi.Main.Version
	}
	for _, m := range bi.Deps {
		if m.Path == modulePath {
			if m.Replace != nil && m.Replace.Version != "" {
				return m.Replace.Version
			}
			return m.Version
		}
	}
	return ""
}

// globalPkg is the package of the delegating providers that otel returns
// from GetTracerProvider and GetMeterProvider until SetTracerProvider or
// SetMeterProvider is called. otel offers no public way to tell them from
// a provider installed with SetTracerProvider (their only distinguishing
// methods are unexported), so isGlobalDelegate looks at the type's name;
// TestGlobalDelegateDetected fails when an otel upgrade renames it.
const globalPkg = "go.opentelemetry.io/otel/internal/global"

// tracerSource yields the tracer to use for one command, or nil when
// tracing is off or the effective provider is a no-op.
type tracerSource struct {
	tracer trace.Tracer
	// pending is set when the provider is otel's default global provider
	// and no SDK has been installed yet. While otel.GetTracerProvider still
	// returns it, commands are not traced at all (its tracer would only
	// hand out non-recording spans, at the price of a context allocation).
	// Once an SDK is installed, tracer, which delegates to it, is used.
	pending trace.TracerProvider
}

// get returns the tracer for this command or nil.
func (s *tracerSource) get() trace.Tracer {
	if s.pending != nil && otel.GetTracerProvider() == s.pending {
		return nil
	}
	return s.tracer
}

// newTracerSource resolves tp (nil = the otel global). It returns a source
// whose get always returns nil when the provider is a known no-op.
func newTracerSource(tp trace.TracerProvider) tracerSource {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if isNoopTracerProvider(tp) {
		return tracerSource{}
	}
	s := tracerSource{tracer: tp.Tracer(ScopeName, trace.WithInstrumentationVersion(Version()), trace.WithSchemaURL(semconv.SchemaURL))}
	if isGlobalDelegate(tp, "tracerProvider") && otel.GetTracerProvider() == tp {
		s.pending = tp
	}
	return s
}

// meterSource reports whether metrics are recorded for this command.
type meterSource struct {
	// pending: see tracerSource.pending. Instruments created from the
	// global delegating provider start forwarding once an SDK is set.
	pending metric.MeterProvider
}

func (s *meterSource) active() bool {
	return s.pending == nil || otel.GetMeterProvider() != s.pending
}

// resolveMeterProvider returns the provider to create instruments from,
// whether it is a known no-op, and the pending delegate (see meterSource).
func resolveMeterProvider(mp metric.MeterProvider) (metric.MeterProvider, bool, meterSource) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if isNoopMeterProvider(mp) {
		return mp, true, meterSource{}
	}
	var src meterSource
	if isGlobalDelegate(mp, "meterProvider") && otel.GetMeterProvider() == mp {
		src.pending = mp
	}
	return mp, false, src
}

func isNoopTracerProvider(tp trace.TracerProvider) bool {
	switch tp.(type) {
	case tracenoop.TracerProvider, *tracenoop.TracerProvider:
		return true
	}
	// trace.NewNoopTracerProvider (deprecated) returns a value of an
	// unexported, comparable type: equal to any other it returns.
	return tp == deprecatedNoop
}

//lint:ignore SA1019 detecting the deprecated no-op provider is the point
var deprecatedNoop = trace.NewNoopTracerProvider()

func isNoopMeterProvider(mp metric.MeterProvider) bool {
	switch mp.(type) {
	case metricnoop.MeterProvider, *metricnoop.MeterProvider:
		return true
	}
	return false
}

// isGlobalDelegate reports whether p is one of otel's global delegating
// providers (named typeName in the internal global package).
func isGlobalDelegate(p any, typeName string) bool {
	t := reflect.TypeOf(p)
	return t != nil && t.Kind() == reflect.Pointer &&
		t.Elem().PkgPath() == globalPkg && t.Elem().Name() == typeName
}
