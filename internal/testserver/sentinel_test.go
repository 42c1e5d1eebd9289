package testserver

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	set := StartSentinel(t, SentinelOptions{Sentinels: 3, Password: "data-pw", SentinelPassword: "sentinel-pw"})
	if len(set.Sentinels) != 3 || len(set.Nodes) != 2 {
		t.Fatalf("%d sentinels, %d nodes", len(set.Sentinels), len(set.Nodes))
	}
	old := set.PrimaryAddr()
	if old != set.Nodes[0].Addr || set.SentinelPrimaryAddr(t) != old || set.Replica() != set.Nodes[1] {
		t.Fatalf("primary %s, sentinel says %s, nodes %s %s", old, set.SentinelPrimaryAddr(t), set.Nodes[0].Addr, set.Nodes[1].Addr)
	}
	if cs := set.ConnectionString(); !strings.Contains(cs, ",serviceName=mymaster,password=data-pw,sentinelPassword=sentinel-pw") {
		t.Fatal("ConnectionString lacks serviceName or passwords")
	}
	// Sentinels require their password.
	if _, err := (&Server{Host: "127.0.0.1", Addr: set.Sentinels[0].Addr}).DoErr("PING"); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("PING a sentinel without its password: %v, want NOAUTH", err)
	}

	o := set.ClientOptions()
	o.MaxRetries = -1
	o.DialerRetries = 1
	fc := redis.NewFailoverClient(o)
	t.Cleanup(func() { fc.Close() })
	ctx := ctxT(t, 30*time.Second)
	if err := fc.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatalf("SET before failover: %v", err)
	}

	addr := set.Failover(t)
	if addr == old || addr != set.Nodes[1].Addr || set.PrimaryAddr() != addr || set.Primary() != set.Nodes[1] {
		t.Fatalf("after Failover: %s (was %s), PrimaryAddr %s", addr, old, set.PrimaryAddr())
	}
	// The old primary is a replica now and refuses writes.
	if _, err := set.Nodes[0].DoErr("SET", "k", "stale"); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
		t.Fatalf("SET on the old primary: %v, want READONLY", err)
	}
	// go-redis follows the sentinels to the new primary (its pooled
	// connection to the old one may fail once).
	if err := waitFor("failover client writes to "+addr, 10*time.Second, func() error {
		return fc.Set(ctx, "k", "after", 0).Err()
	}); err != nil {
		t.Fatal(err)
	}
	if v := set.Primary().Do(t, "GET", "k"); v != "after" {
		t.Fatalf("GET k on the new primary = %v", v)
	}
}

func TestSentinelAutomaticFailover(t *testing.T) {
	t.Parallel()
	set := StartSentinel(t, SentinelOptions{})
	old := set.PrimaryAddr()
	set.Primary().Kill()
	addr := set.WaitFailover(t, old)
	if addr != set.Nodes[1].Addr {
		t.Fatalf("new primary %s, want %s", addr, set.Nodes[1].Addr)
	}
	// The old primary comes back as a replica of the new one.
	set.Nodes[0].Restart(t)
	if err := waitFor("old primary replicates", 10*time.Second, func() error { return replicaOf(set.Nodes[0], addr) }); err != nil {
		t.Fatal(err)
	}
	// And a forced failover brings it back.
	if got := set.Failover(t); got != old {
		t.Fatalf("second failover: %s, want %s", got, old)
	}
}
