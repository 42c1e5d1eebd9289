package instrument

import (
	"context"
	"runtime/debug"
	"testing"

	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

func TestModuleVersion(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build info", nil, false, ""},
		{"main module", &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "(devel)"}}, true, "(devel)"},
		{"dependency", &debug.BuildInfo{
			Main: debug.Module{Path: "example.com/svc"},
			Deps: []*debug.Module{{Path: "go.uber.org/fx", Version: "v1.24.0"}, {Path: modulePath, Version: "v0.4.0"}},
		}, true, "v0.4.0"},
		{"replaced", &debug.BuildInfo{
			Main: debug.Module{Path: "example.com/svc"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v0.4.0", Replace: &debug.Module{Path: "../redis", Version: ""}}},
		}, true, "v0.4.0"},
		{"replaced by a version", &debug.BuildInfo{
			Main: debug.Module{Path: "example.com/svc"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v0.4.0", Replace: &debug.Module{Path: "example.com/fork", Version: "v0.4.1"}}},
		}, true, "v0.4.1"},
		{"absent", &debug.BuildInfo{Main: debug.Module{Path: "example.com/svc"}}, true, ""},
	} {
		if got := moduleVersion(tc.bi, tc.ok); got != tc.want {
			t.Errorf("%s: moduleVersion = %q, want %q", tc.name, got, tc.want)
		}
	}
	if modulePath != "github.com/aspirego/redis" {
		t.Errorf("modulePath = %q", modulePath)
	}
}

// TestInstrumentationScope: spans and metrics carry the scope name, the
// module's version and the schema URL.
func TestInstrumentationScope(t *testing.T) {
	if Version() == "" {
		t.Fatal("Version() is empty in a test binary of the module")
	}
	env := newEnv(t)
	_, c := newMini(t)
	instrument(t, c, configOf(env, "cache"))
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	s := spanNamed(t, env.Spans.GetSpans(), "PING")
	if s.InstrumentationScope.Name != ScopeName || s.InstrumentationScope.Version != Version() || s.InstrumentationScope.SchemaURL == "" {
		t.Errorf("span scope = %+v, want %s %s", s.InstrumentationScope, ScopeName, Version())
	}
	var found bool
	var rm metricdata.ResourceMetrics
	if err := env.Reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name == ScopeName {
			found = true
			if sm.Scope.Version != Version() || sm.Scope.SchemaURL == "" {
				t.Errorf("metric scope = %+v", sm.Scope)
			}
		}
	}
	if !found {
		t.Errorf("no metrics under scope %s", ScopeName)
	}
}

// TestNoopProviders: the no-op providers are recognised without looking at
// type names, the deprecated trace.NewNoopTracerProvider included.
func TestNoopProviders(t *testing.T) {
	//lint:ignore SA1019 the deprecated provider must still be recognised
	old := trace.NewNoopTracerProvider()
	for _, tp := range []trace.TracerProvider{tracenoop.NewTracerProvider(), &tracenoop.TracerProvider{}, old} {
		if !isNoopTracerProvider(tp) {
			t.Errorf("%T not recognised as a no-op", tp)
		}
	}
	env := newEnv(t)
	if isNoopTracerProvider(env.TP) || isNoopTracerProvider(otel.GetTracerProvider()) {
		t.Error("a real or the global provider taken for a no-op")
	}
	if !isNoopMeterProvider(metricnoop.NewMeterProvider()) || isNoopMeterProvider(env.MP) {
		t.Error("meter providers misrecognised")
	}
}

// The otel globals before any test could set them.
var (
	initialTracerProvider = otel.GetTracerProvider()
	initialMeterProvider  = otel.GetMeterProvider()
)

// TestGlobalDelegateDetected guards the one place that looks at an otel
// type name (isGlobalDelegate): it fails when an otel upgrade renames the
// global delegating providers, instead of silently costing every command
// of an application without an SDK a span.
func TestGlobalDelegateDetected(t *testing.T) {
	if !isGlobalDelegate(initialTracerProvider, "tracerProvider") {
		t.Errorf("otel's default global tracer provider %T not detected", initialTracerProvider)
	}
	if !isGlobalDelegate(initialMeterProvider, "meterProvider") {
		t.Errorf("otel's default global meter provider %T not detected", initialMeterProvider)
	}
	env := newEnv(t)
	if isGlobalDelegate(env.TP, "tracerProvider") || isGlobalDelegate(env.MP, "meterProvider") {
		t.Error("an SDK provider taken for the delegate")
	}
}
