package testserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel defaults.
const (
	DefaultMasterName       = "mymaster"
	DefaultDownAfter        = time.Second
	DefaultFailoverTimeout  = 5 * time.Second
	DefaultSentinelTimeout  = 30 * time.Second
	failoverProbeKey        = "testserver:failover-probe"
	sentinelDefaultSentinel = 1
)

// SentinelOptions configures a sentinel set started by [StartSentinel].
type SentinelOptions struct {
	// Binary is the server executable, as in Options; sentinels run as
	// "<Binary> sentinel.conf --sentinel".
	Binary string
	// Sentinels is the number of sentinels: 0 means 1. The quorum is a
	// majority: 1 for one sentinel, 2 for three.
	Sentinels int
	// MasterName is the monitored name; "" means "mymaster".
	MasterName string
	// Password sets requirepass and masterauth on the data nodes and
	// "sentinel auth-pass" on the sentinels.
	Password string
	// SentinelPassword sets requirepass on the sentinels (which then also
	// use it towards each other).
	SentinelPassword string
	// DownAfter is down-after-milliseconds; 0 means 1s.
	DownAfter time.Duration
	// FailoverTimeout is failover-timeout; 0 means 5s.
	FailoverTimeout time.Duration
	// Timeout bounds every wait (start-up, Failover); 0 means 30s.
	Timeout time.Duration
	// TLS serves TLS only, on sentinels and data nodes alike, with
	// certificates from one CA: the sentinels' valid for the name
	// SentinelCertName only, the data nodes' for the address DataCertName
	// only, so that a client must verify each kind under its own name.
	// Replication and the sentinels' links use TLS too.
	TLS bool
}

// SentinelSet is a primary, a replica and the sentinels monitoring them.
type SentinelSet struct {
	// MasterName is the name the sentinels monitor.
	MasterName string
	// Nodes are the data nodes: Nodes[0] started as the primary, Nodes[1]
	// as its replica. A data node that is restarted comes back as a replica
	// of the current primary (or as the primary, if it is that).
	Nodes []*Server
	// Sentinels are the sentinel processes. A restarted sentinel keeps the
	// configuration it rewrote.
	Sentinels []*Server

	opts    SentinelOptions
	mu      sync.Mutex
	primary string
}

