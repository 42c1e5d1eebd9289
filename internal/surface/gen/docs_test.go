package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCachedReadsDocumented checks that the list of cached commands in
// docs/multiplexing.md is CachedReads.
func TestCachedReadsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../../docs/multiplexing.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "### Cached commands")
	if !ok {
		t.Fatal("docs/multiplexing.md has no Cached commands section")
	}
	sec, _, _ = strings.Cut(sec, "Everything else")
	var got []string
	for _, m := range regexp.MustCompile("`([A-Za-z]+)`").FindAllStringSubmatch(sec, -1) {
		got = append(got, m[1])
	}
	got = slices.DeleteFunc(got, func(s string) bool { return s == "UniversalClient" })
	if !slices.Equal(got, CachedReads) {
		t.Errorf("docs list %v\nCachedReads %v", got, CachedReads)
	}
}
