// Package depcheck holds only a test: the rule that the instrumentation
// packages of this module link the OpenTelemetry API only, and none of the
// heavy optional dependencies (the OpenTelemetry SDK, gRPC, the Azure SDK,
// rueidis) that other packages of the module bring in.
package depcheck
