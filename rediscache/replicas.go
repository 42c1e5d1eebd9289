package rediscache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/topology"
	"github.com/aspirego/redis/internal/untraced"
	"github.com/aspirego/redis/settings"
)

// topologyKind is what discovery found behind several endpoints.
type topologyKind int32

const (
	kindUnknown  topologyKind = iota // not discovered yet
	kindCluster                      // a Redis Cluster
	kindReplicas                     // a primary and its replicas
)

func (k topologyKind) String() string {
	switch k {
	case kindCluster:
		return topology.Cluster
	case kindReplicas:
		return topology.PrimaryReplicas
	}
	return topology.Unknown
}

func init() {
	topology.Of = func(inst any) topology.Topology {
		if i, ok := inst.(*Instance); ok && i.discovery != nil {
			return i.discovery.topology()
		}
		return topology.Topology{Kind: topology.Unknown}
	}
}

// discovery finds the topology behind several endpoints. It is the
// ClusterSlots function of the cluster client (slots): it asks the
// endpoints CLUSTER SLOTS, and when they are not part of a cluster, their
// ROLE, through clients of its own (probes, one per endpoint, created on
// first use and closed with the Instance).
type discovery struct {
	name      string
	endpoints []string
	base      redis.Options // template of the probe clients
	cm        *commandMap
	logger    *slog.Logger

	kind atomic.Int32 // topologyKind, read on every pipeline

	// fence, when set, is the split brain that makes the client refuse
	// commands; read on every command.
	fence atomic.Pointer[fence]

	// ctx ends the role checks (watch) when the discovery is closed.
	ctx    context.Context
	cancel context.CancelFunc
	// recheck asks the role checks to run now (see askAgain).
	recheck chan struct{}

	mu     sync.Mutex
	probes map[string]*redis.Client // by address
	// probeHooks add hooks to each probe client as it is created (see
	// discoveryLayer.onProbe).
	probeHooks []func(*redis.Client)
	last       topology.Topology
	lastNote   string
	closed     bool
	client     *redis.ClusterClient // the client whose slot map the role checks reload
	readOnly   bool                 // the client reads from replicas (go-redis's resolved ReadOnly)
	watching   bool
	watchers   sync.WaitGroup
	// The last failure of slots, reused for replicaMemo: go-redis loads
	// the slot map on every command while it has none, and each load
	// would otherwise ask every endpoint again. A success is never
	// reused: the roles may change at any time.
	memoAt  time.Time
	memoErr error
}

// replicaMemo is how long a failure of slots is reused.
const replicaMemo = 100 * time.Millisecond

// newDiscovery returns the discovery of the endpoints of opts for client
// name. Its probes are bounded even when the client is not: no timeout
// (negative) becomes go-redis's default (zero) for them. They have the
// client's pool size: go-redis fails a pool's dials at once, and re-dials
// in the background, after that many dials in a row failed, which a
// probe should do no sooner than the client's nodes.
func newDiscovery(name string, opts *redis.UniversalOptions, cm *commandMap, logger *slog.Logger) *discovery {
	ctx, cancel := context.WithCancel(context.Background())
	return &discovery{
		ctx:       ctx,
		cancel:    cancel,
		name:      name,
		endpoints: slices.Clone(opts.Addrs),
		base: redis.Options{
			Dialer:                       opts.Dialer,
			Protocol:                     opts.Protocol,
			Username:                     opts.Username,
			Password:                     opts.Password,
			CredentialsProvider:          opts.CredentialsProvider,
			CredentialsProviderContext:   opts.CredentialsProviderContext,
			StreamingCredentialsProvider: opts.StreamingCredentialsProvider,
			DialTimeout:                  max(opts.DialTimeout, 0),
			ReadTimeout:                  max(opts.ReadTimeout, 0),
			WriteTimeout:                 max(opts.WriteTimeout, 0),
			ContextTimeoutEnabled:        true,
			TLSConfig:                    opts.TLSConfig,
			PoolSize:                     opts.PoolSize,
			MaxRetries:                   -1,
			DialerRetries:                1,
			DisableIdentity:              true,
			MaintNotificationsConfig:     &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		},
		cm:      cm,
		logger:  logger,
		probes:  make(map[string]*redis.Client),
		recheck: make(chan struct{}, 1),
	}
}

