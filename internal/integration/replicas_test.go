package integration

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/internal/topology"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// connectedClients counts the server's normal client connections (not
// replication links), less the connection that asks.
func connectedClients(t *testing.T, srv *testserver.Server) int {
	t.Helper()
	list, _ := srv.Do(t, "CLIENT", "LIST", "TYPE", "normal").(string)
	return strings.Count(strings.TrimSpace(list), "\n")
}

// primaryOf returns the node of set that reports role:master.
func primaryOf(t *testing.T, set *testserver.ReplicaSet) *testserver.Server {
	t.Helper()
	var p *testserver.Server
	for _, n := range set.Nodes {
		if n.Info(t, "replication")["role"] == "master" {
			if p != nil {
				t.Fatalf("%s and %s both report role:master", p.Addr, n.Addr)
			}
			p = n
		}
	}
	if p == nil {
		t.Fatal("no node reports role:master")
	}
	return p
}

// TestReplicas runs a client built from a primary and its replicas listed
// as endpoints (no serviceName), as StackExchange.Redis accepts them:
// writes land on the primary, a transaction spans hash slots, and after a
// role change (a replica promoted, the old primary demoted) writes reach
// the new primary with no acknowledged write lost.
func TestReplicas(t *testing.T) {
	t.Parallel()
	pw := password(t, "replicas")
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Password: pw, Replicas: 2})
	for _, n := range set.Nodes {
		n.Do(t, "CONFIG", "SET", "appendonly", "yes")
		n.Do(t, "CONFIG", "SET", "appendfsync", "always")
	}
	inst := client(t, set.ConnectionString()+timeouts, nil)
	c := inst.Client
	ctx := context.Background()

	// Built, not connected: New does not dial.
	if k := topology.Of(inst).Kind; k != "unknown" {
		t.Errorf("Topology before the first command: %q, want unknown", k)
	}
	for _, n := range set.Nodes {
		if got := connectedClients(t, n); got != 0 {
			t.Errorf("%s has %d client connections before the first command, want 0", n.Addr, got)
		}
	}

	// Writes land on the primary and reach the replicas.
	keys := []string{"a", "b", "c", "d", "e", "f"}
	for _, k := range keys {
		if err := c.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	for _, k := range keys {
		if got := set.Nodes[0].Do(t, "GET", k); got != k {
			t.Errorf("GET %s on the primary = %v", k, got)
		}
	}
	h := newHealth(t, inst)
	h.requireHealthy(t)
	top := topology.Of(inst)
	if top.Kind != "primary/replicas" || top.Primary != set.Nodes[0].Addr || len(top.Replicas) != 2 {
		t.Errorf("Topology = %+v, want primary %s and 2 replicas", top, set.Nodes[0].Addr)
	}

	// A transaction whose keys are in different hash slots runs (a cluster
	// would refuse it with CROSSSLOT), atomically, on the primary.
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "tx:1", "1", 0)
		p.Set(ctx, "tx:2", "2", 0)
		p.Incr(ctx, "tx:n")
		return nil
	})
	if err != nil || len(cmds) != 3 {
		t.Fatalf("MULTI/EXEC across slots: %v (%d results)", err, len(cmds))
	}
	if got := set.Nodes[0].Do(t, "MGET", "tx:1", "tx:2", "tx:n"); !equalReply(got, "1", "2", "1") {
		t.Errorf("MGET on the primary after the transaction = %v", got)
	}

	// Role change under load: Nodes[1] promoted, Nodes[0] demoted.
	l := startLoad(c, loadOptions{prefix: "rc", workers: 2})
	time.Sleep(100 * time.Millisecond) // some writes before the change
	changed := time.Now()
	set.Promote(t, set.Nodes[1])
	newPrimary := set.Nodes[1]

	// Writes reach the new primary within a bound: a probe key written
	// through the client shows up on it.
	const bound = 10 * time.Second
	deadline := time.Now().Add(bound)
	var reached time.Duration
	for i := 0; ; i++ {
		key := "probe:" + strconv.Itoa(i)
		if err := c.Set(ctx, key, "1", 0).Err(); err == nil {
			if v, _ := newPrimary.DoErr("GET", key); v == "1" {
				reached = time.Since(changed)
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes did not reach the new primary %s within %s of the role change", newPrimary.Addr, bound)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // some writes after
	r := l.stopLoad(t)
	t.Logf("writes reached the new primary %s after the role change; %d commands, %d failed (%v)",
		ms(reached), r.attempted(), r.failed(), r.errorKinds())

	// No acknowledged write is lost: every one is on the node that reports
	// itself primary now.
	if p := primaryOf(t, set); p != newPrimary {
		t.Fatalf("primary is %s, want %s", p.Addr, newPrimary.Addr)
	}
	acked, _ := r.writes()
	direct := redis.NewClient(&redis.Options{Addr: newPrimary.Addr, Password: pw, DisableIdentity: true})
	t.Cleanup(func() { _ = direct.Close() })
	if n := existing(t, direct, acked); n != len(acked) {
		t.Errorf("%d of %d acknowledged writes are missing on the new primary %s", len(acked)-n, len(acked), newPrimary.Addr)
	}
	for _, o := range r.ops {
		if o.wrong {
			t.Errorf("GET %s returned a value never written", o.key)
		}
	}
	if top := topology.Of(inst); top.Primary != newPrimary.Addr {
		t.Errorf("Topology after the role change = %+v, want primary %s", top, newPrimary.Addr)
	}
	h.requireHealthy(t)
	// A transaction after the role change runs on the new primary.
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "tx:after", "1", 0)
		p.Set(ctx, "tx:after2", "2", 0)
		return nil
	}); err != nil {
		t.Fatalf("MULTI/EXEC after the role change: %v", err)
	}
	if got := newPrimary.Do(t, "GET", "tx:after"); got != "1" {
		t.Errorf("GET tx:after on the new primary = %v", got)
	}
	checkNoSecret(t, "Topology", strings.Join(append(topology.Of(inst).Replicas, topology.Of(inst).Primary), ","))
}

