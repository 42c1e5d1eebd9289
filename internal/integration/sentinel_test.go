package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/settings"
)

// healthWatch polls /health in the background and remembers when it
// answered 503.
type healthWatch struct {
	stop chan struct{}
	done chan struct{}

	mu                   sync.Mutex
	firstBad, lastBad    time.Time
	polls, unhealthyPoll int
}

func watchHealth(h *health) *healthWatch {
	w := &healthWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			code, _ := h.get()
			now := time.Now()
			w.mu.Lock()
			w.polls++
			if code != http.StatusOK {
				w.unhealthyPoll++
				if w.firstBad.IsZero() {
					w.firstBad = now
				}
				w.lastBad = now
			}
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *healthWatch) close() {
	close(w.stop)
	<-w.done
}

func TestSentinel(t *testing.T) {
	parallel(t)
	testserver.EachBinary(t, func(t *testing.T, binary string) {
		pw, spw := password(t, "data"), password(t, "sentinel")
		set := testserver.StartSentinel(t, testserver.SentinelOptions{Binary: binary, Password: pw, SentinelPassword: spw})
		ctx := context.Background()

		// 127.0.0.1:<sentinel port>,serviceName=mymaster,password=...,sentinelPassword=...
		conn := set.ConnectionString() + timeouts
		inst := client(t, conn, nil)
		if got := inst.Resolved.Connection.Topology; got != settings.Sentinel {
			t.Fatalf("topology = %v, want sentinel", got)
		}
		if _, ok := inst.Client.(*redis.Client); !ok {
			t.Fatalf("client is %T, want the *redis.Client of a failover client", inst.Client)
		}
		checkNoSecret(t, "the resolved client", fmt.Sprint(inst.Resolved))
		if err := inst.Client.Set(ctx, "sentinel:first", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v := set.Primary().Do(t, "GET", "sentinel:first"); v != "v" {
			t.Fatalf("GET on the primary %s = %v, want the client's write", set.PrimaryAddr(), v)
		}
		// Right after its full sync, a Redis 7.0 replica receives nothing
		// until its first REPLCONF ACK (sent once a second), so a failover
		// in that second loses every write since the sync. Measure the
		// steady state: wait until the replica has confirmed a write.
		if n, err := inst.Client.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
			t.Fatalf("WAIT 1 5000 = %d, %v: the replica does not confirm writes", n, err)
		}
		h := newHealth(t, inst)
		h.requireHealthy(t)

		target := set.Replica()
		obs := observeFailover(t, set, target, spw)
		ld := startLoad(inst.Client, loadOptions{prefix: "failover"})
		// Two more workers confirm each write with WAIT 1 100.
		confirmed := startLoad(inst.Client, loadOptions{prefix: "confirmed", workers: 2, confirm: 1})
		time.Sleep(warmUp)
		watch := watchHealth(h)
		old := set.PrimaryAddr()
		started := time.Now()
		sentinelFailover(t, set)

		// Writes through the client reach the promoted replica. (The old
		// primary accepts writes until it is made a replica, and replicates
		// them until the promotion: a write it took is no proof.)
		promoted := obs.waitPromoted(t)
		var landed time.Time
		for i := 0; ; i++ {
			key := fmt.Sprintf("sentinel:probe:%d", i)
			if err := inst.Client.Set(ctx, key, "v", 0).Err(); err == nil {
				if v, err := target.DoErr("GET", key); err == nil && v == "v" {
					landed = time.Now()
					break
				}
			}
			if time.Since(started) > 20*time.Second {
				t.Fatalf("20s after SENTINEL FAILOVER, writes through the client still do not reach %s", target.Addr)
			}
			time.Sleep(10 * time.Millisecond)
		}
		switched := obs.waitSwitched(t)
		// The sentinels would make the old primary a replica of the new one
		// about ten seconds from now (Redis 7); the harness does it at once.
		// What the old primary took after the promotion is then lost.
		primary := set.WaitFailover(t, old)
		if primary != target.Addr {
			t.Fatalf("sentinels report %s as the primary, want %s", primary, target.Addr)
		}
		time.Sleep(settle)
		r := ld.stopLoad(t)
		rc := confirmed.stopLoad(t)
		watch.close()
		h.requireHealthy(t)

		fig := fromResult(figure{Topology: "sentinel", Fault: "SENTINEL FAILOVER", Server: serverVersion(binary)}, r)
		acked, failed := r.writes()
		fig.Acked = len(acked)
		fig.Found = existing(t, inst.Client, acked)
		fig.FailedApplied = existing(t, inst.Client, failed)
		fig.ClientRecovery = clientRecovery(r, switched)
		fig.Outage = switched.Sub(started) // SENTINEL FAILOVER → +switch-master
		fig.Unhealthy, fig.HealthRecovery = -1, -1
		if !watch.firstBad.IsZero() {
			fig.Unhealthy = watch.firstBad.Sub(started)
			fig.HealthRecovery = max(0, watch.lastBad.Sub(switched))
		}
		resumed := writesResumed(t, inst.Client, r, started)
		// When were the lost writes sent?
		var lostBefore, lostPromoting, lostPromoted, lostAfter int
		for i, ok := range present(t, inst.Client, acked) {
			if ok {
				continue
			}
			o := ackedOp(r, acked[i])
			switch {
			case o.start.Before(started):
				lostBefore++
			case o.start.Before(promoted):
				lostPromoting++
			case o.start.Before(switched):
				lostPromoted++
			default:
				lostAfter++
			}
		}
		fig.Note = fmt.Sprintf("after SENTINEL FAILOVER the replica reported role master at %s, the sentinel published +switch-master at %s, "+
			"a probe write through the client reached the new primary at %s, and every acknowledged write from %s on was kept; "+
			"of the %d acknowledged writes lost, %d were sent before SENTINEL FAILOVER, %d before the promotion, %d between the promotion and +switch-master, %d after; "+
			"/health polled %d times, %d unhealthy "+
			"(the fault lasts from SENTINEL FAILOVER to +switch-master; client recovery and health are counted from +switch-master)",
			ms(promoted.Sub(started)), ms(switched.Sub(started)), ms(landed.Sub(started)), ms(resumed), fig.Acked-fig.Found,
			lostBefore, lostPromoting, lostPromoted, lostAfter, watch.polls, watch.unhealthyPoll)
		record(t, fig)

		// With WAIT, the writes the old primary took after the promotion
		// are reported to their callers as unconfirmed, and no confirmed
		// write is lost: the only replica, which confirmed them, is the
		// new primary.
		figc := fromResult(figure{Topology: "sentinel", Fault: "SENTINEL FAILOVER, writes confirmed with WAIT 1 100", Server: fig.Server}, rc)
		ackedc, failedc := rc.writes()
		figc.Acked = len(ackedc)
		figc.Found = existing(t, inst.Client, ackedc)
		figc.FailedApplied = existing(t, inst.Client, failedc)
		figc.ClientRecovery = clientRecovery(rc, switched)
		figc.Outage, figc.Unhealthy, figc.HealthRecovery = fig.Outage, fig.Unhealthy, fig.HealthRecovery
		figc.Note = "each SET is pipelined with WAIT 1 100 on the same connection; a write counts as acknowledged only when the replica confirmed it"
		record(t, figc)
		rc.checkErrors(t)
		if figc.Found != figc.Acked {
			t.Errorf("%d of %d writes confirmed by WAIT are missing after the failover", figc.Acked-figc.Found, figc.Acked)
		}
		r.checkErrors(t)
		if fig.WrongReads > 0 {
			t.Errorf("%d reads returned a value that was not written to their key", fig.WrongReads)
		}
		// Every write acknowledged after the client reached the new primary
		// is there.
		var late, lostLate []string
		for _, o := range r.ops {
			if o.write && o.err == nil && o.start.After(landed) {
				late = append(late, o.key)
			}
		}
		for i, ok := range present(t, inst.Client, late) {
			if !ok {
				lostLate = append(lostLate, late[i])
			}
		}
		if len(lostLate) > 0 {
			t.Errorf("%d writes acknowledged after writes reached the new primary are missing: %s", len(lostLate), strings.Join(lostLate[:min(5, len(lostLate))], ", "))
		}
	})
}

