// Package oteltest holds what the tests of internal/instrument and
// internal/multiplex share: in-memory SDK providers, miniredis clients and
// span lookups.
package oteltest
