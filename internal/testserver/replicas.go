package testserver

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// ReplicaOptions configures a primary and its replicas started by
// [StartReplicas], without sentinels.
type ReplicaOptions struct {
	// Binary is the server executable, as in Options.
	Binary string
	// Password sets requirepass and masterauth on every node.
	Password string
	// Replicas is the number of replicas; 0 means 1.
	Replicas int
	// Args are extra command-line arguments of every node.
	Args []string
	// Timeout bounds each wait (replicas in sync, a role change); 0 means
	// DefaultSentinelTimeout.
	Timeout time.Duration
}

// ReplicaSet is a primary and its replicas (REPLICAOF), with no sentinel:
// the role changes are the test's, through [ReplicaSet.Promote].
type ReplicaSet struct {
	// Nodes are the servers; Nodes[0] is the first primary.
	Nodes []*Server

	opts    ReplicaOptions
	mu      sync.Mutex
	primary string
}

// StartReplicas starts a primary and opts.Replicas replicas and waits until
// every replica is in sync and has acknowledged a write. They are stopped
// when the test ends.
func StartReplicas(t testing.TB, opts ReplicaOptions) *ReplicaSet {
	t.Helper()
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultSentinelTimeout
	}
	set := &ReplicaSet{opts: opts}
	for i := range opts.Replicas + 1 {
		n := newServer(t, Options{Binary: opts.Binary, Password: opts.Password, Args: opts.Args}, kindStandalone)
		n.roleConf = func() []string { return set.roleConf(n) }
		if err := n.start(); err != nil {
			t.Fatal(err)
		}
		set.Nodes = append(set.Nodes, n)
		if i == 0 {
			set.setPrimary(n.Addr)
		}
	}
	set.waitInSync(t)
	return set
}

// roleConf makes a (re)started node a replica of the current primary,
// unless it is the primary.
func (set *ReplicaSet) roleConf(n *Server) []string {
	p := set.PrimaryAddr()
	if p == "" || p == n.Addr {
		return nil
	}
	host, port, _ := net.SplitHostPort(p)
	return []string{"replicaof " + host + " " + port}
}

func (set *ReplicaSet) setPrimary(addr string) {
	set.mu.Lock()
	defer set.mu.Unlock()
	set.primary = addr
}

// PrimaryAddr returns the current primary's address.
func (set *ReplicaSet) PrimaryAddr() string {
	set.mu.Lock()
	defer set.mu.Unlock()
	return set.primary
}

// Primary returns the current primary.
func (set *ReplicaSet) Primary() *Server {
	p := set.PrimaryAddr()
	for _, n := range set.Nodes {
		if n.Addr == p {
			return n
		}
	}
	return nil
}

// Replicas returns the nodes that are not the primary.
func (set *ReplicaSet) Replicas() []*Server {
	p := set.PrimaryAddr()
	var out []*Server
	for _, n := range set.Nodes {
		if n.Addr != p {
			out = append(out, n)
		}
	}
	return out
}

// Addrs returns the nodes' addresses, in start order.
func (set *ReplicaSet) Addrs() []string {
	out := make([]string, len(set.Nodes))
	for i, n := range set.Nodes {
		out[i] = n.Addr
	}
	return out
}

// ConnectionString returns the nodes in the StackExchange.Redis format,
// "host:port,host:port[,password=...]". It contains the password: keep it
// out of logs.
func (set *ReplicaSet) ConnectionString() string {
	cs := strings.Join(set.Addrs(), ",")
	if pw := set.Nodes[0].Password(); pw != "" {
		cs += ",password=" + pw
	}
	return cs
}

// waitInSync waits until every replica follows the primary with its link
// up and the primary has their acknowledgement of a write.
func (set *ReplicaSet) waitInSync(t testing.TB) {
	t.Helper()
	p := set.PrimaryAddr()
	reps := set.Replicas()
	for _, r := range reps {
		if err := waitFor("replica "+r.Addr+" in sync with "+p, set.opts.Timeout, func() error {
			return replicaOf(r, p)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := set.Primary().waitReplicas(len(reps), set.opts.Timeout); err != nil {
		t.Fatalf("testserver: replicas of %s never acknowledged a write: %v", p, err)
	}
}

// Promote makes n the primary without losing an acknowledged write, the
// way FAILOVER does it by hand: the old primary pauses writes (CLIENT PAUSE
// WRITE), n catches up with its replication offset, n is promoted
// (REPLICAOF NO ONE), every other node, the old primary first, follows n
// (REPLICAOF host port), and the old primary resumes: the writes it had
// paused then fail with READONLY. Promote returns when every replica is in
// sync with n.
func (set *ReplicaSet) Promote(t testing.TB, n *Server) {
	t.Helper()
	old := set.Primary()
	if old == nil || old == n {
		t.Fatalf("testserver: Promote %s: it is already the primary", n.Addr)
	}
	pauseMS := (2 * set.opts.Timeout).Milliseconds()
	old.Do(t, "CLIENT", "PAUSE", pauseMS, "WRITE")
	unpaused := false
	defer func() {
		if !unpaused {
			_, _ = old.DoErr("CLIENT", "UNPAUSE")
		}
	}()
	if err := waitFor(n.Addr+" caught up with "+old.Addr, set.opts.Timeout, func() error {
		want, err := old.info("replication")
		if err != nil {
			return err
		}
		got, err := n.info("replication")
		if err != nil {
			return err
		}
		if got["master_repl_offset"] != want["master_repl_offset"] {
			return fmt.Errorf("offset %s, primary at %s", got["master_repl_offset"], want["master_repl_offset"])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n.Do(t, "REPLICAOF", "NO", "ONE")
	set.setPrimary(n.Addr)
	host, port, _ := net.SplitHostPort(n.Addr)
	old.Do(t, "REPLICAOF", host, port)
	for _, r := range set.Nodes {
		if r != n && r != old {
			r.Do(t, "REPLICAOF", host, port)
		}
	}
	old.Do(t, "CLIENT", "UNPAUSE")
	unpaused = true
	set.waitInSync(t)
}