// TestReplicasSecondPromotion follows two role changes without load, and a
// write after each goes to the current primary.
func TestReplicasSecondPromotion(t *testing.T) {
	t.Parallel()
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Replicas: 1})
	inst := client(t, set.ConnectionString()+timeouts, nil)
	ctx := context.Background()
	for round, next := range []*testserver.Server{set.Nodes[1], set.Nodes[0]} {
		set.Promote(t, next)
		key := "after:" + strconv.Itoa(round)
		if err := inst.Client.Set(ctx, key, "1", 0).Err(); err != nil {
			t.Fatalf("round %d: SET after promoting %s: %v", round, next.Addr, err)
		}
		if got := next.Do(t, "GET", key); got != "1" {
			t.Fatalf("round %d: the write did not land on the new primary %s: GET = %v", round, next.Addr, got)
		}
	}
}

// TestReplicasSpans: one span per command or transaction, naming the
// primary; discovery (ROLE) and the health check record none.
func TestReplicasSpans(t *testing.T) {
	t.Parallel()
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Replicas: 1})
	sp := newSpans(t)
	inst := client(t, set.ConnectionString()+timeouts, sp.tp)
	ctx := context.Background()
	if err := inst.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := inst.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		p.Set(ctx, "b", "2", 0)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	newHealth(t, inst).requireHealthy(t)
	names := sp.names()
	t.Logf("spans: %v", names)
	if names["SET"] != 1 || names["MULTI SET"]+names["MULTI"] != 1 || names["ROLE"] != 0 || names["PING"] != 0 {
		t.Errorf("spans %v, want one SET and one MULTI, no ROLE or PING", names)
	}
	for _, s := range sp.exp.GetSpans() {
		if s.Name == "SET" || strings.HasPrefix(s.Name, "MULTI") {
			if got := serverOf(s); got != set.Nodes[0].Addr {
				t.Errorf("span %s names %s, want the primary %s", s.Name, got, set.Nodes[0].Addr)
			}
		}
	}
}

