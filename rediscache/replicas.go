package rediscache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/aspirego/redis/healthcheck"
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

// The values of Topology.Kind.
const (
	KindCluster         = "cluster"          // a Redis Cluster
	KindPrimaryReplicas = "primary/replicas" // a primary and its replicas, outside a cluster
	KindUnknown         = "unknown"          // not discovered yet, or not a client of several endpoints
)

func (k topologyKind) String() string {
	switch k {
	case kindCluster:
		return KindCluster
	case kindReplicas:
		return KindPrimaryReplicas
	}
	return KindUnknown
}

// Topology is what a client built from several endpoints found when it last
// asked them (see Instance.Topology).
type Topology struct {
	// Kind is [KindCluster], [KindPrimaryReplicas], or [KindUnknown]
	// before the first successful discovery.
	Kind string
	// Primary is the endpoint that reported itself primary
	// (primary/replicas only).
	Primary string
	// Replicas are the endpoints that reported themselves replicas
	// (primary/replicas only).
	Replicas []string
	// Nodes are the cluster's nodes as CLUSTER SLOTS reported them
	// (cluster only).
	Nodes []string
}

// discovery finds the topology behind several endpoints: it answers
// CLUSTER SLOTS for nodes outside a cluster (slotsHook), asking every
// endpoint its ROLE through a small client of its own (probes, one
// connection each, created on first use and closed with the Instance).
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

	mu       sync.Mutex
	probes   map[string]*redis.Client // by address
	last     Topology
	lastNote string
	closed   bool
	client   *redis.ClusterClient // the client whose slot map the role checks reload
	routed   []string             // the primary and replicas of the last slot map handed to go-redis
	watching bool
	watchers sync.WaitGroup
	// The last failure of replicaSlots, reused for replicaMemo: go-redis
	// asks each node in turn until one answers, and each node's refusal of
	// CLUSTER SLOTS would otherwise ask every endpoint again. A success
	// ends go-redis's loop and is never reused: the roles may change at
	// any time.
	memoAt  time.Time
	memoErr error
}

// replicaMemo is how long a failure of replicaSlots is reused.
const replicaMemo = 100 * time.Millisecond

// newDiscovery returns the discovery of the endpoints of opts for client
// name. Its probes are bounded even when the client is not: no timeout
// (negative) becomes go-redis's default (zero) for them.
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
			PoolSize:                     1,
			MaxRetries:                   -1,
			DialerRetries:                1,
			DisableIdentity:              true,
			MaintNotificationsConfig:     &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		},
		cm:     cm,
		logger: logger,
		probes: make(map[string]*redis.Client),
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
func (d *discovery) topology() Topology {
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

// replicaSlots returns the slot map of the endpoints' primary and
// replicas, after asking every endpoint its role concurrently.
func (d *discovery) replicaSlots(ctx context.Context) ([]redis.ClusterSlot, error) {
	d.mu.Lock()
	if d.memoErr != nil && time.Since(d.memoAt) < replicaMemo {
		err := d.memoErr
		d.mu.Unlock()
		return nil, err
	}
	d.mu.Unlock()
	slots, err := d.askReplicas(ctx)
	d.mu.Lock()
	d.memoAt, d.memoErr = time.Now(), err
	d.mu.Unlock()
	return slots, err
}

func (d *discovery) askReplicas(ctx context.Context) ([]redis.ClusterSlot, error) {
	primary, replicas, err := d.discover(ctx)
	if err != nil {
		return nil, err
	}
	nodes := []redis.ClusterNode{{Addr: primary}}
	for _, r := range replicas {
		nodes = append(nodes, redis.ClusterNode{Addr: r})
	}
	d.mu.Lock()
	d.routed = append([]string{primary}, replicas...)
	d.mu.Unlock()
	return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: nodes}}, nil
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
		d.found(kindReplicas, Topology{Kind: kindReplicas.String(), Primary: primary, Replicas: replicas}, note, details...)
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
		return "", nil, fmt.Errorf("rediscache: client %q: %w: %s both report themselves primary (%s); "+
			"commands are refused until all but one are demoted (REPLICAOF)",
			d.name, ErrSplitBrain, strings.Join(addrsOf(e.claimants), " and "), strings.Join(descs, "; "))
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
	return "", nil, fmt.Errorf("rediscache: client %q: no endpoint reports itself primary (%s)", d.name, strings.Join(why, "; "))
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
func (d *discovery) found(kind topologyKind, t Topology, note string, details ...string) {
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
	d.last = Topology{Kind: kindReplicas.String(), Replicas: replicas}
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

// watch asks the roles every roleCheckInterval until the discovery is
// closed, and has the client reload its slot map when the primary or the
// replicas differ from those of the slot map go-redis has (so a reload
// that failed is tried again), or a split brain ended.
func (d *discovery) watch() {
	defer d.watchers.Done()
	t := time.NewTicker(roleCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
		}
		wasFenced := d.fenced() != nil
		primary, replicas, err := d.discover(d.ctx)
		if err != nil {
			continue
		}
		d.mu.Lock()
		stale := !slices.Equal(d.routed, append([]string{primary}, replicas...))
		d.mu.Unlock()
		if wasFenced || stale {
			d.client.ReloadState(d.ctx)
		}
	}
}

