package main

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
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

// odd has a method whose signature the generator cannot write, between
// two it can.
type odd interface {
	Get(ctx context.Context, key string) *redis.StringCmd
	Odd(ctx context.Context, opt struct{ N int }) *redis.StatusCmd
	Ping(ctx context.Context) *redis.StatusCmd
}

// TestGenerateSkipsWhatItCannotWrite: a method with a type the generator
// cannot spell is left out and named in the header, so that generating
// against a newer go-redis never fails (surface.Client gets the method by
// promotion); the others are generated.
func TestGenerateSkipsWhatItCannotWrite(t *testing.T) {
	src, err := generate(reflect.TypeFor[odd]())
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	if !strings.Contains(s, "// Not generated, promoted instead: Odd (unsupported type struct { N int }).") {
		t.Errorf("the header does not name Odd:\n%s", s)
	}
	for _, want := range []string{"func (c *Client) Get(", "func (c *Client) Ping("} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in:\n%s", want, s)
		}
	}
	if strings.Contains(s, "func (c *Client) Odd(") {
		t.Errorf("Odd generated:\n%s", s)
	}
}
