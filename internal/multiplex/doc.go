// Package multiplex is a client's multiplexed mode: go-redis's auto-pipeliner
// and client-side cache behind the client the application gets.
//
// Every command is still recorded under its caller (Settings.AutoPipelining,
// Settings.ClientSideCaching).
//
// Configure sets the go-redis options of the mode and Mode.Install builds the
// front: go-redis's auto-pipeliner wrapped by internal/surface's generated
// client, whose per-command observer (multiplexed.go) records a span and a
// duration sample per command through internal/instrument, as the plain
// hooks do; the client-side cache (Cache, over go-redis's LocalCache, with
// its metrics) and GET's fast path in front of it (front.go); the deadline
// of auto-pipelined batches under a stalled server (BatchDeadline). See
// docs/multiplexing.md.
package multiplex