// onConnect selects defaultDatabase on every connection of the cluster
// client (go-redis's cluster options have no database), then runs next.
func (d *discovery) onConnect(db int, next func(context.Context, *redis.Conn) error) func(context.Context, *redis.Conn) error {
	if db == 0 {
		return next
	}
	return func(ctx context.Context, cn *redis.Conn) error {
		if err := cn.Select(ctx, db).Err(); err != nil {
			return fmt.Errorf("rediscache: client %q: selecting defaultDatabase=%d: %w", d.name, db, err)
		}
		if next != nil {
			return next(ctx, cn)
		}
		return nil
	}
}

// discoveryLayer builds the client of several endpoints without
// serviceName, which are, for StackExchange.Redis, servers whose roles it
// discovers: a Redis Cluster, or a primary and its replicas. go-redis must pick the kind of client before it connects (and
// New does not connect), so such a connection string builds a
// *redis.ClusterClient, which loads its slot map with CLUSTER SLOTS when it
// first needs it (its first command), again every minute, and at once when
// a write meets a replica (READONLY) or a redirection. A node that is not
// part of a cluster refuses CLUSTER SLOTS ("cluster support disabled"); a
// hook on every node then answers for it with the slot map of a primary and
// its replicas, found by asking every endpoint its ROLE: the whole slot
// range belongs to the endpoint that reports itself primary, with the
// endpoints that report themselves replicas as its replicas. So the client
// follows a role change (an old primary demoted, a replica promoted) the
// way it follows a cluster's failover, and a real cluster is used exactly
// as go-redis uses it. For a primary and its replicas the roles are also
// asked every second (watch): a replica promoted beside a primary that
// keeps running makes no command fail. When several endpoints report
// themselves primary, election.go chooses by their data, or the client
// refuses commands (ErrSplitBrain) until one is demoted.
//
// Commands, and so writes, go to the primary; reads too, unless go-redis's
// ReadOnly, RouteByLatency or RouteRandomly options (ConfigurationOptions or
// settings.ConfigureOptions) send them to replicas. What a cluster client
// would otherwise do differently from a standalone one is adjusted for a
// primary/replica set: defaultDatabase is selected on every connection, the
// READONLY command go-redis sends to cluster replicas is not sent, and a
// MULTI/EXEC transaction runs on the primary whatever its keys' hash slots
// are. WATCH (Client.Watch) still requires its keys to share one hash slot.
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
// the endpoints are not to be discovered.
func (l *discoveryLayer) construct(opts *redis.UniversalOptions) redis.UniversalClient {
	if !l.on {
		return nil
	}
	l.d = newDiscovery(l.client, opts, l.commandMap.m, l.logger)
	copts := opts.Cluster()
	copts.OnConnect = l.d.onConnect(opts.DB, opts.OnConnect)
	l.c = redis.NewClusterClient(copts)
	return l.c
}

