package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/clusterinfo"
)

// Cluster defaults.
const (
	DefaultPrimaries      = 3
	DefaultNodeTimeout    = 3 * time.Second
	DefaultClusterTimeout = 60 * time.Second
)

// ClusterOptions configures a cluster started by [StartCluster].
type ClusterOptions struct {
	// Binary is the server executable, as in Options.
	Binary string
	// Primaries is the number of primaries: 0 means 3, fewer than 3 is an
	// error (redis-cli --cluster create needs three).
	Primaries int
	// Replicas is the number of replicas of each primary.
	Replicas int
	// Password sets requirepass and masterauth on every node.
	Password string
	// NodeTimeout is cluster-node-timeout; 0 means 3s.
	NodeTimeout time.Duration
	// Args are extra command-line arguments for every node.
	Args []string
	// Timeout bounds creating the cluster and every wait for the nodes to
	// agree (WaitHealthy, Migration.Finish); 0 means 60s.
	Timeout time.Duration
}

// Cluster is a running Redis Cluster.
type Cluster struct {
	// Nodes are all nodes in creation order: the first Primaries nodes were
	// created as primaries, the rest as their replicas. Roles can change
	// (see Primaries and Replicas); a node can be stopped, killed and
	// restarted like any Server and keeps its node id.
	Nodes []*Server

	opts ClusterOptions
}

// StartCluster starts the nodes, creates the cluster with
// redis-cli --cluster create and waits until every node reports
// cluster_state:ok, all slots are covered and the nodes agree on the slot
// map and the roles.
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	if opts.Primaries == 0 {
		opts.Primaries = DefaultPrimaries
	}
	if opts.Primaries < 3 || opts.Replicas < 0 {
		t.Fatalf("testserver: a cluster needs at least 3 primaries and no negative replica count (got %d primaries, %d replicas)",
			opts.Primaries, opts.Replicas)
	}
	if opts.NodeTimeout == 0 {
		opts.NodeTimeout = DefaultNodeTimeout
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultClusterTimeout
	}
	c := &Cluster{opts: opts}
	args := append([]string{"--cluster-node-timeout", strconv.FormatInt(opts.NodeTimeout.Milliseconds(), 10)}, opts.Args...)
	for range opts.Primaries * (1 + opts.Replicas) {
		n := newServer(t, Options{Binary: opts.Binary, Password: opts.Password, Args: args}, kindClusterNode)
		if err := n.start(); err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, n)
	}

	cli := cliFor(t, c.Nodes[0].path)
	cmdArgs := append([]string{"--cluster", "create"}, c.Addrs()...)
	cmdArgs = append(cmdArgs, "--cluster-replicas", strconv.Itoa(opts.Replicas), "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, cmdArgs...)
	cmd.Env = os.Environ()
	if opts.Password != "" {
		// The environment, not -a: the password stays out of ps output.
		cmd.Env = append(cmd.Env, "REDISCLI_AUTH="+opts.Password, "VALKEYCLI_AUTH="+opts.Password)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testserver: %s --cluster create: %v\n%s", cli, err, c.Nodes[0].redact(lastLines(string(out), logTailLines)))
	}
	c.WaitHealthy(t)
	return c
}

// Addrs returns the addresses of all nodes.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return addrs
}

// Node returns the node with address addr, or nil.
func (c *Cluster) Node(addr string) *Server {
	for _, n := range c.Nodes {
		if n.Addr == addr {
			return n
		}
	}
	return nil
}

// ClientOptions returns go-redis cluster options with every node address
// and the password.
func (c *Cluster) ClientOptions() *redis.ClusterOptions {
	return &redis.ClusterOptions{Addrs: c.Addrs(), Password: c.Nodes[0].Password()}
}

// ConnectionString returns the cluster in the StackExchange.Redis format:
// every node address, plus ",password=..." when there is one. It contains
// the password: keep it out of logs.
func (c *Cluster) ConnectionString() string {
	cs := strings.Join(c.Addrs(), ",")
	if pw := c.Nodes[0].Password(); pw != "" {
		cs += ",password=" + pw
	}
	return cs
}

// WaitHealthy waits until every running node reports cluster_state:ok with
// all 16384 slots served, and all running nodes agree on the nodes, roles
// and slot owners, with no running node flagged as failing.
func (c *Cluster) WaitHealthy(t testing.TB) {
	t.Helper()
	if err := waitFor("cluster convergence", c.opts.Timeout, c.converged); err != nil {
		t.Fatal(err)
	}
}