// probeTime bounds one probe by probe client c: a dial and two reads,
// with the timeouts go-redis resolved for c.
func probeTime(c *redis.Client) time.Duration {
	o := c.Options()
	return o.DialTimeout + 2*o.ReadTimeout
}

// probe returns the client that asks addr.
func (d *discovery) probe(addr string) (*redis.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, redis.ErrClosed
	}
	if c := d.probes[addr]; c != nil {
		return c, nil
	}
	o := d.base
	o.Addr = addr
	c := redis.NewClient(&o)
	if d.cm != nil {
		d.cm.install(c)
	}
	for _, add := range d.probeHooks {
		add(c)
	}
	d.probes[addr] = c
	return c, nil
}

// close closes the probe clients.
func (d *discovery) close() error {
	d.cancel()
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.watchers.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for _, c := range d.probes {
		if err := c.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			errs = append(errs, err)
		}
	}
	d.probes = nil
	return errors.Join(errs...)
}

// topology returns what the last discovery found.
func (d *discovery) topology() topology.Topology {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.last
	t.Replicas = slices.Clone(t.Replicas)
	t.Nodes = slices.Clone(t.Nodes)
	if t.Kind == "" {
		t.Kind = kindUnknown.String()
	}
	return t
}

func (d *discovery) currentKind() topologyKind { return topologyKind(d.kind.Load()) }

// ask sends ROLE to addr.
func (d *discovery) ask(ctx context.Context, addr string) nodeReport {
	r := nodeReport{addr: addr}
	c, err := d.probe(addr)
	if err != nil {
		r.err = err
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, probeTime(c))
	defer cancel()
	role := c.Do(ctx, "role")
	if err := role.Err(); err != nil && !isReply(err) {
		r.err = err
		return r
	}
	rr, err := parseRole(role)
	r.role, r.master, r.links, r.offset, r.roleErr = rr.role, rr.master, rr.links, rr.offset, err
	return r
}

// askState adds to r what its endpoint answers to INFO replication and
// INFO keyspace.
func (d *discovery) askState(ctx context.Context, r *nodeReport) {
	c, err := d.probe(r.addr)
	if err != nil {
		r.repl = replState{asked: true, err: err}
		return
	}
	ctx, cancel := context.WithTimeout(ctx, probeTime(c))
	defer cancel()
	r.repl = askState(ctx, c)
}

// askAll asks every endpoint its ROLE concurrently and, when several
// report themselves primary, asks those their replication state.
func (d *discovery) askAll(ctx context.Context) []nodeReport {
	reports := make([]nodeReport, len(d.endpoints))
	var wg sync.WaitGroup
	for i, a := range d.endpoints {
		wg.Go(func() { reports[i] = d.ask(ctx, a) })
	}
	wg.Wait()
	if n := countRole(reports, "master"); n > 1 {
		for i := range reports {
			if reports[i].err == nil && reports[i].role == "master" {
				wg.Go(func() { d.askState(ctx, &reports[i]) })
			}
		}
		wg.Wait()
	}
	return reports
}

func countRole(reports []nodeReport, role string) int {
	n := 0
	for _, r := range reports {
		if r.err == nil && r.role == role {
			n++
		}
	}
	return n
}

// isReply reports whether err is the server's (or the command map's)
// refusal of a command rather than a failure to reach the server.
func isReply(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) || errors.Is(err, ErrCommandDisabled)
}

// slots is the cluster client's ClusterSlots function: the slot map of a
// Redis Cluster as its nodes report it (CLUSTER SLOTS), or, for endpoints
// outside a cluster, one shard of all slots held by the primary the
// endpoints' roles elect, with the replicas (replicaSlots). go-redis calls
// it when it first needs a slot map, every ClusterStateReloadInterval, at
// once when a reply says the map is stale (MOVED, READONLY), and every
// second for the role checks (watch).
func (d *discovery) slots(ctx context.Context) ([]redis.ClusterSlot, error) {
	d.mu.Lock()
	if d.memoErr != nil && time.Since(d.memoAt) < replicaMemo {
		err := d.memoErr
		d.mu.Unlock()
		return nil, err
	}
	d.mu.Unlock()
	var slots []redis.ClusterSlot
	var err error
	switch d.currentKind() {
	case kindReplicas:
		slots, err = d.replicaSlots(ctx)
	case kindCluster:
		slots, err = d.clusterSlots(ctx)
	default:
		slots, err = d.clusterSlots(ctx)
		if errors.Is(err, errNotCluster) {
			slots, err = d.replicaSlots(ctx)
		}
	}
	d.mu.Lock()
	d.memoAt, d.memoErr = time.Now(), err
	d.mu.Unlock()
	return slots, err
}