// install puts the discovery's hooks on the client construct built.
func (l *discoveryLayer) install(redis.UniversalClient) error {
	if l.d != nil {
		l.d.install(l.c)
	}
	return nil
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

// install puts the discovery hooks on c: one per node that answers CLUSTER
// SLOTS for a node outside a cluster, and one on c that runs transactions
// on the primary.
func (d *discovery) install(c *redis.ClusterClient) {
	d.mu.Lock()
	d.client = c
	d.mu.Unlock()
	addHooks(c, replicaTxHook{c: c, d: d}, func(*redis.Client) redis.Hook { return slotsHook{d: d, c: c} })
}

// slotsHook answers CLUSTER SLOTS for a node that is not part of a
// cluster, and leaves out the READONLY that go-redis sends on new
// connections when it reads from replicas, which such a node refuses. For
// a primary and its replicas it also has the client discover the roles
// again when a node cannot be reached: a primary that is down does not
// answer READONLY, and a replica may have been promoted in its place.
type slotsHook struct {
	d *discovery
	c *redis.ClusterClient
}

func (h slotsHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h slotsHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		sc, ok := cmd.(*redis.ClusterSlotsCmd)
		if !ok {
			err := next(ctx, cmd)
			h.unreachable(err)
			return err
		}
		err := next(ctx, cmd)
		if err == nil {
			h.d.found(kindCluster, Topology{Kind: kindCluster.String(), Nodes: slotNodes(sc.Val())}, "")
			return nil
		}
		if !notCluster(err) {
			return err
		}
		slots, derr := h.d.replicaSlots(ctx)
		if derr != nil {
			cmd.SetErr(derr)
			return derr
		}
		sc.SetErr(nil)
		sc.SetVal(slots)
		return nil
	}
}

func (h slotsHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.d.currentKind() != kindReplicas || !slices.ContainsFunc(cmds, isReadOnlyCmd) {
			err := next(ctx, cmds)
			h.unreachable(err)
			return err
		}
		send := make([]redis.Cmder, 0, len(cmds))
		for _, c := range cmds {
			if isReadOnlyCmd(c) {
				if sc, ok := c.(*redis.StatusCmd); ok {
					sc.SetVal("OK")
				}
				continue
			}
			send = append(send, c)
		}
		if len(send) == 0 {
			return nil
		}
		err := next(ctx, send)
		h.unreachable(err)
		return err
	}
}

// unreachable has the client discover the roles again when err says that
// a node of a primary/replica set could not be reached. go-redis runs one
// discovery at a time, and at most one more after it.
func (h slotsHook) unreachable(err error) {
	if err == nil || err == redis.Nil || h.d.currentKind() != kindReplicas || isReply(err) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	h.c.ReloadState(context.Background())
}

func isReadOnlyCmd(c redis.Cmder) bool { return c.Name() == "readonly" }

// notCluster reports whether err, the reply to CLUSTER SLOTS (or to the
// READONLY before it on a new connection), says that the server is not
// part of a cluster.
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

// replicaTxHook refuses every command and pipeline of a primary/replica
// client during a split brain (discovery.fenced), and runs a MULTI/EXEC
// transaction on the primary as it is: a cluster client refuses
// transactions whose keys span several hash slots, which one primary does
// not need. It is installed after the telemetry hooks.
type replicaTxHook struct {
	c *redis.ClusterClient
	d *discovery
}

func (h replicaTxHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook refuses commands during a split brain.
func (h replicaTxHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := h.d.fenced(); err != nil {
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (h replicaTxHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if err := h.d.fenced(); err != nil {
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
		n := len(cmds)
		if n < 3 || cmds[0].Name() != "multi" || cmds[n-1].Name() != "exec" || h.d.currentKind() != kindReplicas {
			return next(ctx, cmds)
		}
		inner := cmds[1 : n-1]
		err := h.onPrimary(ctx, inner)
		// A READONLY reply means the primary became a replica and nothing
		// ran (EXECABORT): find the new primary and run the transaction
		// there, as a cluster client does for a single command.
		for attempt := 0; attempt < txRetries && isReadOnly(err); attempt++ {
			h.c.ReloadState(ctx)
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
		return err
	}
}

// A transaction that meets a replica is tried again txRetries times, after
// txRetryBackoff, doubled each time (0.1+0.2+0.4+0.8 s in all), while the
// client discovers the new primary.
const (
	txRetries      = 4
	txRetryBackoff = 100 * time.Millisecond
)

// onPrimary runs cmds as one transaction on the current primary.
func (h replicaTxHook) onPrimary(ctx context.Context, cmds []redis.Cmder) error {
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

// Topology returns what the client found behind its endpoints when it last
// asked them, for a client built from several endpoints (a Redis Cluster or
// a primary and its replicas). For other clients, and before the first
// command, Kind is "unknown".
func (i *Instance) Topology() Topology {
	if i.discovery == nil {
		return Topology{Kind: kindUnknown.String()}
	}
	return i.discovery.topology()
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
