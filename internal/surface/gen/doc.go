// Command gen writes internal/surface/client_gen.go: one method of
// surface.Client for every method of redis.UniversalClient, read by
// reflection from the go-redis version in go.mod. Run it with go generate
// in internal/surface after upgrading go-redis; TestGeneratedIsCurrent
// fails while the checked-in file is stale.
package main