// errNotCluster is clusterSlots' error when an endpoint says it is not part
// of a cluster.
var errNotCluster = errors.New("not a Redis Cluster")

// clusterSlots asks the endpoints, and the nodes of the last slot map, in
// random order, for CLUSTER SLOTS until one answers, as go-redis does
// without a ClusterSlots function. Like go-redis, it has a node's address
// that the reply gives as loopback or with port 0 reached through the
// host or port it asked.
func (d *discovery) clusterSlots(ctx context.Context) ([]redis.ClusterSlot, error) {
	d.mu.Lock()
	addrs := slices.Clone(d.endpoints)
	for _, n := range d.last.Nodes {
		if !slices.Contains(addrs, n) {
			addrs = append(addrs, n)
		}
	}
	d.mu.Unlock()
	var firstErr error
	for _, i := range rand.Perm(len(addrs)) {
		slots, err := d.askSlots(ctx, addrs[i])
		switch {
		case err == nil:
			d.found(kindCluster, topology.Topology{Kind: kindCluster.String(), Nodes: slotNodes(slots)}, "")
			return slots, nil
		case notCluster(err) && d.currentKind() != kindCluster:
			return nil, fmt.Errorf("%w: %w", errNotCluster, err)
		case firstErr == nil:
			firstErr = err
		}
	}
	return nil, firstErr
}

// askSlots sends CLUSTER SLOTS to addr.
func (d *discovery) askSlots(ctx context.Context, addr string) ([]redis.ClusterSlot, error) {
	c, err := d.probe(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTime(c))
	defer cancel()
	//lint:ignore SA1019 go-redis loads a cluster's slot map with CLUSTER SLOTS too; servers before Redis 7 have no CLUSTER SHARDS
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	for _, s := range slots {
		for i := range s.Nodes {
			s.Nodes[i].Addr = viaOrigin(s.Nodes[i].Addr, host, port)
		}
	}
	return slots, nil
}

// viaOrigin returns the address of a node that CLUSTER SLOTS, asked at
// originHost:originPort, gave as addr: a loopback host is the origin's
// host when that is not loopback, port 0 (a TLS-only node) the origin's
// port. go-redis does the same for the slot maps it loads itself, but not
// for those of a ClusterSlots function.
func viaOrigin(addr, originHost, originPort string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() && !isLoopbackHost(originHost) {
		host = originHost
	}
	if port == "0" && originPort != "" {
		port = originPort
	}
	return net.JoinHostPort(host, port)
}

func isLoopbackHost(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return strings.EqualFold(host, "localhost")
}

// replicaSlots returns the slot map of the endpoints' primary and
// replicas, after asking every endpoint its role concurrently.
func (d *discovery) replicaSlots(ctx context.Context) ([]redis.ClusterSlot, error) {
	primary, replicas, err := d.discover(ctx)
	if err != nil {
		return nil, err
	}
	nodes := []redis.ClusterNode{{Addr: primary}}
	for _, r := range replicas {
		nodes = append(nodes, redis.ClusterNode{Addr: r})
	}
	return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: nodes}}, nil
}

// nodeClient builds the client of one node of the cluster client. go-redis
// turns a loopback address of a ClusterSlots function's slot map into
// ":port" (it has no origin to compare it with); the node keeps the
// address the slot map gave (NodeAddress), so that it dials, and reports
// in telemetry and errors, the address that was listed.
func nodeClient(o *redis.Options) *redis.Client {
	if host, _, err := net.SplitHostPort(o.Addr); err == nil && host == "" && o.NodeAddress != "" {
		o.Addr = o.NodeAddress
	}
	return redis.NewClient(o)
}

