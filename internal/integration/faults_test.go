package integration

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// fault is one fault injected into a running topology while a client is
// under load.
type fault struct {
	topology, name, server string

	inst   *rediscache.Instance
	health *health
	load   loadOptions

	// inject starts the fault; clear ends it (the server is back, with
	// its original password, and answering). The fault lasts at least
	// hold, and until /health answers 503.
	inject, clear func()
	hold          time.Duration
	// during, when set, runs while the fault is on (after /health
	// answered 503).
	during func()

	// victim is the address of the cluster node the fault hits, "" for
	// a standalone server.
	victim string

	// lossExpected: acknowledged writes may be missing afterwards.
	lossExpected bool
	note         string
}

const (
	warmUp = 300 * time.Millisecond // load before the fault
	settle = 500 * time.Millisecond // load after health is back
)

// run runs the load through the fault and checks what every fault must
// keep: each command returned (a value or an error) within the client's
// timeouts, no read returned another key's value, every acknowledged write
// is there afterwards (unless lossExpected), no error shows a password,
// and health went 503 and back to 200.
func (f fault) run(t *testing.T) (figure, result) {
	t.Helper()
	f.health.requireHealthy(t)
	var onVictim []bool
	if f.victim != "" {
		onVictim = slotsOf(t, f.inst.Client, f.victim)
	}
	ld := startLoad(f.inst.Client, f.load)
	time.Sleep(warmUp)

	injected := time.Now()
	f.inject()
	unhealthy := f.health.waitFor(t, http.StatusServiceUnavailable, injected, 15*time.Second)
	if f.during != nil {
		f.during()
	}
	sleepUntil(injected.Add(f.hold))
	f.clear()
	cleared := time.Now()
	healthy := f.health.waitFor(t, http.StatusOK, cleared, 15*time.Second)
	time.Sleep(settle)
	r := ld.stopLoad(t)

	fig := fromResult(figure{Topology: f.topology, Fault: f.name, Server: f.server, Note: f.note}, r)
	fig.Unhealthy, fig.HealthRecovery = unhealthy, healthy
	fig.Outage = cleared.Sub(injected)
	fig.ClientRecovery = clientRecovery(r, cleared)
	acked, failed := r.writes()
	fig.Acked = len(acked)
	fig.Found = existing(t, f.inst.Client, acked)
	fig.FailedApplied = existing(t, f.inst.Client, failed)
	if f.victim != "" {
		others := r.count(func(o op) bool { return o.err != nil && !onVictim[testserver.Slot(o.key)] })
		fig.Note = strings.TrimPrefix(fig.Note+fmt.Sprintf("; %d of the failed commands were on keys of the other primaries", others), "; ")
	}
	record(t, fig)

	r.checkErrors(t)
	if fig.Failed == 0 {
		t.Logf("no command failed: go-redis's retries outlasted the fault")
	}
	if fig.Attempted-fig.Failed == 0 {
		t.Errorf("no command succeeded")
	}
	if fig.WrongReads > 0 {
		t.Errorf("%d reads returned a value that was not written to their key", fig.WrongReads)
	}
	if !f.lossExpected {
		if fig.Found != fig.Acked {
			t.Errorf("%d of %d acknowledged writes are missing afterwards", fig.Acked-fig.Found, fig.Acked)
		}
		if n := r.count(func(o op) bool { return o.missing }); n > 0 {
			t.Errorf("%d reads found no value for an acknowledged write", n)
		}
	}
	if bound := commandBound(f.inst); fig.MaxLatency > bound {
		t.Errorf("a command took %v; the connection string's timeouts bound a command to %v", fig.MaxLatency, bound)
	}
	return fig, r
}

// commandBound is the longest a command may take under the client's
// options: go-redis retries a command that failed with a network error or
// timeout MaxRetries times (3 by default; MaxRedirects for a cluster), and
// each attempt may dial (DialTimeout, DialerRetries times) and wait for
// the reply (ReadTimeout), with a backoff of at most MaxRetryBackoff
// between attempts. A second of margin covers scheduling on a loaded
// machine and the race detector.
func commandBound(inst *rediscache.Instance) time.Duration {
	o := inst.Resolved.Connection.Options
	attempts := 4
	if o.MaxRetries > 0 {
		attempts = o.MaxRetries + 1
	}
	if len(o.Addrs) > 1 || o.IsClusterMode {
		attempts = 4 // MaxRedirects, 3 by default
	}
	backoff := o.MaxRetryBackoff
	if backoff <= 0 {
		backoff = 512 * time.Millisecond
	}
	dials := o.DialerRetries
	if dials <= 0 {
		dials = 5 // go-redis's default
	}
	perAttempt := time.Duration(dials)*o.DialTimeout + o.ReadTimeout + o.WriteTimeout
	return time.Duration(attempts)*perAttempt + time.Duration(attempts-1)*backoff + time.Second
}

