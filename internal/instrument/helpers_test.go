package instrument

import (
	"github.com/aspirego/redis/internal/oteltest"
)

// The helpers these tests share with those of internal/multiplex.
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
	hostPort     = oteltest.HostPort
	spanNamed    = oteltest.SpanNamed
	spanPort     = oteltest.SpanPort
	sdkProviders = oteltest.SDKProviders
)

// configOf is the Config recording into e.
func configOf(e *telemetryEnv, name string) Config {
	return Config{Name: name, TracerProvider: e.TP, MeterProvider: e.MP}
}
