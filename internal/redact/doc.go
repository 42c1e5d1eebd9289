// Package redact is the module's one secret scrubber for free text, and the
// fmt and JSON plumbing that keeps secrets out of printed values.
//
// Health reports, the go-redis log bridge, redis-doctor and the test
// harness pass their output through a [Scrubber]; package settings prints
// its types through [Format] and [JSON].
package redact
