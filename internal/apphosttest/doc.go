// Package apphosttest runs an example service as a process of its own with
// exactly the environment an Aspire AppHost gives an executable, for the
// examples' end-to-end tests: the variables WithReference(redis) and
// WithOtlpExporter() inject (facts read from microsoft/aspire, see Redis
// and OTLP), and a child process to start, call, stop and read.
//
// A process of its own matters: Go reads SSL_CERT_DIR once per process, and
// the otel globals and flags of a test binary would leak into an
// in-process run.
package apphosttest