// confirmReplicas returns once every primary's replica has confirmed a
// write (WAIT): right after its full sync, a Redis 7.0 replica receives
// nothing until its first REPLCONF ACK, sent once a second, and a failover
// in that second would lose every write since the sync. The fault tests
// measure the steady state. Each WAIT is shorter than the client's
// syncTimeout (a pipeline's replies are read under it), so it is repeated
// until the replica confirms, for at most 10 s.
func confirmReplicas(t *testing.T, c redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	owner := owners(t, c)
	err := c.(*redis.ClusterClient).ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		slot := slices.Index(owner, node.Options().Addr)
		if slot < 0 {
			return nil
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			pipe := node.Pipeline()
			pipe.Set(ctx, "replicas:"+testserver.HashTag(slot), "v", 0)
			wait := pipe.Do(ctx, "WAIT", 1, 300)
			if _, err := pipe.Exec(ctx); err != nil {
				return err
			}
			if n, _ := wait.Int(); n == 1 {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("primary %s: no replica confirmed a write (WAIT 1 300) within 10 s", node.Options().Addr)
			}
		}
	})
	if err != nil {
		t.Fatalf("replicas do not confirm writes: %v", err)
	}
}

// slotsOf returns which slots the node at addr serves, as the cluster
// client sees them.
func slotsOf(t *testing.T, c redis.UniversalClient, addr string) []bool {
	t.Helper()
	slots, err := c.ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatalf("CLUSTER SLOTS: %v", err)
	}
	owned := make([]bool, testserver.SlotCount)
	for _, s := range slots {
		if len(s.Nodes) > 0 && s.Nodes[0].Addr == addr {
			for i := s.Start; i <= s.End; i++ {
				owned[i] = true
			}
		}
	}
	return owned
}

// password returns a fresh password and registers it as a secret that
// must never be shown.
func password(t *testing.T, prefix string) string {
	t.Helper()
	pw := prefix + "-" + rand.Text()[:12]
	logs.secret(pw)
	return pw
}

func TestStandaloneFaults(t *testing.T) {
	parallel(t)
	testserver.EachBinary(t, func(t *testing.T, binary string) {
		server := serverVersion(binary)

		t.Run("SIGKILL and restart", func(t *testing.T) {
			parallel(t)
			pw := password(t, "kill")
			srv := testserver.Start(t, testserver.Options{Binary: binary, Password: pw, Args: aof})
			inst := client(t, srv.ConnectionString()+timeouts, nil)
			fault{
				topology: "standalone", name: "SIGKILL, restart on the same port (appendfsync always)", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "kill"},
				inject: srv.Kill, clear: func() { srv.Restart(t) }, hold: 3 * time.Second,
			}.run(t)
		})

		t.Run("stalled server", func(t *testing.T) {
			parallel(t)
			pw := password(t, "stall")
			srv := testserver.Start(t, testserver.Options{Binary: binary, Password: pw})
			proxy := testserver.NewStallProxy(t, srv.Addr)
			inst := client(t, proxy.Addr+",password="+pw+timeouts, nil)
			fault{
				topology: "standalone", name: "stops answering for 2 s (TCP stall)", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "stall"},
				inject: proxy.Stall, clear: proxy.Resume, hold: 2 * time.Second,
			}.run(t)
			// A deadline on the caller's context bounds a command below the
			// client's own timeouts.
			proxy.Stall()
			defer proxy.Resume()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := inst.Client.Set(ctx, "stall:deadline", "v", 0).Err()
			took := time.Since(start)
			t.Logf("SET with a 200ms context deadline on a stalled server: %v after %v", err, took)
			if err == nil {
				t.Error("SET on a stalled server succeeded")
			}
			if took > 200*time.Millisecond+time.Second {
				t.Errorf("SET with a 200ms deadline returned after %v", took)
			}
		})

		t.Run("restart with another password", func(t *testing.T) {
			parallel(t)
			pw, rotated := password(t, "old"), password(t, "rotated")
			srv := testserver.Start(t, testserver.Options{Binary: binary, Password: pw, Args: aof})
			inst := client(t, srv.ConnectionString()+timeouts, nil)
			f := fault{
				topology: "standalone", name: "restart with another password, then back", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "password"},
				inject: func() {
					srv.Restart(t, func(o *testserver.Options) { o.Password = rotated })
					// A client configured with the new password works at once.
					fresh := client(t, srv.Addr+",password="+rotated+timeouts, nil)
					if err := fresh.Client.Set(context.Background(), "password:fresh", "v", 0).Err(); err != nil {
						t.Errorf("client with the new password: %v", err)
					}
				},
				clear: func() { srv.Restart(t, func(o *testserver.Options) { o.Password = pw }) },
				hold:  time.Second,
				note:  "the server is restarted (SIGTERM) with a new password, then with the old one again; a client built with the new password worked meanwhile",
			}
			_, r := f.run(t)
			if n := r.count(func(o op) bool { return o.err != nil && errorKind(o.err) == "WRONGPASS" }); n == 0 {
				t.Errorf("no command failed with WRONGPASS; errors: %v", r.errorKinds())
			}
		})
	})
}