// discover asks every endpoint, chooses the primary and records the
// result: the topology, or the split brain that makes the client refuse
// commands (fence).
func (d *discovery) discover(ctx context.Context) (primary string, replicas []string, err error) {
	e := elect(d.askAll(ctx))
	primary, replicas, err = d.outcome(e)
	switch {
	case e.splitBrain:
		d.setFence(err, strings.Join(addrsOf(e.claimants), ","), e.replicas)
	case err == nil:
		d.clearFence()
		note, details := d.note(e)
		d.found(kindReplicas, topology.Topology{Kind: kindReplicas.String(), Primary: primary, Replicas: replicas}, note, details...)
	}
	return primary, replicas, err
}

// choose picks the primary among the reports (elect), for tests.
func (d *discovery) choose(reports []nodeReport) (primary string, replicas []string, err error) {
	return d.outcome(elect(reports))
}

// outcome turns an election into the primary and replicas, or the error
// that names the client and says what each endpoint reported.
func (d *discovery) outcome(e election) (primary string, replicas []string, err error) {
	switch {
	case e.splitBrain:
		descs := make([]string, len(e.claimants))
		for i, c := range e.claimants {
			descs[i] = c.describe()
		}
		return "", nil, clientError(d.name, fmt.Errorf("%w: %s both report themselves primary (%s); "+
			"commands are refused until all but one are demoted (REPLICAOF)",
			ErrSplitBrain, strings.Join(addrsOf(e.claimants), " and "), strings.Join(descs, "; ")))
	case e.primary != "":
		return e.primary, e.replicas, nil
	}
	var why []string
	for _, r := range e.reports {
		switch {
		case r.err != nil:
			why = append(why, r.addr+": "+r.err.Error())
		case r.role == "slave":
			why = append(why, r.addr+": replica of "+r.master)
		default:
			why = append(why, r.addr+": role "+strconv.Quote(r.role))
		}
	}
	return "", nil, clientError(d.name, fmt.Errorf("no endpoint reports itself primary (%s)", strings.Join(why, "; ")))
}

// note says, for the log, how the primary was chosen when that was not
// plain ("" when one endpoint reported itself primary), and details what
// the claimants reported (which changes with every write, so it is not part
// of the note).
func (d *discovery) note(e election) (note string, details []string) {
	switch {
	case e.roleless:
		return "no endpoint could report its role (ROLE refused); the first that answered is taken for the primary", nil
	case e.rule != "":
		for _, c := range e.claimants {
			details = append(details, c.describe())
		}
		return "several endpoints report themselves primary (" + strings.Join(addrsOf(e.claimants), ", ") + "); " +
			e.primary + " is chosen: " + e.rule, details
	}
	return "", nil
}

func addrsOf(rs []nodeReport) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.addr
	}
	return out
}

func slotNodes(slots []redis.ClusterSlot) []string {
	var out []string
	for _, s := range slots {
		for _, n := range s.Nodes {
			if !slices.Contains(out, n.Addr) {
				out = append(out, n.Addr)
			}
		}
	}
	slices.Sort(out)
	return out
}

// found records a discovery and logs it when the topology changed (at
// WARN with note when the primary was not the only endpoint that claimed
// to be one).
func (d *discovery) found(kind topologyKind, t topology.Topology, note string, details ...string) {
	d.mu.Lock()
	changed := d.currentKind() != kind || d.last.Primary != t.Primary || !slices.Equal(d.last.Replicas, t.Replicas) ||
		!slices.Equal(d.last.Nodes, t.Nodes) || d.lastNote != note
	d.kind.Store(int32(kind))
	d.last, d.lastNote = t, note
	d.mu.Unlock()
	if kind == kindReplicas {
		d.startWatch()
	}
	if !changed {
		return
	}
	switch {
	case kind == kindCluster:
		d.logger.Info("redis topology discovered: a Redis Cluster", slog.Any("nodes", t.Nodes))
	case note != "":
		attrs := []any{slog.String("primary", t.Primary), slog.Any("replicas", t.Replicas)}
		if details != nil {
			attrs = append(attrs, slog.Any("primaries", details))
		}
		d.logger.Warn("redis topology discovered: a primary and its replicas; "+note, attrs...)
	default:
		d.logger.Info("redis topology discovered: a primary and its replicas",
			slog.String("primary", t.Primary), slog.Any("replicas", t.Replicas))
	}
}

