package multiplex

import (
	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/oteltest"
)

// The helpers these tests share with those of internal/instrument.
type (
	telemetryEnv = oteltest.Env
	stopHook     = oteltest.StopHook
	discard      = oteltest.Discard
)

var (
	newEnv       = oteltest.NewEnv
	testOptions  = oteltest.Options
	newMini      = oteltest.NewMini
	attrMap      = oteltest.AttrMap
	spanNamed    = oteltest.SpanNamed
	spanPort     = oteltest.SpanPort
	sdkProviders = oteltest.SDKProviders
	getAllocs    = oteltest.GetAllocs
)

// configOf is the Config recording into e.
func configOf(e *telemetryEnv, name string) instrument.Config {
	return instrument.Config{Name: name, TracerProvider: e.TP, MeterProvider: e.MP}
}
