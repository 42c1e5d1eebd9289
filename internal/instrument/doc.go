// Package instrument records the commands of go-redis clients as
// OpenTelemetry spans and metrics; package telemetry is its public face.
//
// What is recorded, and why, is the package documentation of telemetry.
// Instrument installs the hooks (hook.go) on a client and its nodes; the
// multiplexed mode's observer (internal/multiplex) records through the
// same Instrumentation (observe.go), so both modes name, classify and
// withhold alike.
package instrument