// fence is the error of the split brain that makes the client refuse
// commands, and the endpoints that claim primary.
type fence struct {
	err       error
	claimants string
}

// fenced returns the error commands are refused with, or nil.
func (d *discovery) fenced() error {
	if f := d.fence.Load(); f != nil {
		return f.err
	}
	return nil
}

// setFence makes the client refuse commands with err (a split brain
// between claimants), and logs it when the claimants are new.
func (d *discovery) setFence(err error, claimants string, replicas []string) {
	old := d.fence.Swap(&fence{err: err, claimants: claimants})
	d.mu.Lock()
	d.kind.Store(int32(kindReplicas))
	d.last = topology.Topology{Kind: kindReplicas.String(), Replicas: replicas}
	d.lastNote = ""
	d.mu.Unlock()
	d.startWatch()
	if old == nil || old.claimants != claimants {
		d.logger.Error("redis: commands refused", slog.String("error", err.Error()))
	}
}

// clearFence lets commands through again.
func (d *discovery) clearFence() {
	if d.fence.Swap(nil) != nil {
		d.logger.Info("redis: one primary can be chosen again; commands are served")
	}
}

// roleCheckInterval is how often the roles of a primary/replica list are
// asked again (ROLE to each endpoint, and INFO to each that claims primary
// when several do), besides when a node cannot be reached or answers
// READONLY: a replica promoted beside a primary that keeps running is
// noticed by no error.
const roleCheckInterval = time.Second

// startWatch starts the role checks once the client is known to be a
// primary/replica client.
func (d *discovery) startWatch() {
	d.mu.Lock()
	watch := d.client != nil && !d.watching && !d.closed
	if watch {
		d.watching = true
		d.watchers.Add(1)
	}
	d.mu.Unlock()
	if watch {
		go d.watch()
	}
}

// askAgain has the role checks run now rather than at their next tick,
// when a command of a primary/replica client could not reach its node or
// met a replica (READONLY): the primary may have changed. It does not
// block, and is safe to call from a hook: the checks run on their own
// goroutine (watch), which reloads the client's slot map.
func (d *discovery) askAgain() {
	if d.currentKind() != kindReplicas {
		return
	}
	select {
	case d.recheck <- struct{}{}:
	default:
	}
}

// recheckGap is the least time between two role checks that askAgain
// asked for: a burst of failing commands makes one check, not one each.
const recheckGap = 100 * time.Millisecond

// watch has the client reload its slot map (ReloadState, which calls
// slots and so asks the roles) every roleCheckInterval, and at once when
// askAgain asks, until the discovery is closed. It is the only caller of
// ReloadState here: go-redis's hooks must not call client control methods.
func (d *discovery) watch() {
	defer d.watchers.Done()
	t := time.NewTicker(roleCheckInterval)
	defer t.Stop()
	for {
		asked := false
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
		case <-d.recheck:
			asked = true
		}
		d.client.ReloadState(d.ctx)
		if asked {
			select {
			case <-d.ctx.Done():
				return
			case <-time.After(recheckGap):
			}
		}
	}
}

// onConnect prepares every connection of the cluster client, then runs
// next: it selects defaultDatabase (go-redis's cluster options have no
// database), and on a Redis Cluster whose replicas serve reads it sends
// READONLY, which go-redis leaves out for a client with a ClusterSlots
// function (it expects nodes outside a cluster, which refuse it).
func (d *discovery) onConnect(db int, next func(context.Context, *redis.Conn) error) func(context.Context, *redis.Conn) error {
	return func(ctx context.Context, cn *redis.Conn) error {
		if db != 0 {
			if err := cn.Select(ctx, db).Err(); err != nil {
				return clientError(d.name, fmt.Errorf("selecting defaultDatabase=%d: %w", db, err))
			}
		}
		if d.readOnly && d.currentKind() == kindCluster {
			if err := cn.ReadOnly(ctx).Err(); err != nil {
				return clientError(d.name, fmt.Errorf("READONLY: %w", err))
			}
		}
		if next != nil {
			return next(ctx, cn)
		}
		return nil
	}
}

