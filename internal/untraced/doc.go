// Package untraced marks a context whose Redis commands our telemetry hooks
// must not record, such as health-check PINGs.
package untraced