// Primaries returns the running primaries, as the cluster currently sees
// them.
func (c *Cluster) Primaries(t testing.TB) []*Server {
	t.Helper()
	return c.byRole(t, true)
}

// Replicas returns the running replicas, as the cluster currently sees
// them.
func (c *Cluster) Replicas(t testing.TB) []*Server {
	t.Helper()
	return c.byRole(t, false)
}

func (c *Cluster) byRole(t testing.TB, primary bool) []*Server {
	t.Helper()
	v := c.view(t)
	var out []*Server
	for _, n := range c.Nodes {
		if e, ok := v.byAddr[n.Addr]; ok && e.primary == primary && n.Running() {
			out = append(out, n)
		}
	}
	return out
}

// SlotOwner returns the primary serving slot.
func (c *Cluster) SlotOwner(t testing.TB, slot int) *Server {
	t.Helper()
	v := c.view(t)
	for _, e := range v.entries {
		if e.owns(slot) {
			if n := c.Node(e.addr); n != nil {
				return n
			}
		}
	}
	t.Fatalf("testserver: no node serves slot %d", slot)
	return nil
}

// view returns CLUSTER NODES as seen by the first running node.
func (c *Cluster) view(t testing.TB) *clusterView {
	t.Helper()
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		v, err := nodeView(n)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Fatal("testserver: no cluster node is running")
	return nil
}

// converged reports why the cluster is not yet healthy, or nil.
func (c *Cluster) converged() error {
	var ref, refAddr string
	running := 0
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		running++
		v, err := n.DoErr("CLUSTER", "INFO")
		if err != nil {
			return err
		}
		state, _ := clusterinfo.Field(fmt.Sprint(v), "cluster_state")
		slotsOK, _ := clusterinfo.Field(fmt.Sprint(v), "cluster_slots_ok")
		if state != "ok" || slotsOK != strconv.Itoa(SlotCount) {
			return fmt.Errorf("%s: cluster_state:%s cluster_slots_ok:%s", n.Addr, state, slotsOK)
		}
		view, err := nodeView(n)
		if err != nil {
			return err
		}
		if len(view.entries) != len(c.Nodes) {
			return fmt.Errorf("%s knows %d of %d nodes", n.Addr, len(view.entries), len(c.Nodes))
		}
		for _, m := range c.Nodes {
			e, ok := view.byAddr[m.Addr]
			if !ok {
				return fmt.Errorf("%s does not know %s yet", n.Addr, m.Addr)
			}
			if m.Running() && e.failing() {
				return fmt.Errorf("%s sees %s as %s", n.Addr, m.Addr, e.flags)
			}
		}
		canon := view.canonical()
		if ref == "" {
			ref, refAddr = canon, n.Addr
		} else if canon != ref {
			return fmt.Errorf("%s and %s disagree:\n%s\nvs\n%s", refAddr, n.Addr, ref, canon)
		}
		if err := c.shardsSettled(n, view); err != nil {
			return err
		}
	}
	if running == 0 {
		return errors.New("no cluster node is running")
	}
	return nil
}

// shardsSettled reports whether n's CLUSTER SHARDS groups the running
// nodes as view does: each primary with its replicas. Valkey 8.0 (and
// Redis 7.2+) groups nodes by shard id, which a replica takes from its
// primary by gossip some time after it joined; a node killed before then
// can write a nodes.conf whose shard ids disagree and refuse to start
// again ("corrupted cluster config file", valkey-io/valkey#774, fixed
// after 8.0.1). Redis 7.0 groups by primary, so this holds at once; a
// server without CLUSTER SHARDS (before 7.0) is not asked.
func (c *Cluster) shardsSettled(n *Server, view *clusterView) error {
	reply, err := n.DoErr("CLUSTER", "SHARDS")
	if err != nil {
		if msg := strings.ToLower(err.Error()); strings.Contains(msg, "unknown subcommand") || strings.Contains(msg, "unknown command") {
			return nil
		}
		return err
	}
	running := map[string]bool{}
	for _, m := range c.Nodes {
		if e, ok := view.byAddr[m.Addr]; ok && m.Running() {
			running[e.id] = true
		}
	}
	got, want := shardGroups(reply, running), view.shardGroups(running)
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s: CLUSTER SHARDS groups the nodes as %q, not yet as their roles do, %q", n.Addr, got, want)
	}
	return nil
}