// discoveryLayer builds the client of several endpoints without
// serviceName, which are, for StackExchange.Redis, servers whose roles it
// discovers: a Redis Cluster, or a primary and its replicas. go-redis must
// pick the kind of client before it connects (and New does not connect),
// so such a connection string builds a *redis.ClusterClient whose slot map
// comes from a ClusterSlots function (discovery.slots), as go-redis's own
// NewFailoverClusterClient runs a sentinel's primary and replicas as a
// one-shard cluster. The function asks the endpoints CLUSTER SLOTS: a real
// cluster is used as go-redis uses it. A node outside a cluster refuses
// CLUSTER SLOTS ("cluster support disabled"); the function then asks
// every endpoint its ROLE and returns one shard of all slots, held by the
// endpoint that reports itself primary, with the endpoints that report
// themselves replicas as its replicas. So the client follows a role change
// (an old primary demoted, a replica promoted) the way it follows a
// cluster's failover: go-redis reloads the slot map when a write meets a
// replica (READONLY), and the roles are also asked every second (watch),
// and at once when a node cannot be reached, since a replica promoted
// beside a primary that keeps running makes no command fail. When several
// endpoints report themselves primary, election.go chooses by their data,
// or the client refuses commands (ErrSplitBrain) until one is demoted.
//
// Commands, and so writes, go to the primary; reads too, unless go-redis's
// ReadOnly, RouteByLatency or RouteRandomly options (ConfigurationOptions or
// settings.ConfigureOptions) send them to replicas. What a cluster client
// would otherwise do differently from a standalone one is adjusted for a
// primary/replica set: defaultDatabase is selected on every connection, and
// a MULTI/EXEC transaction runs on the primary whatever its keys' hash
// slots are (replicaHook). WATCH (Client.Watch) still requires its keys to
// share one hash slot.
type discoveryLayer struct {
	noLayer
	client     string
	on         bool // several endpoints to discover (discovers)
	commandMap *commandMapLayer
	logger     *slog.Logger
	d          *discovery           // set by construct when on
	c          *redis.ClusterClient // set by construct when on
}

func (*discoveryLayer) name() string { return "primary/replica discovery" }

// construct builds the cluster client with discovery, or returns nil when
// the endpoints are not to be discovered. Nothing is dialled.
func (l *discoveryLayer) construct(opts *redis.UniversalOptions) redis.UniversalClient {
	if !l.on {
		return nil
	}
	d := newDiscovery(l.client, opts, l.commandMap.m, l.logger)
	copts := opts.Cluster()
	copts.ClusterSlots = d.slots
	copts.NewClient = nodeClient
	copts.OnConnect = d.onConnect(opts.DB, opts.OnConnect)
	c := redis.NewClusterClient(copts)
	d.mu.Lock()
	d.client, d.readOnly = c, c.Options().ReadOnly
	d.mu.Unlock()
	l.d, l.c = d, c
	return c
}

// install puts the hook that refuses commands during a split brain and
// runs transactions on the primary on the client construct built.
func (l *discoveryLayer) install(redis.UniversalClient) error {
	if l.d != nil {
		addHooks(l.c, replicaHook{c: l.c, d: l.d}, nil)
	}
	return nil
}

// onProbe has add called on each client the discovery asks the
// endpoints with, as it is created: the layers whose hooks go on every
// node of the client (addHooks) put them there too, so that the probes'
// dials are, for example, logged as the client's. Nothing when the
// endpoints are not discovered.
func (l *discoveryLayer) onProbe(add func(*redis.Client)) {
	if l.d == nil {
		return
	}
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	l.d.probeHooks = append(l.d.probeHooks, add)
}

func (l *discoveryLayer) wrapCheck(c healthcheck.Check) healthcheck.Check {
	if l.d == nil {
		return c
	}
	return l.d.check(c, l.c)
}