// TestReplicasPubSubAndBlocking: pub/sub and blocking commands work
// through a primary/replica client.
func TestReplicasPubSubAndBlocking(t *testing.T) {
	t.Parallel()
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Replicas: 1})
	inst := client(t, set.ConnectionString()+timeouts, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	sub := inst.Client.Subscribe(ctx, "news")
	t.Cleanup(func() { _ = sub.Close() })
	if _, err := sub.Receive(ctx); err != nil { // the subscription's confirmation
		t.Fatalf("SUBSCRIBE: %v", err)
	}
	if err := inst.Client.Publish(ctx, "news", "hello").Err(); err != nil {
		t.Fatalf("PUBLISH: %v", err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil || msg.Payload != "hello" {
		t.Fatalf("message %v, %v", msg, err)
	}

	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = inst.Client.LPush(context.Background(), "queue", "job").Err()
	}()
	v, err := inst.Client.BLPop(ctx, 5*time.Second, "queue").Result()
	if err != nil || len(v) != 2 || v[1] != "job" {
		t.Fatalf("BLPOP = %v, %v", v, err)
	}
}

// TestReplicasPrimaryDown: the primary dies and a replica is promoted in
// its place; the client finds the new primary (no READONLY reply tells it:
// the old one does not answer at all).
func TestReplicasPrimaryDown(t *testing.T) {
	t.Parallel()
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Replicas: 1})
	inst := client(t, set.ConnectionString()+timeouts, nil)
	ctx := context.Background()
	if err := inst.Client.Set(ctx, "before", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	h := newHealth(t, inst)
	h.requireHealthy(t)
	set.Nodes[0].Kill()
	h.waitFor(t, 503, time.Now(), 10*time.Second)
	set.Nodes[1].Do(t, "REPLICAOF", "NO", "ONE")

	const bound = 10 * time.Second
	deadline := time.Now().Add(bound)
	for {
		err := inst.Client.Set(ctx, "after", "1", 0).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write succeeded within %s of the promotion: %v", bound, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := set.Nodes[1].Do(t, "MGET", "before", "after"); !equalReply(got, "1", "1") {
		t.Fatalf("MGET on the new primary = %v", got)
	}
	if top := topology.Of(inst); top.Primary != set.Nodes[1].Addr {
		t.Errorf("Topology = %+v, want primary %s", top, set.Nodes[1].Addr)
	}
	h.waitFor(t, 200, time.Now(), 10*time.Second)
}

// TestReplicasReadOnly: with go-redis's ReadOnly option reads go to the
// replicas, writes still to the primary.
func TestReplicasReadOnly(t *testing.T) {
	t.Parallel()
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Replicas: 1})
	inst := client(t, set.ConnectionString()+timeouts, nil,
		settings.ConfigureOptions(func(o *redis.UniversalOptions) { o.ReadOnly = true }))
	ctx := context.Background()
	if err := inst.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	set.Nodes[0].Do(t, "WAIT", 1, 5000)
	for range 5 {
		if v, err := inst.Client.Get(ctx, "k").Result(); err != nil || v != "v" {
			t.Fatalf("GET = %q, %v", v, err)
		}
	}
	stats := set.Nodes[1].Info(t, "commandstats")
	if !strings.Contains(stats["cmdstat_get"], "calls=5") {
		t.Errorf("the replica ran GET %q, want 5 calls", stats["cmdstat_get"])
	}
}

// TestReplicasDefaultDatabase selects defaultDatabase on every connection
// to the primary, set in code (settings.ConfigureOptions) and, once the
// settings package accepts it with several endpoints, in the connection
// string.
func TestReplicasDefaultDatabase(t *testing.T) {
	t.Parallel()
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Replicas: 1})
	inString := set.ConnectionString() + ",defaultDatabase=3"
	_, parseErr := settings.ParseConnectionString(inString)
	for _, tc := range []struct {
		name string
		conn string
		opts []settings.Option
		skip string
	}{
		{name: "ConfigureOptions", conn: set.ConnectionString(), opts: []settings.Option{
			settings.ConfigureOptions(func(o *redis.UniversalOptions) { o.DB = 3 }),
		}},
		{name: "connection string", conn: inString, skip: func() string {
			if parseErr != nil {
				return "settings does not accept defaultDatabase with several endpoints yet: " + parseErr.Error()
			}
			return ""
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			inst := client(t, tc.conn+timeouts, nil, tc.opts...)
			ctx := context.Background()
			key := "db3:" + tc.name
			if err := inst.Client.Set(ctx, key, "1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if _, err := inst.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key+":tx", "1", 0)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if got, _ := set.Nodes[0].DoErr("EXISTS", key, key+":tx"); got != int64(0) {
				t.Errorf("EXISTS in database 0 = %v, want 0", got)
			}
			direct := redis.NewClient(&redis.Options{Addr: set.Nodes[0].Addr, DB: 3, DisableIdentity: true})
			t.Cleanup(func() { _ = direct.Close() })
			if n := existing(t, direct, []string{key, key + ":tx"}); n != 2 {
				t.Errorf("%d of 2 keys in database 3", n)
			}
		})
	}
}

// equalReply reports whether an array reply holds want.
func equalReply(got any, want ...string) bool {
	a, ok := got.([]any)
	if !ok || len(a) != len(want) {
		return false
	}
	for i := range a {
		if s, _ := a[i].(string); s != want[i] {
			return false
		}
	}
	return true
}

// splitBrainBound bounds how long after a second primary appears the client
// stops writing to the wrong one: the role check runs every second
// (rediscache's roleCheckInterval), then go-redis reloads its slot map;
// the rest is margin for a loaded machine.
const splitBrainBound = 10 * time.Second

