package rediscache_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// connect builds the client "cache" from conn through the public API,
// starts it (abortConnect=true makes Start fail loudly), and closes it when
// the test ends.
func connect(t *testing.T, conn string, opts ...settings.Option) (*rediscache.Instance, error) {
	t.Helper()
	cfg := config(t, map[string]any{"ConnectionStrings:cache": conn})
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg}, opts...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = inst.Close() })
	return inst, inst.Start(context.Background())
}

// clientListLine returns the CLIENT LIST line of the connection behind c.
func clientListLine(t *testing.T, srv *testserver.Server, c redis.UniversalClient) string {
	t.Helper()
	id, err := c.ClientID(context.Background()).Result()
	if err != nil {
		t.Fatalf("CLIENT ID: %v", err)
	}
	list := fmt.Sprint(srv.Do(t, "CLIENT", "LIST", "ID", id))
	if list == "" {
		t.Fatalf("CLIENT LIST ID %d is empty", id)
	}
	return list
}

func TestRealServer(t *testing.T) {
	testserver.EachBinary(t, func(t *testing.T, binary string) {
		t.Run("password", func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{Binary: binary, Password: "p@ss=w0rd"})
			inst, err := connect(t, srv.Addr+",password=p@ss=w0rd,abortConnect=true")
			if err != nil {
				t.Fatal(err)
			}
			if err := inst.Client.Set(context.Background(), "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			_, err = connect(t, srv.Addr+",password=wrong-secret,abortConnect=true")
			if err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
				t.Fatalf("wrong password: err = %v, want WRONGPASS", err)
			}
			if strings.Contains(err.Error(), "wrong-secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
		t.Run("ACL user", func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{Binary: binary, Users: []testserver.User{
				{Name: "alice", Password: "alice-secret", Rules: []string{"~app:*", "+@all"}},
			}})
			inst, err := connect(t, srv.Addr+",user=alice,password=alice-secret,abortConnect=true")
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if who, err := inst.Client.Do(ctx, "ACL", "WHOAMI").Text(); err != nil || who != "alice" {
				t.Fatalf("ACL WHOAMI = %q, %v", who, err)
			}
			if err := inst.Client.Set(ctx, "app:1", "v", 0).Err(); err != nil {
				t.Errorf("SET in alice's key space: %v", err)
			}
			if err := inst.Client.Set(ctx, "other", "v", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
				t.Errorf("SET outside alice's key space: err = %v, want NOPERM", err)
			}
		})
		t.Run("defaultDatabase and name", func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{Binary: binary})
			inst, err := connect(t, srv.Addr+",defaultDatabase=7,name=orders-api,abortConnect=true")
			if err != nil {
				t.Fatal(err)
			}
			if err := inst.Client.Set(context.Background(), "in-db-7", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			o := srv.ClientOptions()
			o.DB = 7
			raw := redis.NewClient(o)
			defer raw.Close()
			if n, err := raw.Exists(context.Background(), "in-db-7").Result(); err != nil || n != 1 {
				t.Errorf("EXISTS in-db-7 in DB 7 = %d, %v; want 1", n, err)
			}
			line := clientListLine(t, srv, inst.Client)
			for _, want := range []string{"name=orders-api", "db=7"} {
				if !strings.Contains(line, want) {
					t.Errorf("CLIENT LIST %q lacks %s", line, want)
				}
			}
		})
		t.Run("protocol", func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{Binary: binary})
			for _, tt := range []struct{ value, want string }{
				{"resp2", "resp=2"}, {"resp3", "resp=3"}, {"2", "resp=2"}, {"3", "resp=3"},
			} {
				inst, err := connect(t, srv.Addr+",protocol="+tt.value+",abortConnect=true")
				if err != nil {
					t.Fatal(err)
				}
				if line := clientListLine(t, srv, inst.Client); !strings.Contains(line, tt.want) {
					t.Errorf("protocol=%s: CLIENT LIST %q lacks %s", tt.value, line, tt.want)
				}
			}
		})
		t.Run("unix socket", func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{Binary: binary, Unix: true})
			for _, conn := range []string{"unix://" + srv.UnixPath, "!" + srv.UnixPath + ",abortConnect=true"} {
				inst, err := connect(t, conn)
				if err != nil {
					t.Fatalf("%s: %v", conn, err)
				}
				if line := clientListLine(t, srv, inst.Client); !strings.Contains(line, "flags=U") && !strings.Contains(line, "laddr="+srv.UnixPath) {
					t.Errorf("%s: CLIENT LIST %q does not show a unix-socket connection", conn, line)
				}
			}
		})
		t.Run("TLS", func(t *testing.T) {
			srv := testserver.Start(t, testserver.Options{Binary: binary, TLS: true})
			trust := func(pool *x509.CertPool) settings.Option {
				return settings.ConfigureOptions(func(o *redis.UniversalOptions) {
					if o.TLSConfig != nil {
						o.TLSConfig.RootCAs = pool
					}
				})
			}
			inst, err := connect(t, srv.Addr+",ssl=true,sslHost=localhost,abortConnect=true", trust(srv.TLS.CAPool))
			if err != nil {
				t.Fatalf("trusted CA: %v", err)
			}
			if err := inst.Client.Set(context.Background(), "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			_, err = connect(t, srv.Addr+",ssl=true,abortConnect=true", trust(srv.TLS.UntrustedCAPool))
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &unknown) {
				t.Fatalf("untrusted CA: err = %v, want x509.UnknownAuthorityError", err)
			}
			if !strings.Contains(err.Error(), `client "cache"`) || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
				t.Errorf("untrusted CA error is not clear: %v", err)
			}
			_, err = connect(t, srv.Addr+",abortConnect=true,connectTimeout=1000", trust(srv.TLS.CAPool))
			if err == nil {
				t.Error("plain-text client connected to a TLS-only server")
			}
		})
	})
}