func (l *discoveryLayer) close() error {
	if l.d == nil {
		return nil
	}
	if err := l.d.close(); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// notCluster reports whether err, the reply to CLUSTER SLOTS, says that
// the server is not part of a cluster.
func notCluster(err error) bool {
	if errors.Is(err, ErrCommandDisabled) {
		return true
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return false
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "cluster support disabled") || strings.Contains(msg, "unknown command") ||
		strings.Contains(msg, "unknown subcommand")
}

// replicaHook, on the cluster client of a primary/replica set, refuses
// every command and pipeline during a split brain (discovery.fenced),
// runs a MULTI/EXEC transaction on the primary as it is (a cluster client
// refuses transactions whose keys span several hash slots, which one
// primary does not need), and has the roles asked again (askAgain) when a
// command could not reach its node. It is installed after the telemetry
// hooks. Like every hook it calls no client control method (ReloadState,
// Close).
type replicaHook struct {
	c *redis.ClusterClient
	d *discovery
}

func (h replicaHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook refuses commands during a split brain.
func (h replicaHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := h.d.fenced(); err != nil {
			cmd.SetErr(err)
			return err
		}
		err := next(ctx, cmd)
		h.unreachable(err)
		return err
	}
}

func (h replicaHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if err := h.d.fenced(); err != nil {
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
		n := len(cmds)
		if n < 3 || cmds[0].Name() != "multi" || cmds[n-1].Name() != "exec" || h.d.currentKind() != kindReplicas {
			err := next(ctx, cmds)
			h.unreachable(err)
			return err
		}
		inner := cmds[1 : n-1]
		err := h.onPrimary(ctx, inner)
		// A READONLY reply means the primary became a replica and nothing
		// ran (EXECABORT): have the roles asked again and run the
		// transaction on the new primary, as a cluster client does for a
		// single command.
		for attempt := 0; attempt < txRetries && (isReadOnly(err) || isUnreachable(err)); attempt++ {
			h.d.askAgain()
			t := time.NewTimer(txRetryBackoff << attempt)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
			for _, c := range inner {
				c.SetErr(nil)
			}
			err = h.onPrimary(ctx, inner)
		}
		h.unreachable(err)
		return err
	}
}

// unreachable has the roles asked again when err says that a node of a
// primary/replica set could not be reached: a primary that is down does
// not answer READONLY, and a replica may have been promoted in its place.
func (h replicaHook) unreachable(err error) {
	if isUnreachable(err) {
		h.d.askAgain()
	}
}

// isUnreachable reports whether err is a failure to reach a server rather
// than its reply, a cancellation or a deadline.
func isUnreachable(err error) bool {
	return err != nil && err != redis.Nil && !isReply(err) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// A transaction that meets a replica is tried again txRetries times, after
// txRetryBackoff, doubled each time (0.1+0.2+0.4+0.8 s in all), while the
// role checks find the new primary.
const (
	txRetries      = 4
	txRetryBackoff = 100 * time.Millisecond
)

// onPrimary runs cmds as one transaction on the current primary.
func (h replicaHook) onPrimary(ctx context.Context, cmds []redis.Cmder) error {
	primary, err := h.c.MasterForKey(ctx, "")
	if err != nil {
		for _, c := range cmds {
			c.SetErr(err)
		}
		return err
	}
	pipe := primary.TxPipeline()
	for _, c := range cmds {
		_ = pipe.Process(ctx, c)
	}
	_, err = pipe.Exec(ctx)
	return err
}

func isReadOnly(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "READONLY ")
}

// discovers reports whether conn is several endpoints whose topology the
// client discovers: not sentinels, and not declared a cluster by the
// ClusterMode setting.
func discovers(conn *settings.Connection) bool {
	o := conn.Options
	return conn.Topology == settings.Cluster && o.MasterName == "" && !o.IsClusterMode && len(o.Addrs) > 1
}

// check adapts the cluster client's health check: for a primary and its
// replicas it PINGs the primary (a server outside a cluster has no CLUSTER
// INFO to check); for a cluster it is std.
func (d *discovery) check(std healthcheck.Check, c *redis.ClusterClient) healthcheck.Check {
	run := std.Run
	std.Run = func(ctx context.Context) error {
		ctx = untraced.Context(ctx)
		if d.currentKind() == kindUnknown {
			// Load the slot map, which tells the kind; a failure is
			// reported by run below.
			_, _ = c.MasterForKey(ctx, "")
		}
		if d.currentKind() != kindReplicas {
			if err := d.fenced(); err != nil {
				return err
			}
			return run(ctx)
		}
		err := c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			if err := node.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("primary %s: PING: %w", node.Options().Addr, err)
			}
			return nil
		})
		// ForEachMaster asked the roles again; a split brain makes it
		// fall back on the last slot map, whose primary may answer.
		if ferr := d.fenced(); ferr != nil {
			return ferr
		}
		return err
	}
	return std
}
