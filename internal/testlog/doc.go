// Package testlog keeps library log lines out of a green test run and
// next to the test they belong to.
//
// [Logger] gives a test a *slog.Logger that writes to t.Output(): its lines
// show with -v or when the test fails, under the test's name. [Main] wraps a
// package's testing.M so that what still reaches slog.Default() or
// go-redis's process-wide logger (code under test that was given no
// logger) is kept in memory and printed only when the run fails.
package testlog