// shardGroups reads a CLUSTER SHARDS reply (RESP2: each shard and node a
// flat list of names and values) as one line per shard: the ids of its
// nodes that are in keep, sorted; the lines sorted, empty ones left out.
func shardGroups(reply any, keep map[string]bool) []string {
	shards, _ := reply.([]any)
	var out []string
	for _, s := range shards {
		var ids []string
		nodes, _ := field(s, "nodes").([]any)
		for _, nd := range nodes {
			if id, _ := field(nd, "id").(string); keep[id] {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			slices.Sort(ids)
			out = append(out, strings.Join(ids, " "))
		}
	}
	slices.Sort(out)
	return out
}

// field returns the value of name in a flat list of names and values.
func field(v any, name string) any {
	kv, _ := v.([]any)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, _ := kv[i].(string); k == name {
			return kv[i+1]
		}
	}
	return nil
}

// shardGroups returns, as shardGroups does for CLUSTER SHARDS, each
// primary with its replicas, keeping the ids in keep.
func (v *clusterView) shardGroups(keep map[string]bool) []string {
	var out []string
	for _, p := range v.entries {
		if !p.primary {
			continue
		}
		var ids []string
		if keep[p.id] {
			ids = append(ids, p.id)
		}
		for _, r := range v.entries {
			if !r.primary && r.masterID == p.id && keep[r.id] {
				ids = append(ids, r.id)
			}
		}
		if len(ids) > 0 {
			slices.Sort(ids)
			out = append(out, strings.Join(ids, " "))
		}
	}
	slices.Sort(out)
	return out
}

// clusterEntry is one line of CLUSTER NODES.
type clusterEntry struct {
	id, addr, flags, masterID string
	primary                   bool
	slots                     [][2]int // inclusive ranges
}

func (e *clusterEntry) owns(slot int) bool {
	for _, r := range e.slots {
		if slot >= r[0] && slot <= r[1] {
			return true
		}
	}
	return false
}

func (e *clusterEntry) failing() bool {
	for _, f := range strings.Split(e.flags, ",") {
		switch f {
		case "fail", "fail?", "handshake", "noaddr":
			return true
		}
	}
	return false
}

type clusterView struct {
	entries []*clusterEntry
	byAddr  map[string]*clusterEntry
	byID    map[string]*clusterEntry
}

func nodeView(n *Server) (*clusterView, error) {
	v, err := n.DoErr("CLUSTER", "NODES")
	if err != nil {
		return nil, err
	}
	view, err := parseClusterNodes(fmt.Sprint(v))
	if err != nil {
		return nil, fmt.Errorf("testserver: CLUSTER NODES from %s: %w", n.Addr, err)
	}
	return view, nil
}

func parseClusterNodes(s string) (*clusterView, error) {
	v := &clusterView{byAddr: map[string]*clusterEntry{}, byID: map[string]*clusterEntry{}}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("short line %q", line)
		}
		addr, _, _ := strings.Cut(f[1], "@")
		addr, _, _ = strings.Cut(addr, ",")
		e := &clusterEntry{id: f[0], addr: addr, flags: f[2], masterID: f[3]}
		e.primary = slices.Contains(strings.Split(f[2], ","), "master")
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a slot being imported or migrated
			}
			lo, hi, isRange := strings.Cut(r, "-")
			a, err := strconv.Atoi(lo)
			if err != nil {
				return nil, fmt.Errorf("bad slot %q", r)
			}
			b := a
			if isRange {
				if b, err = strconv.Atoi(hi); err != nil {
					return nil, fmt.Errorf("bad slot range %q", r)
				}
			}
			e.slots = append(e.slots, [2]int{a, b})
		}
		v.entries = append(v.entries, e)
		v.byAddr[addr] = e
		v.byID[e.id] = e
	}
	return v, nil
}

