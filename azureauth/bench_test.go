package azureauth

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
)

// BenchmarkStreamingCredentials compares GET on a client authenticated by
// the Provider (go-redis's re-auth pool hook on every Get and Put) with one
// authenticated by a static password, against one real server.
//
//	go test ./azureauth -run '^$' -bench StreamingCredentials -benchtime 2s
func BenchmarkStreamingCredentials(b *testing.B) {
	srv := testserver.Start(b, testserver.Options{Password: "admin-not-a-token"})
	srv.Do(b, "ACL", "SETUSER", testOID, "on", "~*", "&*", "+@all", ">static-password")
	cred := &fakeCredential{oid: testOID, lifetime: time.Hour}
	cred.onIssue = func(tok string, _ time.Time) error {
		_, err := srv.DoErr("ACL", "SETUSER", testOID, ">"+tok)
		return err
	}
	p, err := newProvider(cred, "", Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	for _, bc := range []struct {
		name string
		opt  redis.Options
	}{
		{"password", redis.Options{Addr: srv.Addr, Username: testOID, Password: "static-password"}},
		{"entra-id", redis.Options{Addr: srv.Addr, StreamingCredentialsProvider: p}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := redis.NewClient(&bc.opt)
			defer c.Close()
			ctx := context.Background()
			if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.Get(ctx, "k").Err(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
