package testserver

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestSlot(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]int{
		"123456789":             12739, // CRC16/XMODEM check value 0x31C3
		"foo":                   12182,
		"{user1000}.following":  Slot("user1000"),
		"foo{}{bar}":            Slot("foo{}{bar}"),
		"foo{{bar}}zap":         Slot("{bar"),
		"{user1000}.followers":  Slot("{user1000}.following"),
		"no{tag":                Slot("no{tag"),
		"x" + HashTag(0):        0,
		"y" + HashTag(16383):    16383,
		HashTag(4242) + ":tail": 4242,
	} {
		if got := Slot(key); got != want {
			t.Errorf("Slot(%q) = %d, want %d", key, got, want)
		}
	}
	for slot := range SlotCount {
		if got := Slot("k" + HashTag(slot)); got != slot {
			t.Fatalf("HashTag(%d) = %q maps to slot %d", slot, HashTag(slot), got)
		}
	}
}

func TestParseClusterNodes(t *testing.T) {
	t.Parallel()
	const nodes = `07c37 127.0.0.1:30004@31004,host-a slave e7d1e 0 1426238317239 4 connected
67ed2 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922 [5460-<-e7d1e]
e7d1e 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 [5461->-67ed2] 16383
`
	v, err := parseClusterNodes(nodes)
	if err != nil {
		t.Fatal(err)
	}
	e := v.byAddr["127.0.0.1:30001"]
	if e == nil || !e.primary || !e.owns(0) || !e.owns(5460) || !e.owns(16383) || e.owns(5461) {
		t.Fatalf("entry 30001: %+v", e)
	}
	want := "127.0.0.1:30001 primary  0-5460 16383-16383\n" +
		"127.0.0.1:30002 primary  5461-10922\n" +
		"127.0.0.1:30004 replica 127.0.0.1:30001"
	if got := v.canonical(); got != want {
		t.Fatalf("canonical:\n%s\nwant:\n%s", got, want)
	}
	if _, err := parseClusterNodes("abc 127.0.0.1:1@2 master - 0 0 1 connected x-1"); err == nil {
		t.Fatal("bad slot accepted")
	}
}

// TestShardGroups: the cluster is settled only when CLUSTER SHARDS groups
// each primary with its replicas (issue 20, item 9: Valkey 8.0 groups by
// shard id, which a replica takes from its primary some time after it
// joined, and a node killed before then may not start again).
func TestShardGroups(t *testing.T) {
	t.Parallel()
	const before = `aaa 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-8191
bbb 127.0.0.1:30002@31002 master - 0 0 2 connected 8192-16383
ccc 127.0.0.1:30003@31003 slave aaa 0 0 1 connected
ddd 127.0.0.1:30004@31004 slave bbb 0 0 2 connected
`
	// aaa killed, ccc promoted in its place.
	const after = `aaa 127.0.0.1:30001@31001 master,fail - 0 0 1 connected
bbb 127.0.0.1:30002@31002 myself,master - 0 0 2 connected 8192-16383
ccc 127.0.0.1:30003@31003 master - 0 0 3 connected 0-8191
ddd 127.0.0.1:30004@31004 slave bbb 0 0 2 connected
`
	node := func(id, role string) any {
		return []any{"id", id, "port", int64(30000), "role", role, "health", "online"}
	}
	shard := func(slots []any, ns ...any) any { return []any{"slots", slots, "nodes", ns} }
	all := map[string]bool{"aaa": true, "bbb": true, "ccc": true, "ddd": true}
	for _, tc := range []struct {
		name    string
		nodes   string
		reply   any
		keep    map[string]bool // the running nodes
		settled bool
	}{
		{name: "settled (Redis 7.0 at once)", nodes: before, keep: all, settled: true, reply: []any{
			shard([]any{int64(0), int64(8191)}, node("aaa", "master"), node("ccc", "replica")),
			shard([]any{int64(8192), int64(16383)}, node("bbb", "master"), node("ddd", "replica")),
		}},
		{name: "a replica still in a shard of its own (Valkey 8.0 before gossip)", nodes: before, keep: all, reply: []any{
			shard([]any{int64(0), int64(8191)}, node("aaa", "master"), node("ccc", "replica")),
			shard([]any{int64(8192), int64(16383)}, node("bbb", "master")),
			shard([]any{}, node("ddd", "replica")),
		}},
		{name: "a killed primary grouped with its promoted replica (Valkey)", nodes: after, settled: true,
			keep: map[string]bool{"bbb": true, "ccc": true, "ddd": true}, reply: []any{
				shard([]any{int64(0), int64(8191)}, node("ccc", "master"), node("aaa", "master")),
				shard([]any{int64(8192), int64(16383)}, node("bbb", "master"), node("ddd", "replica")),
			}},
		{name: "a killed primary in a shard of its own (Redis 7.0)", nodes: after, settled: true,
			keep: map[string]bool{"bbb": true, "ccc": true, "ddd": true}, reply: []any{
				shard([]any{}, node("aaa", "master")),
				shard([]any{int64(0), int64(8191)}, node("ccc", "master")),
				shard([]any{int64(8192), int64(16383)}, node("bbb", "master"), node("ddd", "replica")),
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := parseClusterNodes(tc.nodes)
			if err != nil {
				t.Fatal(err)
			}
			got, want := shardGroups(tc.reply, tc.keep), v.shardGroups(tc.keep)
			if settled := slices.Equal(got, want); settled != tc.settled {
				t.Fatalf("CLUSTER SHARDS %q against the roles %q: settled %v, want %v", got, want, settled, tc.settled)
			}
		})
	}
}