// StartSentinel starts the primary, the replica (replicaof the primary),
// waits until the replica is in sync, starts the sentinels and waits until
// every sentinel sees the primary as up, knows the replica and knows the
// other sentinels.
func StartSentinel(t testing.TB, opts SentinelOptions) *SentinelSet {
	t.Helper()
	if opts.Sentinels == 0 {
		opts.Sentinels = sentinelDefaultSentinel
	}
	if opts.Sentinels < 0 {
		t.Fatalf("testserver: negative sentinel count %d", opts.Sentinels)
	}
	if opts.MasterName == "" {
		opts.MasterName = DefaultMasterName
	}
	if opts.DownAfter == 0 {
		opts.DownAfter = DefaultDownAfter
	}
	if opts.FailoverTimeout == 0 {
		opts.FailoverTimeout = DefaultFailoverTimeout
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultSentinelTimeout
	}
	set := &SentinelSet{MasterName: opts.MasterName, opts: opts}
	var sentinelTLS, dataTLS *TLSMaterial
	if opts.TLS {
		var err error
		if sentinelTLS, dataTLS, err = newTLSSetMaterial(t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}

	for i := range 2 {
		n := newServer(t, Options{Binary: opts.Binary, Password: opts.Password, TLS: opts.TLS, tlsMaterial: dataTLS}, kindStandalone)
		n.roleConf = func() []string { return set.roleConf(n) }
		if err := n.start(); err != nil {
			t.Fatal(err)
		}
		set.Nodes = append(set.Nodes, n)
		if i == 0 {
			set.setPrimary(n.Addr)
		}
	}
	if err := waitFor("replica "+set.Nodes[1].Addr+" in sync", opts.Timeout, func() error {
		return replicaOf(set.Nodes[1], set.Nodes[0].Addr)
	}); err != nil {
		t.Fatal(err)
	}
	if err := set.Nodes[0].waitReplicas(1, opts.Timeout); err != nil {
		t.Fatalf("testserver: replica %s never acknowledged a write: %v", set.Nodes[1].Addr, err)
	}

	quorum := opts.Sentinels/2 + 1
	for range opts.Sentinels {
		sn := newServer(t, Options{Binary: opts.Binary, Password: opts.SentinelPassword, TLS: opts.TLS, tlsMaterial: sentinelTLS}, kindSentinel)
		sn.sentinelConf = func(port int) string { return set.sentinelConf(sn, port, quorum) }
		if err := sn.start(); err != nil {
			t.Fatal(err)
		}
		set.Sentinels = append(set.Sentinels, sn)
	}
	if err := waitFor("sentinels ready", opts.Timeout, set.sentinelsReady); err != nil {
		t.Fatal(err)
	}
	return set
}

func (set *SentinelSet) sentinelConf(sn *Server, port, quorum int) string {
	name, o := set.MasterName, set.opts
	host, pport, _ := net.SplitHostPort(set.PrimaryAddr())
	lines := []string{
		"bind 127.0.0.1 -::1",
		"port " + strconv.Itoa(port),
	}
	if sn.TLS != nil {
		lines = []string{
			"bind 127.0.0.1 -::1",
			"port 0",
			"tls-port " + strconv.Itoa(port),
			"tls-cert-file " + quote(sn.TLS.ServerCertFile),
			"tls-key-file " + quote(sn.TLS.ServerKeyFile),
			"tls-ca-cert-file " + quote(sn.TLS.CAFile),
			"tls-auth-clients no",
			"tls-replication yes", // links to the data nodes and other sentinels over TLS
		}
	}
	lines = append(lines,
		"dir "+quote(sn.Dir),
		"daemonize no",
		`logfile ""`,
		fmt.Sprintf("sentinel monitor %s %s %s %d", name, host, pport, quorum),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", name, o.DownAfter.Milliseconds()),
		fmt.Sprintf("sentinel failover-timeout %s %d", name, o.FailoverTimeout.Milliseconds()),
		fmt.Sprintf("sentinel parallel-syncs %s 1", name),
	)
	if o.Password != "" {
		lines = append(lines, fmt.Sprintf("sentinel auth-pass %s %s", name, quote(o.Password)))
	}
	if o.SentinelPassword != "" {
		lines = append(lines, "requirepass "+quote(o.SentinelPassword))
	}
	return strings.Join(lines, "\n") + "\n"
}

// roleConf makes a (re)started data node a replica of the current primary,
// unless it is the primary.
func (set *SentinelSet) roleConf(n *Server) []string {
	p := set.currentPrimary()
	if p == "" || p == n.Addr {
		return nil
	}
	host, port, _ := net.SplitHostPort(p)
	return []string{"replicaof " + host + " " + port}
}

// currentPrimary asks the running sentinels for the primary and falls back
// to the last address the harness saw.
func (set *SentinelSet) currentPrimary() string {
	for _, sn := range set.Sentinels {
		if !sn.Running() {
			continue
		}
		if addr, err := set.askPrimary(sn); err == nil {
			set.setPrimary(addr)
			return addr
		}
	}
	return set.PrimaryAddr()
}

func (set *SentinelSet) setPrimary(addr string) {
	set.mu.Lock()
	defer set.mu.Unlock()
	set.primary = addr
}

// PrimaryAddr returns the primary's address as last seen by the harness:
// at start-up, after Failover or WaitFailover, or when a data node
// restarts. Use SentinelPrimaryAddr to ask a sentinel now.
func (set *SentinelSet) PrimaryAddr() string {
	set.mu.Lock()
	defer set.mu.Unlock()
	return set.primary
}

// Primary returns the data node at PrimaryAddr.
func (set *SentinelSet) Primary() *Server { return set.node(set.PrimaryAddr()) }

// Replica returns the data node that is not the primary.
func (set *SentinelSet) Replica() *Server {
	p := set.PrimaryAddr()
	for _, n := range set.Nodes {
		if n.Addr != p {
			return n
		}
	}
	return nil
}

func (set *SentinelSet) node(addr string) *Server {
	for _, n := range set.Nodes {
		if n.Addr == addr {
			return n
		}
	}
	return nil
}

// SentinelAddrs returns the sentinels' addresses.
func (set *SentinelSet) SentinelAddrs() []string {
	addrs := make([]string, len(set.Sentinels))
	for i, s := range set.Sentinels {
		addrs[i] = s.Addr
	}
	return addrs
}

// ClientOptions returns go-redis failover options: the master name, the
// sentinel addresses and both passwords.
func (set *SentinelSet) ClientOptions() *redis.FailoverOptions {
	return &redis.FailoverOptions{
		MasterName:       set.MasterName,
		SentinelAddrs:    set.SentinelAddrs(),
		Password:         set.Nodes[0].Password(),
		SentinelPassword: set.Sentinels[0].Password(),
	}
}

// ConnectionString returns the set in the StackExchange.Redis format: the
// sentinel addresses, ",serviceName=<MasterName>", and ",password=..." and
// ",sentinelPassword=..." when they are set. It contains the passwords:
// keep it out of logs.
func (set *SentinelSet) ConnectionString() string {
	cs := strings.Join(set.SentinelAddrs(), ",") + ",serviceName=" + set.MasterName
	if pw := set.Nodes[0].Password(); pw != "" {
		cs += ",password=" + pw
	}
	if pw := set.Sentinels[0].Password(); pw != "" {
		cs += ",sentinelPassword=" + pw
	}
	if set.opts.TLS {
		cs += ",ssl=true"
	}
	return cs
}

// SentinelPrimaryAddr asks the first running sentinel for the primary's
// address.
func (set *SentinelSet) SentinelPrimaryAddr(t testing.TB) string {
	t.Helper()
	for _, sn := range set.Sentinels {
		if sn.Running() {
			addr, err := set.askPrimary(sn)
			if err != nil {
				t.Fatal(err)
			}
			return addr
		}
	}
	t.Fatal("testserver: no sentinel is running")
	return ""
}

func (set *SentinelSet) askPrimary(sn *Server) (string, error) {
	v, err := sn.DoErr("SENTINEL", "GET-MASTER-ADDR-BY-NAME", set.MasterName)
	if err != nil {
		return "", err
	}
	hp, ok := v.([]any)
	if !ok || len(hp) != 2 {
		return "", fmt.Errorf("testserver: sentinel %s: unexpected GET-MASTER-ADDR-BY-NAME reply %v", sn.Addr, v)
	}
	return net.JoinHostPort(fmt.Sprint(hp[0]), fmt.Sprint(hp[1])), nil
}

// sentinelsReady reports why some sentinel is not ready yet, or nil.
func (set *SentinelSet) sentinelsReady() error {
	for _, sn := range set.Sentinels {
		if !sn.Running() {
			continue
		}
		v, err := sn.DoErr("SENTINEL", "MASTER", set.MasterName)
		if err != nil {
			return err
		}
		m := pairs(v)
		if m["flags"] != "master" {
			return fmt.Errorf("sentinel %s sees the primary with flags %q", sn.Addr, m["flags"])
		}
		if m["num-slaves"] != "1" {
			return fmt.Errorf("sentinel %s knows %s replicas", sn.Addr, m["num-slaves"])
		}
		if want := strconv.Itoa(len(set.Sentinels) - 1); m["num-other-sentinels"] != want {
			return fmt.Errorf("sentinel %s knows %s other sentinels, want %s", sn.Addr, m["num-other-sentinels"], want)
		}
		v, err = sn.DoErr("SENTINEL", "REPLICAS", set.MasterName)
		if err != nil {
			return err
		}
		list, _ := v.([]any)
		for _, r := range list {
			rm := pairs(r)
			if rm["flags"] != "slave" || rm["master-link-status"] != "ok" {
				return fmt.Errorf("sentinel %s sees replica %s:%s with flags %q, link %q",
					sn.Addr, rm["ip"], rm["port"], rm["flags"], rm["master-link-status"])
			}
		}
	}
	return nil
}

// pairs turns a flat [key, value, ...] reply into a map.
func pairs(v any) map[string]string {
	list, _ := v.([]any)
	m := make(map[string]string, len(list)/2)
	for i := 0; i+1 < len(list); i += 2 {
		m[fmt.Sprint(list[i])] = fmt.Sprint(list[i+1])
	}
	return m
}

// replicaOf reports whether n is a replica of primary with its link up.
func replicaOf(n *Server, primary string) error {
	info, err := n.info("replication")
	if err != nil {
		return err
	}
	got := net.JoinHostPort(info["master_host"], info["master_port"])
	if info["role"] != "slave" || got != primary || info["master_link_status"] != "up" {
		return fmt.Errorf("%s: role:%s master %s link:%s", n.Addr, info["role"], got, info["master_link_status"])
	}
	return nil
}

// Failover forces a failover with SENTINEL FAILOVER (retrying while a
// previous failover is still settling) and returns the new primary's
// address once WaitFailover is satisfied.
func (set *SentinelSet) Failover(t testing.TB) string {
	t.Helper()
	old := set.SentinelPrimaryAddr(t)
	var sn *Server
	for _, s := range set.Sentinels {
		if s.Running() {
			sn = s
			break
		}
	}
	if sn == nil {
		t.Fatal("testserver: Failover: no sentinel is running")
	}
	err := waitFor("SENTINEL FAILOVER accepted", set.opts.Timeout, func() error {
		_, err := sn.DoErr("SENTINEL", "FAILOVER", set.MasterName)
		var re ReplyError
		if err != nil && !errors.As(err, &re) {
			return stop{err}
		}
		return err // INPROG or NOGOODSLAVE: retry
	})
	if err != nil {
		t.Fatal(err)
	}
	return set.WaitFailover(t, old)
}

// WaitFailover waits until every running sentinel reports the same primary
// and it is not old, and the new primary reports role:master and accepts a
// write. When the old primary still runs, it is then made a replica of the
// new one (REPLICAOF) and WaitFailover waits until it is in sync: the
// sentinels would do the same, but Redis 7 sentinels wait about 10 seconds
// before they demote an old primary that still answers, and it accepts
// writes until then. WaitFailover returns the new primary's address. Use it
// after killing the primary, with the address it had.
func (set *SentinelSet) WaitFailover(t testing.TB, old string) string {
	t.Helper()
	var addr string
	err := waitFor("sentinels agree on a new primary", set.opts.Timeout, func() error {
		addr = ""
		for _, sn := range set.Sentinels {
			if !sn.Running() {
				continue
			}
			a, err := set.askPrimary(sn)
			if err != nil {
				return err
			}
			if a == old {
				return fmt.Errorf("sentinel %s still reports %s", sn.Addr, old)
			}
			if addr != "" && a != addr {
				return fmt.Errorf("sentinels report %s and %s", addr, a)
			}
			addr = a
		}
		if addr == "" {
			return stop{errors.New("no sentinel is running")}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := set.node(addr)
	if n == nil {
		t.Fatalf("testserver: sentinels report primary %s, which is not a data node of this set", addr)
	}
	if err := waitFor("new primary "+addr+" accepts writes", set.opts.Timeout, func() error {
		info, err := n.info("replication")
		if err != nil {
			return err
		}
		if info["role"] != "master" {
			return fmt.Errorf("%s reports role:%s", addr, info["role"])
		}
		_, err = n.DoErr("SET", failoverProbeKey, time.Now().UnixNano())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	set.setPrimary(addr)
	if o := set.node(old); o != nil && o.Running() {
		host, port, _ := net.SplitHostPort(addr)
		if err := waitFor("old primary "+old+" demoted", set.opts.Timeout, func() error {
			info, err := o.info("replication")
			if err != nil {
				return err
			}
			if info["role"] == "master" {
				// What the sentinels do after about 10s (Redis 7), done now.
				if _, err := o.DoErr("REPLICAOF", host, port); err != nil {
					return err
				}
			}
			return replicaOf(o, addr)
		}); err != nil {
			t.Fatal(err)
		}
	}
	return addr
}
