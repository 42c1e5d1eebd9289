// Package depcheck holds only a test and the module's one table of
// forbidden dependencies: the packages every service links (settings,
// telemetry, healthcheck, rediscache, keyed, fxmodule) link the
// OpenTelemetry API only, and none of the heavy optional dependencies
// (the OpenTelemetry SDK, gRPC, the exporters, the Azure SDK, rueidis)
// that other packages of the module bring in (otlp, azureauth, the
// benchmark).
package depcheck
