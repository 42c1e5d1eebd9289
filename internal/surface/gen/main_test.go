package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedIsCurrent fails when ../client_gen.go is not what the
// generator makes from the go-redis version in go.mod: run go generate in
// internal/surface.
func TestGeneratedIsCurrent(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../client_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("internal/surface/client_gen.go is stale: run go generate ./internal/surface")
	}
}
