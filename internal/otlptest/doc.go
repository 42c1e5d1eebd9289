// Package otlptest is an in-process OTLP receiver for tests: OTLP/HTTP
// (protobuf) or OTLP/gRPC, plain or TLS with a self-signed certificate,
// optionally rejecting requests without the API key header the Aspire
// dashboard requires (x-otlp-api-key). It keeps what it receives: spans,
// metrics and log records, with their resources.
package otlptest
