package settings_test

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/settings"
)

// TestAzureDefaultsAgainstTLSServer resolves Azure host names and talks to a
// local TLS-only redis-server through them: the dialer sends every Azure
// address to the loopback server (the host-name override), and does TLS
// with exactly the tls.Config the connection string produced, trusting the
// test CA and checking the name the server's certificate holds. A
// connection without the Azure default (TLS off) fails against the same
// server.
func TestAzureDefaultsAgainstTLSServer(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{TLS: true})
	port := strconv.Itoa(srv.Port)
	tests := []struct {
		name    string
		cs      string
		wantTLS bool
	}{
		{"Azure Managed Redis: TLS by default", "contoso.redis.azure.net:" + port, true},
		{"Azure Cache for Redis on 6380: TLS by default", "contoso.redis.cache.windows.net:6380", true},
		{"Azure Cache for Redis on 6379: no TLS", "contoso.redis.cache.windows.net:6379", false},
		{"not Azure: no TLS", "contoso.example.com:" + port, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			override := settings.ConfigureOptions(func(o *redis.UniversalOptions) {
				o.DialTimeout, o.ReadTimeout, o.WriteTimeout = 3*time.Second, 3*time.Second, 3*time.Second
				o.MaxRetries, o.DialerRetries = -1, 1
				cfg := o.TLSConfig // as parsed, nil when TLS is off
				o.Dialer = func(ctx context.Context, _, _ string) (net.Conn, error) {
					var d net.Dialer
					conn, err := d.DialContext(ctx, "tcp", srv.Addr)
					if err != nil || cfg == nil {
						return conn, err
					}
					c := cfg.Clone()
					c.RootCAs = srv.TLS.CAPool
					c.ServerName = "localhost" // the test certificate's name, for the Azure name
					tc := tls.Client(conn, c)
					if err := tc.HandshakeContext(ctx); err != nil {
						_ = conn.Close()
						return nil, err
					}
					return tc, nil
				}
			})
			r, err := settings.Resolve(nil, "cache", settings.WithConnectionString(tt.cs), override)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Connection.Options.TLSConfig != nil; got != tt.wantTLS {
				t.Fatalf("TLS = %v, want %v (%v)", got, tt.wantTLS, r.Connection)
			}
			client := redis.NewUniversalClient(r.Connection.Options)
			t.Cleanup(func() { _ = client.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err = client.Set(ctx, "azure", tt.name, 0).Err()
			if tt.wantTLS && err != nil {
				t.Fatalf("SET over TLS: %v", err)
			}
			if !tt.wantTLS && err == nil {
				t.Fatal("SET in plain text against a TLS-only server succeeded")
			}
			if tt.wantTLS {
				if v, err := client.Get(ctx, "azure").Result(); err != nil || v != tt.name {
					t.Fatalf("GET = %q, %v", v, err)
				}
			}
		})
	}
}