// sentinelFailover sends SENTINEL FAILOVER to the first sentinel,
// retrying while a previous failover is still settling.
func sentinelFailover(t *testing.T, set *testserver.SentinelSet) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := set.Sentinels[0].DoErr("SENTINEL", "FAILOVER", set.MasterName)
		if err == nil {
			return
		}
		var re testserver.ReplyError
		if !errors.As(err, &re) || time.Now().After(deadline) {
			t.Fatalf("SENTINEL FAILOVER: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// failoverObserver notes when the replica becomes a primary and when the
// sentinel announces the switch (+switch-master).
type failoverObserver struct {
	promoted, switched chan time.Time
	stop               chan struct{}
	wg                 sync.WaitGroup
}

func observeFailover(t *testing.T, set *testserver.SentinelSet, target *testserver.Server, sentinelPassword string) *failoverObserver {
	t.Helper()
	o := &failoverObserver{promoted: make(chan time.Time, 1), switched: make(chan time.Time, 1), stop: make(chan struct{})}
	sc := redis.NewSentinelClient(&redis.Options{Addr: set.SentinelAddrs()[0], Password: sentinelPassword})
	ps := sc.Subscribe(context.Background(), "+switch-master")
	if _, err := ps.Receive(context.Background()); err != nil {
		t.Fatalf("SUBSCRIBE +switch-master: %v", err)
	}
	o.wg.Add(2)
	go func() {
		defer o.wg.Done()
		select {
		case <-ps.Channel():
			o.switched <- time.Now()
		case <-o.stop:
		}
	}()
	go func() {
		defer o.wg.Done()
		for {
			select {
			case <-o.stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if v, err := target.DoErr("ROLE"); err == nil {
				if role, _ := v.([]any); len(role) > 0 && role[0] == "master" {
					o.promoted <- time.Now()
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		close(o.stop)
		o.wg.Wait()
		_ = ps.Close()
		_ = sc.Close()
	})
	return o
}

// waitPromoted returns when the replica reported role master.
func (o *failoverObserver) waitPromoted(t *testing.T) time.Time {
	t.Helper()
	select {
	case at := <-o.promoted:
		return at
	case <-time.After(20 * time.Second):
		t.Fatal("the replica was not promoted within 20s of SENTINEL FAILOVER")
	}
	return time.Time{}
}

// waitSwitched returns when the sentinel published +switch-master.
func (o *failoverObserver) waitSwitched(t *testing.T) time.Time {
	t.Helper()
	select {
	case at := <-o.switched:
		return at
	case <-time.After(20 * time.Second):
		t.Fatal("no +switch-master within 20s of SENTINEL FAILOVER")
	}
	return time.Time{}
}

// ackedOp returns the acknowledged write of key in r.
func ackedOp(r result, key string) op {
	for _, o := range r.ops {
		if o.write && o.err == nil && o.key == key {
			return o
		}
	}
	return op{}
}

// writesResumed returns how long after started the writes of r were back
// for good: the start of the first acknowledged write that is on the
// current primary and after which no write failed or was lost.
func writesResumed(t *testing.T, c redis.UniversalClient, r result, started time.Time) time.Duration {
	t.Helper()
	var lastBad time.Time
	var candidates []op
	for _, o := range r.ops {
		if !o.write || o.start.Before(started) {
			continue
		}
		if o.err != nil {
			lastBad = o.start
			continue
		}
		candidates = append(candidates, o)
	}
	keys := make([]string, len(candidates))
	for i, o := range candidates {
		keys[i] = o.key
	}
	found := present(t, c, keys)
	for i := range keys {
		if !found[i] && candidates[i].start.After(lastBad) {
			lastBad = candidates[i].start
		}
	}
	for i, o := range candidates {
		if found[i] && o.start.After(lastBad) {
			return o.start.Sub(started)
		}
	}
	return -1
}
