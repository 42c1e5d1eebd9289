package main

import (
	"testing"

	"github.com/aspirego/redis/internal/testserver"
)

// TestParentage checks the span parentage that docs/benchmarks.md
// ("FullDuplex") reports: the wrapper and go-redis's full-duplex
// auto-pipeliner give every command a span under its caller's span; the
// half-duplex auto-pipeliner's hooks see only batches, whose spans have
// no caller.
func TestParentage(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	o := options{c: 8}
	const callers = 16
	tests := []struct {
		variant      string
		wantParented int
	}{
		{"ap+tracing+metrics", callers},
		{"fd+tracing+metrics", callers},
		{"hd+tracing+metrics", 0},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			p, err := checkParentage(o, srv.Addr, tt.variant, callers)
			if err != nil {
				t.Fatal(err)
			}
			t.Log(p)
			if p.parented != tt.wantParented {
				t.Errorf("%s: %v; want %d callers with their command's span as child", tt.variant, p, tt.wantParented)
			}
			if tt.wantParented == callers && p.spans != callers {
				t.Errorf("%s: %d client spans, want one per caller (%d)", tt.variant, p.spans, callers)
			}
		})
	}
}