func TestClusterFaults(t *testing.T) {
	parallel(t)
	testserver.EachBinary(t, func(t *testing.T, binary string) {
		server := serverVersion(binary)

		t.Run("SIGKILL and restart of a primary", func(t *testing.T) {
			parallel(t)
			pw := password(t, "ckill")
			cl := testserver.StartCluster(t, testserver.ClusterOptions{Binary: binary, Password: pw, Args: aof})
			victim := cl.Primaries(t)[0]
			inst := client(t, cl.ConnectionString()+timeouts, nil)
			fault{
				topology: "cluster", name: "SIGKILL of one of 3 primaries, restart on the same port (appendfsync always)", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "ckill"}, victim: victim.Addr,
				inject: victim.Kill, clear: func() { victim.Restart(t) }, hold: 1500 * time.Millisecond,
				note: "down for less than cluster-node-timeout (3 s): only the keys of that primary's slots fail",
			}.run(t)
		})

		t.Run("SIGKILL of a primary with a replica", func(t *testing.T) {
			parallel(t)
			pw := password(t, "cfailover")
			cl := testserver.StartCluster(t, testserver.ClusterOptions{Binary: binary, Password: pw, Replicas: 1, Args: aof})
			victim := cl.Primaries(t)[0]
			inst := client(t, cl.ConnectionString()+timeouts, nil)
			confirmReplicas(t, inst.Client)
			// Every node groups each primary with its replicas in CLUSTER
			// SHARDS before the kill: Valkey 8.0.1 refuses to restart a
			// node killed while shard ids were settling (valkey#774).
			cl.WaitHealthy(t)
			slot := slices.Index(slotsOf(t, inst.Client, victim.Addr), true)
			fault{
				topology: "cluster", name: "SIGKILL of one of 3 primaries with a replica each: automatic failover", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "cfailover"}, victim: victim.Addr,
				inject: victim.Kill, clear: func() { waitPromoted(t, cl, victim, slot) },
				lossExpected: true,
				note: "the fault clears when the cluster has promoted the replica (cluster-node-timeout 3 s); replication is asynchronous, " +
					"so writes the primary acknowledged but had not sent to its replica are lost",
			}.run(t)
			victim.Restart(t) // back as a replica of the promoted one
			cl.WaitHealthy(t)
		})

		t.Run("stalled primary", func(t *testing.T) {
			parallel(t)
			pw := password(t, "cstall")
			cl := testserver.StartCluster(t, testserver.ClusterOptions{Binary: binary, Password: pw})
			victim := cl.Primaries(t)[0]
			proxy := testserver.NewStallProxy(t, victim.Addr)
			// The client reaches the victim through the proxy: a network
			// partition between the client and one node, which the other
			// nodes do not see.
			through := settings.ConfigureOptions(func(o *redis.UniversalOptions) {
				d := &net.Dialer{Timeout: o.DialTimeout}
				o.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
					if addr == victim.Addr {
						addr = proxy.Addr
					}
					return d.DialContext(ctx, network, addr)
				}
			})
			inst := client(t, cl.ConnectionString()+timeouts, nil, through)
			onVictim := slotsOf(t, inst.Client, victim.Addr)
			fault{
				topology: "cluster", name: "one primary stops answering the client for 2 s (TCP stall)", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "cstall"}, victim: victim.Addr,
				inject: proxy.Stall, clear: proxy.Resume, hold: 2 * time.Second,
				during: func() {
					// Keys on the other primaries are served meanwhile.
					ctx := context.Background()
					for i, n := 0, 0; n < 10; i++ {
						k := fmt.Sprintf("cstall:other:%d", i)
						if onVictim[testserver.Slot(k)] {
							continue
						}
						n++
						if err := inst.Client.Set(ctx, k, "v", 0).Err(); err != nil {
							t.Errorf("SET %s on another primary while one is stalled: %v", k, err)
						}
					}
				},
			}.run(t)
		})

		t.Run("primary restarts with another password", func(t *testing.T) {
			parallel(t)
			pw, rotated := password(t, "cold"), password(t, "crotated")
			cl := testserver.StartCluster(t, testserver.ClusterOptions{Binary: binary, Password: pw, Args: aof})
			victim := cl.Primaries(t)[0]
			inst := client(t, cl.ConnectionString()+timeouts, nil)
			_, r := fault{
				topology: "cluster", name: "one primary restarts with another password, then back", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "cpassword"}, victim: victim.Addr,
				inject: func() { victim.Restart(t, func(o *testserver.Options) { o.Password = rotated }) },
				clear:  func() { victim.Restart(t, func(o *testserver.Options) { o.Password = pw }) },
				hold:   time.Second,
			}.run(t)
			if n := r.count(func(o op) bool { return o.err != nil && errorKind(o.err) == "WRONGPASS" }); n == 0 {
				t.Errorf("no command failed with WRONGPASS; errors: %v", r.errorKinds())
			}
		})
	})
}

// waitPromoted waits until slot, served by victim before it was killed,
// has moved to another node (its promoted replica) and the cluster is
// healthy again.
func waitPromoted(t *testing.T, cl *testserver.Cluster, victim *testserver.Server, slot int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for cl.SlotOwner(t, slot) == victim {
		if time.Now().After(deadline) {
			t.Fatalf("30s after the kill, the slots of %s have not moved to its replica", victim.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cl.WaitHealthy(t)
}
