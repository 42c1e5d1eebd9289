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
// upgrade (TestGeneratedIsCurrent in ./gen fails until then). The build
// never fails because go-redis added a method: Client gets it by promotion
// (see Client), which internal/fwdcompat checks against a copy of go-redis
// with one more command.
package surface

//go:generate go run ./gen -o client_gen.go
