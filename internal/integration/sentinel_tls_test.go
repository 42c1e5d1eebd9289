package integration

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/settings"
)

// TestSentinelTLS runs a sentinel set that serves TLS only, sentinels and
// data nodes with their own certificates: the sentinels' valid for
// "localhost" only, the data nodes' for 127.0.0.1 only (the address the
// sentinels report). The connection string names the sentinels by host
// name, so a client that verified the data nodes under the sentinels'
// name ("localhost", the connection string's common host) would fail
// every command: each connection must be verified under its own host, as
// StackExchange.Redis does when sslHost is not set.
func TestSentinelTLS(t *testing.T) {
	testserver.EachBinary(t, func(t *testing.T, binary string) {
		pw := password(t, "data")
		set := testserver.StartSentinel(t, testserver.SentinelOptions{Binary: binary, Password: pw, TLS: true})
		sentinel := set.Sentinels[0]
		_, port, _ := net.SplitHostPort(sentinel.Addr)
		conn := net.JoinHostPort(testserver.SentinelCertName, port) + ",serviceName=" + set.MasterName +
			",password=" + pw + ",ssl=true" + timeouts
		trust := settings.ConfigureOptions(func(o *redis.UniversalOptions) { o.TLSConfig.RootCAs = sentinel.TLS.CAPool })
		inst := client(t, conn, nil, trust)
		if got := inst.Resolved.Connection.Topology; got != settings.Sentinel {
			t.Fatalf("topology = %v, want sentinel", got)
		}
		ctx := context.Background()
		if err := inst.Client.Set(ctx, "sentinel:tls", "v", 0).Err(); err != nil {
			t.Fatalf("SET through a TLS sentinel set: %v", err)
		}
		if got, err := inst.Client.Get(ctx, "sentinel:tls").Result(); err != nil || got != "v" {
			t.Fatalf("GET = %q, %v", got, err)
		}
		newHealth(t, inst).requireHealthy(t)

		// sslHost, when set, is the name of every server, sentinels and
		// data nodes alike: here it matches neither certificate fully,
		// so the first one verified, a sentinel's, fails.
		bad := client(t, conn+",sslHost=data.test", nil, trust)
		err := bad.Client.Ping(ctx).Err()
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("PING with sslHost=data.test: err = %v, want a certificate error", err)
		}
		t.Logf("sentinels verified as %q, data nodes as %q; data node port %s", testserver.SentinelCertName, testserver.DataCertName,
			strconv.Itoa(set.Primary().Port))
	})
}
