// Package multiplex holds the multiplexed mode's own machinery, beside the
// generated wrapper in internal/surface: the deadline of auto-pipelined
// batches under a stalled server (BatchDeadline).
package multiplex