// canonical renders the view without the observer's perspective (myself,
// link states, epochs): one line per node with its role, its primary and
// its slots.
func (v *clusterView) canonical() string {
	lines := make([]string, 0, len(v.entries))
	for _, e := range v.entries {
		role, of := "replica", ""
		if e.primary {
			role = "primary"
		} else if m, ok := v.byID[e.masterID]; ok {
			of = m.addr
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "%s %s %s", e.addr, role, of)
		for _, r := range e.slots {
			fmt.Fprintf(&b, " %d-%d", r[0], r[1])
		}
		lines = append(lines, b.String())
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// Migration moves one slot between primaries step by step, as
// redis-cli --cluster reshard does, so that tests can observe the
// redirections on the way: after StartMigration and MoveKeys, a key already
// moved answers ASK at the source (and MOVED at the target without
// ASKING); after Finish, the source answers MOVED.
type Migration struct {
	// Slot is the slot being moved.
	Slot int
	// Source is the slot's owner when the migration started; Target is
	// the primary it moves to.
	Source, Target *Server

	c            *Cluster
	srcID, dstID string
}

// StartMigration marks slot as IMPORTING on target and MIGRATING on its
// current owner; no key moves yet. A nil target picks a primary that is not
// the owner.
func (c *Cluster) StartMigration(t testing.TB, slot int, target *Server) *Migration {
	t.Helper()
	if slot < 0 || slot >= SlotCount {
		t.Fatalf("testserver: slot %d out of range", slot)
	}
	v := c.view(t)
	m := &Migration{Slot: slot, c: c}
	for _, e := range v.entries {
		if e.owns(slot) {
			m.Source, m.srcID = c.Node(e.addr), e.id
		}
	}
	if m.Source == nil {
		t.Fatalf("testserver: no node serves slot %d", slot)
	}
	if target == nil {
		for _, e := range v.entries {
			if n := c.Node(e.addr); e.primary && e.id != m.srcID && n != nil && n.Running() {
				target = n
				break
			}
		}
	}
	if target == nil || target == m.Source {
		t.Fatalf("testserver: migration of slot %d needs a target primary other than its owner %s", slot, m.Source.Addr)
	}
	e, ok := v.byAddr[target.Addr]
	if !ok || !e.primary {
		t.Fatalf("testserver: migration target %s is not a primary", target.Addr)
	}
	m.Target, m.dstID = target, e.id
	target.Do(t, "CLUSTER", "SETSLOT", slot, "IMPORTING", m.srcID)
	m.Source.Do(t, "CLUSTER", "SETSLOT", slot, "MIGRATING", m.dstID)
	return m
}

// MoveKeys moves keys (all keys in the slot when none are given) from the
// source to the target with MIGRATE.
func (m *Migration) MoveKeys(t testing.TB, keys ...string) {
	t.Helper()
	if len(keys) > 0 {
		m.migrate(t, keys)
		return
	}
	for {
		v := m.Source.Do(t, "CLUSTER", "GETKEYSINSLOT", m.Slot, 100)
		list, _ := v.([]any)
		if len(list) == 0 {
			return
		}
		batch := make([]string, len(list))
		for i, k := range list {
			batch[i] = fmt.Sprint(k)
		}
		m.migrate(t, batch)
	}
}

func (m *Migration) migrate(t testing.TB, keys []string) {
	t.Helper()
	for _, k := range keys {
		if s := Slot(k); s != m.Slot {
			t.Fatalf("testserver: key %q is in slot %d, not %d", k, s, m.Slot)
		}
	}
	args := []any{"MIGRATE", m.Target.Host, m.Target.Port, "", 0, CommandTimeout.Milliseconds()}
	if pw := m.Target.Password(); pw != "" {
		args = append(args, "AUTH", pw)
	}
	args = append(args, "KEYS")
	for _, k := range keys {
		args = append(args, k)
	}
	m.Source.Do(t, args...)
}

// Finish moves the remaining keys, assigns the slot to the target on the
// target, the source and every other running primary (CLUSTER SETSLOT
// NODE), and waits until the cluster agrees.
func (m *Migration) Finish(t testing.TB) {
	t.Helper()
	m.MoveKeys(t)
	nodes := []*Server{m.Target, m.Source}
	for _, p := range m.c.Primaries(t) {
		if p != m.Target && p != m.Source {
			nodes = append(nodes, p)
		}
	}
	for _, n := range nodes {
		n.Do(t, "CLUSTER", "SETSLOT", m.Slot, "NODE", m.dstID)
	}
	m.c.WaitHealthy(t)
}

// MigrateSlot moves slot to target (nil: any other primary) with all its
// keys and waits until the cluster agrees.
func (c *Cluster) MigrateSlot(t testing.TB, slot int, target *Server) *Migration {
	t.Helper()
	m := c.StartMigration(t, slot, target)
	m.Finish(t)
	return m
}