// writeDirect writes n keys prefix:i (value: the key) to srv and waits
// until its replicas have them.
func writeDirect(t *testing.T, srv *testserver.Server, prefix string, n, replicas int) []string {
	t.Helper()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = prefix + ":" + strconv.Itoa(i)
		srv.Do(t, "SET", keys[i], keys[i])
	}
	if replicas > 0 {
		if got := srv.Do(t, "WAIT", replicas, 5000); got != int64(replicas) {
			t.Fatalf("WAIT %d on %s = %v", replicas, srv.Addr, got)
		}
	}
	return keys
}

// dbsize returns the number of keys of srv's database 0.
func dbsize(t *testing.T, srv *testserver.Server) int64 {
	t.Helper()
	n, _ := srv.Do(t, "DBSIZE").(int64)
	return n
}

// TestReplicasSplitBrainEmptyPrimary (issue 20, item 2a): the primary
// dies, its replica is promoted, and the old primary comes back empty and
// still a primary. Both report themselves primary with no replica, the
// empty one listed first: writes go to the one that holds the data,
// never to the empty one. Once the empty one holds keys too, nothing
// tells which is right: commands are refused with ErrSplitBrain and
// /health is 503, until one is demoted.
func TestReplicasSplitBrainEmptyPrimary(t *testing.T) {
	parallel(t)
	pw := password(t, "split")
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Password: pw, Replicas: 1})
	empty, data := set.Nodes[0], set.Nodes[1]
	before := writeDirect(t, empty, "before", 100, 1)
	empty.Kill()
	data.Do(t, "REPLICAOF", "NO", "ONE")
	empty.Restart(t) // no persistence: empty, and a primary (its configuration has no replicaof)
	for _, n := range set.Nodes {
		if role := n.Info(t, "replication")["role"]; role != "master" {
			t.Fatalf("set-up: %s reports role %s, want master", n.Addr, role)
		}
	}
	if got := dbsize(t, empty); got != 0 {
		t.Fatalf("set-up: the restarted primary %s holds %d keys", empty.Addr, got)
	}

	// The empty primary is listed first.
	inst := client(t, set.ConnectionString()+timeouts, nil)
	c := inst.Client
	ctx := context.Background()
	for i := range 20 {
		key := "after:" + strconv.Itoa(i)
		if err := c.Set(ctx, key, key, 0).Err(); err != nil {
			if !errors.Is(err, rediscache.ErrSplitBrain) {
				t.Fatalf("SET %s: %v, want success or ErrSplitBrain", key, err)
			}
			continue
		}
		if got, _ := data.DoErr("GET", key); got != key {
			t.Fatalf("SET %s was acknowledged but is not on %s, the node with the data (GET = %v)", key, data.Addr, got)
		}
	}
	if got := dbsize(t, empty); got != 0 {
		t.Fatalf("%d acknowledged writes went to the empty primary %s (listed first) instead of %s", got, empty.Addr, data.Addr)
	}
	for _, k := range before[:10] {
		if v, err := c.Get(ctx, k).Result(); err != nil || v != k {
			t.Errorf("GET %s = %q, %v: the data written before the failover is not read", k, v, err)
		}
	}
	if top := topology.Of(inst); top.Primary != data.Addr {
		t.Errorf("Topology = %+v, want primary %s", top, data.Addr)
	}
	h := newHealth(t, inst)
	h.requireHealthy(t)

	// Someone writes to the empty primary: both hold data, neither follows
	// the other's history, neither has a replica. The role check notices
	// within a second and the client refuses commands.
	empty.Do(t, "SET", "stray", "1")
	appeared := time.Now()
	var refused error
	deadline := time.Now().Add(splitBrainBound)
	for refused == nil {
		start := time.Now()
		err := c.Set(ctx, "probe", "1", 0).Err()
		switch {
		case errors.Is(err, rediscache.ErrSplitBrain):
			refused = err
		case time.Now().After(deadline):
			t.Fatalf("commands still served %s after a second primary with data appeared", splitBrainBound)
		case err != nil:
			// A loaded machine can make a write time out; it went to the
			// node with the data or nowhere.
			t.Logf("SET during the split brain, before the refusal: %v after %s", err, ms(time.Since(start)))
			fallthrough
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Logf("commands refused %s after the second primary got data", ms(time.Since(appeared)))
	t.Logf("the refusal: %v", refused)
	for _, want := range []string{`client "cache"`, empty.Addr, data.Addr, "demoted"} {
		if !strings.Contains(refused.Error(), want) {
			t.Errorf("the refusal %q does not name %s", refused, want)
		}
	}
	checkNoSecret(t, "the split-brain error", refused.Error())
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "tx", "1", 0)
		return nil
	}); !errors.Is(err, rediscache.ErrSplitBrain) {
		t.Errorf("MULTI/EXEC during the split brain: %v, want ErrSplitBrain", err)
	}
	h.waitFor(t, http.StatusServiceUnavailable, time.Now(), healthTimeout+time.Second)
	if got := dbsize(t, empty); got != 1 {
		t.Errorf("the stray primary %s holds %d keys, want only the stray one", empty.Addr, got)
	}

	// The stray primary is demoted: commands are served again, on the
	// node with the data.
	host, port, _ := strings.Cut(data.Addr, ":")
	empty.Do(t, "REPLICAOF", host, port)
	demoted := time.Now()
	deadline = time.Now().Add(splitBrainBound)
	for {
		err := c.Set(ctx, "healed", "1", 0).Err()
		if err == nil {
			break
		}
		if !errors.Is(err, rediscache.ErrSplitBrain) || time.Now().After(deadline) {
			t.Fatalf("SET after the stray primary was demoted: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("commands served again %s after the stray primary was demoted", ms(time.Since(demoted)))
	if got := data.Do(t, "GET", "healed"); got != "1" {
		t.Errorf("GET healed on %s = %v", data.Addr, got)
	}
	h.waitFor(t, http.StatusOK, time.Now(), splitBrainBound)
}

// TestReplicasSplitBrainOldPrimaryRunning (issue 20, item 2b): a replica
// is promoted while the old primary keeps running, still a primary, and
// answers every write. Nothing fails, so only the role check can notice:
// within splitBrainBound writes go to the promoted replica (the promoted
// one's master_replid2 is the old one's master_replid), and every write
// acknowledged from then on is on it after the old primary is demoted.
func TestReplicasSplitBrainOldPrimaryRunning(t *testing.T) {
	parallel(t)
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Replicas: 1})
	old, promoted := set.Nodes[0], set.Nodes[1]
	inst := client(t, set.ConnectionString()+timeouts, nil)
	c := inst.Client
	ctx := context.Background()
	if err := c.Set(ctx, "warm", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	l := startLoad(c, loadOptions{prefix: "sb", workers: 2})
	time.Sleep(100 * time.Millisecond)
	promoted.Do(t, "REPLICAOF", "NO", "ONE")
	split := time.Now()

	var detected time.Time
	deadline := time.Now().Add(splitBrainBound)
	for i := 0; detected.IsZero(); i++ {
		key := "probe:" + strconv.Itoa(i)
		start := time.Now()
		if err := c.Set(ctx, key, "1", 0).Err(); err == nil {
			if v, _ := promoted.DoErr("GET", key); v == "1" {
				detected = start
			}
		}
		if detected.IsZero() && time.Now().After(deadline) {
			r := l.stopLoad(t)
			acked, _ := r.writes()
			t.Fatalf("writes did not reach the promoted replica %s within %s; %d writes were acknowledged by the old primary %s meanwhile",
				promoted.Addr, splitBrainBound, len(acked), old.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // writes after the switch
	r := l.stopLoad(t)

	// The old primary is demoted, as its operator (or a sentinel) would:
	// what it acknowledged after the promotion is gone.
	host, port, _ := strings.Cut(promoted.Addr, ":")
	old.Do(t, "REPLICAOF", host, port)
	if err := c.Set(ctx, "after-demotion", "1", 0).Err(); err != nil {
		t.Fatalf("SET after the old primary was demoted: %v", err)
	}

	direct := redis.NewClient(&redis.Options{Addr: promoted.Addr, DisableIdentity: true})
	t.Cleanup(func() { _ = direct.Close() })
	var lostBefore, lostAfter, after int
	for _, o := range r.ops {
		if !o.write || o.err != nil {
			continue
		}
		found := existing(t, direct, []string{o.key}) == 1
		switch {
		case !o.start.Before(detected):
			after++
			if !found {
				lostAfter++
			}
		case !found:
			lostBefore++
		}
	}
	t.Logf("writes reached the promoted replica %s after the promotion; %d acknowledged writes lost before that (sent to the old primary), %d of %d after; %d commands, %d failed (%v)",
		ms(detected.Sub(split)), lostBefore, lostAfter, after, r.attempted(), r.failed(), r.errorKinds())
	if lostAfter > 0 {
		t.Errorf("%d of %d writes acknowledged after the switch to %s are missing on it", lostAfter, after, promoted.Addr)
	}
	if after == 0 {
		t.Error("no write was acknowledged after the switch")
	}
	if top := topology.Of(inst); top.Primary != promoted.Addr {
		t.Errorf("Topology = %+v, want primary %s", top, promoted.Addr)
	}
}
