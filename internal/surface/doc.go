// Package surface wraps a redis.UniversalClient so that every command is
// seen where the caller issues it, on the caller's goroutine and with the
// caller's context, before and after it runs.
//
// It exists for the multiplexed mode: go-redis's auto-pipeliner runs
// commands in batches on a background context, so hooks on the client see
// one PIPELINE per batch and no caller; an Observer on a surface.Client sees
// each command with its caller's context instead.
//
// client_gen.go holds one method per method of redis.UniversalClient and is
// generated from the go-redis version in go.mod; regenerate it after an
// upgrade (TestGeneratedIsCurrent in ./gen fails until then, and the build
// fails when the interface gained a method).
package surface

//go:generate go run ./gen -o client_gen.go