func TestCluster(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, ClusterOptions{})
	if len(c.Nodes) != 3 || len(c.Primaries(t)) != 3 || len(c.Replicas(t)) != 0 {
		t.Fatalf("nodes %d, primaries %d, replicas %d", len(c.Nodes), len(c.Primaries(t)), len(c.Replicas(t)))
	}
	for _, n := range c.Nodes {
		if n.Port < clusterPortMin || n.Port >= clusterPortMax {
			t.Errorf("node port %d outside %d-%d", n.Port, clusterPortMin, clusterPortMax-1)
		}
	}
	cc := redis.NewClusterClient(c.ClientOptions())
	t.Cleanup(func() { cc.Close() })
	ctx := ctxT(t, 20*time.Second)
	for i := range 100 {
		if err := cc.Set(ctx, fmt.Sprintf("key:%d", i), i, 0).Err(); err != nil {
			t.Fatalf("SET key:%d: %v", i, err)
		}
	}
	for _, n := range c.Nodes {
		if size := n.Do(t, "DBSIZE").(int64); size == 0 {
			t.Errorf("node %s holds no key; keys did not spread across slots", n.Addr)
		}
	}

	// Move one slot step by step and watch the redirections.
	const slot = 1234
	moved, left := "moved"+HashTag(slot), "left"+HashTag(slot)
	for _, k := range []string{moved, left} {
		if err := cc.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	m := c.StartMigration(t, slot, nil)
	if m.Source != c.SlotOwner(t, slot) || m.Target == m.Source {
		t.Fatalf("migration from %s to %s", m.Source.Addr, m.Target.Addr)
	}
	m.MoveKeys(t, moved)

	wantAsk := fmt.Sprintf("ASK %d %s", slot, m.Target.Addr)
	if _, err := m.Source.DoErr("GET", moved); err == nil || err.Error() != wantAsk {
		t.Fatalf("GET of a migrated key at the source: %v, want %q", err, wantAsk)
	}
	if v, err := m.Source.DoErr("GET", left); err != nil || v != left {
		t.Fatalf("GET of a key still at the source: %v, %v", v, err)
	}
	wantMoved := fmt.Sprintf("MOVED %d %s", slot, m.Source.Addr)
	if _, err := m.Target.DoErr("GET", moved); err == nil || err.Error() != wantMoved {
		t.Fatalf("GET at the importing target without ASKING: %v, want %q", err, wantMoved)
	}
	if v, err := cc.Get(ctx, moved).Result(); err != nil || v != moved {
		t.Fatalf("cluster client GET during migration: %q, %v", v, err)
	}

	m.Finish(t)
	if c.SlotOwner(t, slot) != m.Target {
		t.Fatalf("slot %d owner after Finish: %s, want %s", slot, c.SlotOwner(t, slot).Addr, m.Target.Addr)
	}
	wantMoved = fmt.Sprintf("MOVED %d %s", slot, m.Target.Addr)
	for _, k := range []string{moved, left} {
		if _, err := m.Source.DoErr("GET", k); err == nil || err.Error() != wantMoved {
			t.Fatalf("GET %s at the old owner: %v, want %q", k, err, wantMoved)
		}
		if v, err := m.Target.DoErr("GET", k); err != nil || v != k {
			t.Fatalf("GET %s at the new owner: %v, %v", k, v, err)
		}
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != k {
			t.Fatalf("cluster client GET %s after migration: %q, %v", k, v, err)
		}
	}
}

func TestClusterPasswordReplicasRestart(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, ClusterOptions{Replicas: 1, Password: "cluster-pw"})
	if p, r := len(c.Primaries(t)), len(c.Replicas(t)); p != 3 || r != 3 {
		t.Fatalf("primaries %d, replicas %d; want 3 and 3", p, r)
	}
	if !strings.Contains(c.ConnectionString(), ",password=cluster-pw") {
		t.Fatal("ConnectionString without the password")
	}
	cc := redis.NewClusterClient(c.ClientOptions())
	t.Cleanup(func() { cc.Close() })
	ctx := ctxT(t, 20*time.Second)
	if err := cc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with the password: %v", err)
	}
	if _, err := c.Nodes[0].DoErr("PING"); err != nil {
		t.Fatalf("PING a node: %v", err)
	}

	// A crashed primary that is back before cluster-node-timeout keeps its
	// id and slots (or, if it was slow, comes back as a replica).
	p := c.Primaries(t)[0]
	id := p.Do(t, "CLUSTER", "MYID")
	p.Kill()
	p.Restart(t)
	c.WaitHealthy(t)
	if got := p.Do(t, "CLUSTER", "MYID"); got != id {
		t.Fatalf("node id after restart %v, want %v", got, id)
	}
	// Without persistence the restarted node came back empty; the cluster
	// serves every slot again.
	for i := range 20 {
		k := fmt.Sprintf("after:%d", i)
		if err := cc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("SET %s after restart: %v", k, err)
		}
	}
}
