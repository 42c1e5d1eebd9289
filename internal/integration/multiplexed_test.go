package integration

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// The fault suites again, with auto-pipelining on: every command rides a
// batch that other callers' commands share, and a fault fails or delays
// the whole batch. What every fault must keep is the same (see fault.run):
// every command returns to its caller, with its own error, within the
// client's timeouts; no acknowledged write is lost (but in a failover);
// no read returns another key's value; no password in an error. The
// package's TestMain checks for leaked goroutines; each test checks that
// closing the client leaves no connection open on the server.

// muxWorkers share one client, so that batches hold several commands.
const muxWorkers = 16

// muxClient is client with auto-pipelining on.
func muxClient(t *testing.T, conn string, opts ...settings.Option) *rediscache.Instance {
	t.Helper()
	return client(t, conn, nil, append(opts, settings.EnableAutoPipelining())...)
}

// noConnectionsLeft closes inst and waits until srv has no client
// connection but the one asking.
func noConnectionsLeft(t *testing.T, inst *rediscache.Instance, srv *testserver.Server) {
	t.Helper()
	if err := inst.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, _ := strconv.Atoi(srv.Info(t, "clients")["connected_clients"])
		if n <= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d connections still open on %s 5s after Close", n-1, srv.Addr)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMultiplexedFaults(t *testing.T) {
	testserver.EachBinary(t, func(t *testing.T, binary string) {
		server := serverVersion(binary)

		t.Run("SIGKILL and restart", func(t *testing.T) {
			t.Parallel()
			pw := password(t, "apkill")
			srv := testserver.Start(t, testserver.Options{Binary: binary, Password: pw, Args: aof})
			inst := muxClient(t, srv.ConnectionString()+timeouts)
			fault{
				topology: "standalone", name: "auto-pipelined: SIGKILL, restart on the same port (appendfsync always)", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "apkill", workers: muxWorkers},
				inject: srv.Kill, clear: func() { srv.Restart(t) }, hold: 2 * time.Second,
			}.run(t)
			noConnectionsLeft(t, inst, srv)
		})

		t.Run("stalled server", func(t *testing.T) {
			t.Parallel()
			pw := password(t, "apstall")
			srv := testserver.Start(t, testserver.Options{Binary: binary, Password: pw})
			proxy := testserver.NewStallProxy(t, srv.Addr)
			inst := muxClient(t, proxy.Addr+",password="+pw+timeouts)
			fault{
				topology: "standalone", name: "auto-pipelined: stops answering for 2 s (TCP stall)", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "apstall", workers: muxWorkers},
				inject: proxy.Stall, clear: proxy.Resume, hold: 2 * time.Second,
			}.run(t)
			noConnectionsLeft(t, inst, srv)
		})

		t.Run("restart with another password", func(t *testing.T) {
			t.Parallel()
			pw, rotated := password(t, "apold"), password(t, "aprotated")
			srv := testserver.Start(t, testserver.Options{Binary: binary, Password: pw, Args: aof})
			inst := muxClient(t, srv.ConnectionString()+timeouts)
			_, r := fault{
				topology: "standalone", name: "auto-pipelined: restart with another password, then back", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "appassword", workers: muxWorkers},
				inject: func() { srv.Restart(t, func(o *testserver.Options) { o.Password = rotated }) },
				clear:  func() { srv.Restart(t, func(o *testserver.Options) { o.Password = pw }) },
				hold:   time.Second,
			}.run(t)
			if n := r.count(func(o op) bool { return o.err != nil && errorKind(o.err) == "WRONGPASS" }); n == 0 {
				t.Errorf("no command failed with WRONGPASS; errors: %v", r.errorKinds())
			}
			noConnectionsLeft(t, inst, srv)
		})

		t.Run("cluster failover", func(t *testing.T) {
			t.Parallel()
			pw := password(t, "apcfailover")
			cl := testserver.StartCluster(t, testserver.ClusterOptions{Binary: binary, Password: pw, Replicas: 1, Args: aof})
			victim := cl.Primaries(t)[0]
			inst := muxClient(t, cl.ConnectionString()+timeouts)
			confirmReplicas(t, client(t, cl.ConnectionString()+timeouts, nil).Client)
			slot := slices.Index(slotsOf(t, inst.Client, victim.Addr), true)
			fault{
				topology: "cluster", name: "auto-pipelined: SIGKILL of one of 3 primaries with a replica each: automatic failover", server: server,
				inst: inst, health: newHealth(t, inst), load: loadOptions{prefix: "apcfailover", workers: muxWorkers}, victim: victim.Addr,
				inject: victim.Kill, clear: func() { waitPromoted(t, cl, victim, slot) },
				lossExpected: true,
				note:         "replication is asynchronous: writes the primary acknowledged but had not sent to its replica are lost",
			}.run(t)
		})

		t.Run("sentinel failover", func(t *testing.T) {
			t.Parallel()
			pw, spw := password(t, "apdata"), password(t, "apsentinel")
			set := testserver.StartSentinel(t, testserver.SentinelOptions{Binary: binary, Password: pw, SentinelPassword: spw})
			ctx := context.Background()
			inst := muxClient(t, set.ConnectionString()+timeouts)
			if n, err := inst.Client.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
				t.Fatalf("WAIT 1 5000 = %d, %v", n, err)
			}
			h := newHealth(t, inst)
			h.requireHealthy(t)
			target := set.Replica()
			obs := observeFailover(t, set, target, spw)
			ld := startLoad(inst.Client, loadOptions{prefix: "apfailover", workers: muxWorkers})
			// Two more workers confirm each write with WAIT 1 100.
			confirmed := startLoad(inst.Client, loadOptions{prefix: "apconfirmed", workers: 2, confirm: 1})
			time.Sleep(warmUp)
			old := set.PrimaryAddr()
			started := time.Now()
			sentinelFailover(t, set)
			// The old primary replicates what it takes until the promotion:
			// only a write that reaches the promoted replica afterwards is
			// proof that the client writes to it.
			obs.waitPromoted(t)
			var landed time.Time
			for i := 0; ; i++ {
				key := fmt.Sprintf("apfailover:probe:%d", i)
				if err := inst.Client.Set(ctx, key, "v", 0).Err(); err == nil {
					if v, err := target.DoErr("GET", key); err == nil && v == "v" {
						landed = time.Now()
						break
					}
				}
				if time.Since(started) > 20*time.Second {
					t.Fatalf("20s after SENTINEL FAILOVER, writes through the auto-pipelined client do not reach %s", target.Addr)
				}
				time.Sleep(10 * time.Millisecond)
			}
			set.WaitFailover(t, old)
			time.Sleep(settle)
			r := ld.stopLoad(t)
			rc := confirmed.stopLoad(t)
			h.requireHealthy(t)
			r.checkErrors(t)
			rc.checkErrors(t)
			// No write the replica confirmed is lost, and none acknowledged
			// once writes reached the promoted replica.
			ackedc, _ := rc.writes()
			if found := existing(t, inst.Client, ackedc); found != len(ackedc) {
				t.Errorf("%d of %d writes confirmed by WAIT are missing after the failover", len(ackedc)-found, len(ackedc))
			}
			var late []string
			for _, o := range r.ops {
				if o.write && o.err == nil && o.start.After(landed) {
					late = append(late, o.key)
				}
			}
			if found := existing(t, inst.Client, late); found != len(late) {
				t.Errorf("%d of %d writes acknowledged after writes reached the new primary are missing", len(late)-found, len(late))
			}
			fig := fromResult(figure{Topology: "sentinel", Fault: "auto-pipelined: SENTINEL FAILOVER", Server: server,
				Note: fmt.Sprintf("writes through the client reached the promoted replica %s after SENTINEL FAILOVER; "+
					"writes the old primary took before that are lost, as without auto-pipelining; "+
					"none confirmed with WAIT and none acknowledged afterwards was lost", ms(landed.Sub(started)))}, r)
			acked, failed := r.writes()
			fig.Acked = len(acked)
			fig.Found = existing(t, inst.Client, acked)
			fig.FailedApplied = existing(t, inst.Client, failed)
			record(t, fig)
			if fig.WrongReads > 0 {
				t.Errorf("%d reads returned a value that was not written to their key", fig.WrongReads)
			}
			if bound := commandBound(inst); fig.MaxLatency > bound {
				t.Errorf("a command took %v; the timeouts bound a command to %v", fig.MaxLatency, bound)
			}
		})
	})
}
