package azureauth

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/healthjson"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

const testOID = "3f2a9c1e-0b7d-4e1a-9c55-6a1d2b3c4d5e"

// entraServer is a redis-server (or the nodes of a Redis Cluster)
// standing in for Azure Redis: its ACL user is the token's oid, and every
// token the fake credential issues becomes one of the user's passwords
// before the client gets it. Old passwords are removed by the test.
// Clients reach each node through an authProxy.
type entraServer struct {
	nodes   []*testserver.Server
	cred    *fakeCredential
	proxies map[string]*authProxy // node address -> its proxy

	mu      sync.Mutex
	removed map[string]string // token -> why it was removed
	moveLag []time.Duration   // from a token's successor being issued to its removal
}

// srv is the first node (the only one of a standalone server).
func (e *entraServer) srv() *testserver.Server { return e.nodes[0] }

func startEntraServer(t *testing.T, lifetime time.Duration) *entraServer {
	t.Helper()
	return newEntraServer(t, lifetime, testserver.Start(t, testserver.Options{Password: "admin-not-a-token"}))
}

func newEntraServer(t *testing.T, lifetime time.Duration, nodes ...*testserver.Server) *entraServer {
	t.Helper()
	e := &entraServer{nodes: nodes, removed: map[string]string{}, proxies: map[string]*authProxy{}}
	e.cred = &fakeCredential{oid: testOID, lifetime: lifetime}
	e.cred.onIssue = func(tok string, _ time.Time) error {
		// Best effort: with the server down, the token is added when it
		// comes back (addValid).
		e.everyNode("ACL", "SETUSER", testOID, ">"+tok)
		return nil
	}
	for _, n := range nodes {
		n.Do(t, "ACL", "SETUSER", testOID, "on", "~*", "&*", "+@all")
		e.proxies[n.Addr] = newAuthProxy(t, n.Addr, e.cred.expiryOf)
	}
	return e
}

// everyNode runs a command on every node and returns the first error.
func (e *entraServer) everyNode(args ...any) error {
	var first error
	for _, n := range e.nodes {
		if _, err := n.DoErr(args...); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// addValid makes every unexpired token a password again (after a restart).
func (e *entraServer) addValid(t *testing.T) {
	t.Helper()
	for _, n := range e.nodes {
		n.Do(t, "ACL", "SETUSER", testOID, "on", "~*", "&*", "+@all")
		for _, tok := range e.cred.tokens() {
			if time.Now().Before(tok.expires) {
				n.Do(t, "ACL", "SETUSER", testOID, ">"+tok.value)
			}
		}
	}
}

// proxyReport joins the violations and command counts of every proxy.
func (e *entraServer) proxyReport() (violations []string, commands int) {
	for addr, p := range e.proxies {
		v, c := p.report()
		for _, s := range v {
			violations = append(violations, addr+": "+s)
		}
		commands += c
	}
	return violations, commands
}

// rotate removes the password of every token but the newest once every
// open connection that was used since the next token was issued has moved
// off it ("moved"), or once it expired ("expired"). A connection nobody
// used since then (an idle one in a pool, a cluster's seed) holds on to
// its token until it is next used: go-redis re-authenticates it then,
// before any command, which the proxy checks.
func (e *entraServer) rotate(t *testing.T) {
	t.Helper()
	toks := e.cred.tokens()
	if len(toks) < 2 {
		return
	}
	var live []liveConn
	for _, p := range e.proxies {
		live = append(live, p.live()...)
	}
	for i, tok := range toks[:len(toks)-1] {
		e.mu.Lock()
		_, done := e.removed[tok.value]
		e.mu.Unlock()
		inUse := false
		for _, c := range live {
			if c.token == tok.value && c.lastCommand.After(toks[i+1].issued) {
				inUse = true
			}
		}
		var why string
		switch {
		case done:
			continue
		case !inUse:
			why = "moved"
		case time.Now().After(tok.expires):
			why = "expired"
		default:
			continue
		}
		if err := e.everyNode("ACL", "SETUSER", testOID, "<"+tok.value); err != nil {
			t.Logf("removing an old password: %v", err)
			continue
		}
		e.mu.Lock()
		e.removed[tok.value] = why
		if why == "moved" {
			e.moveLag = append(e.moveLag, time.Since(toks[i+1].issued))
		}
		e.mu.Unlock()
	}
}

func (e *entraServer) lags() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]time.Duration, len(e.moveLag))
	for i, d := range e.moveLag {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

func (e *entraServer) removals() (moved, expired int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, why := range e.removed {
		if why == "moved" {
			moved++
		} else {
			expired++
		}
	}
	return moved, expired
}

// client builds the client "cache" through rediscache with the extension,
// for an Azure Managed Redis host name whose connections go to the proxy.
//
// The Azure host name stands for the first node; a cluster's other nodes
// are reached at the ports CLUSTER SLOTS gives, each through its proxy.
func (e *entraServer) client(t *testing.T, o Options, opts ...settings.Option) *rediscache.Instance {
	t.Helper()
	const host = "contoso.westeurope.redis.azure.net:10000"
	cfg, err := settings.NewConfig(map[string]any{
		"ConnectionStrings:cache": host + ",ssl=false,connectTimeout=2000,syncTimeout=2000",
	})
	if err != nil {
		t.Fatal(err)
	}
	route := map[string]string{host: e.proxies[e.srv().Addr].Addr()}
	for addr, p := range e.proxies {
		route[addr] = p.Addr()
		// go-redis gives a cluster node that reports a loopback address
		// the seed's host name.
		_, port, _ := net.SplitHostPort(addr)
		route[strings.Split(host, ":")[0]+":"+port] = p.Addr()
	}
	opts = append(opts, WithCredential(e.cred), settings.ConfigureOptions(func(o *redis.UniversalOptions) {
		o.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
			to, ok := route[addr]
			if !ok {
				return nil, fmt.Errorf("test dialer: no route to %s", addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, to)
		}
	}))
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg, Logger: logger, Extensions: []rediscache.Extension{Extension(o)}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	if providerOf(inst.Resolved.Connection.Options) == nil {
		t.Fatal("the client does not use the Entra ID provider")
	}
	return inst
}

// load runs n goroutines of commands until stop is closed and reports
// how many succeeded and the failures.
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       []string
	wg         sync.WaitGroup
	stop       chan struct{}
}

func startLoad(c redis.UniversalClient, n int) *load {
	l := &load{stop: make(chan struct{})}
	for g := range n {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			key := fmt.Sprintf("k%d", g)
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				var err error
				if i%2 == 0 {
					err = c.Set(ctx, key, i, 0).Err()
				} else {
					err = c.Get(ctx, key).Err()
				}
				cancel()
				if err != nil {
					l.failed.Add(1)
					l.mu.Lock()
					if len(l.errs) < 5 {
						l.errs = append(l.errs, err.Error())
					}
					l.mu.Unlock()
				} else {
					l.ok.Add(1)
				}
			}
		}()
	}
	return l
}

func (l *load) finish() { close(l.stop); l.wg.Wait() }

// Under load from 50 goroutines across at least three token rotations, no
// command fails, every connection moves to the new token before the old
// one is removed from the server, and no command is sent with an expired
// token.
func TestRotationUnderLoad(t *testing.T) {
	const lifetime = 1500 * time.Millisecond
	e := startEntraServer(t, lifetime)
	o := quiet(t)
	o.RefreshFraction = 0.5
	o.Logger = nil // the client's logger
	rotateUnderLoad(t, e, e.client(t, o), 50, 3)
}

// The same with a Redis Cluster (Azure Managed Redis with the OSS cluster
// policy): every node's connections follow the tokens.
func TestRotationUnderLoadCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	const lifetime = 1500 * time.Millisecond
	c := testserver.StartCluster(t, testserver.ClusterOptions{Password: "admin-not-a-token"})
	e := newEntraServer(t, lifetime, c.Nodes...)
	o := quiet(t)
	o.RefreshFraction = 0.5
	o.Logger = nil
	inst := e.client(t, o, settings.EnableClusterMode())
	if _, ok := inst.Client.(*redis.ClusterClient); !ok {
		t.Fatalf("client %T, want a cluster client", inst.Client)
	}
	rotateUnderLoad(t, e, inst, 50, 2)
	for addr, p := range e.proxies {
		if _, n := p.report(); n == 0 {
			t.Errorf("node %s got no command", addr)
		}
	}
}

func rotateUnderLoad(t *testing.T, e *entraServer, inst *rediscache.Instance, goroutines, rotations int) {
	t.Helper()
	p := providerOf(inst.Resolved.Connection.Options)
	l := startLoad(inst.Client, goroutines)
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.rotate(t)
		moved, _ := e.removals()
		if moved >= rotations || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.finish()

	moved, expired := e.removals()
	violations, commands := e.proxyReport()
	st := p.State()
	toks := e.cred.tokens()
	idle := 0 // open connections on an older token, unused since it was replaced
	for _, px := range e.proxies {
		for _, c := range px.live() {
			if c.token != toks[len(toks)-1].value {
				idle++
			}
		}
	}
	t.Logf("%d commands ok, %d failed; %d tokens, %d rotations completed by move-over, %d old tokens still in use at expiry; "+
		"%d proxied commands; %d connections subscribed, %d idle on an older token; every used connection on the new token within %v of its issue",
		l.ok.Load(), l.failed.Load(), len(toks), moved, expired, commands, st.Connections, idle, e.lags())
	if l.failed.Load() != 0 {
		t.Errorf("%d commands failed, e.g. %q", l.failed.Load(), l.errs)
	}
	if moved < rotations {
		t.Errorf("%d rotations completed (every connection on the new token, old password removed), want at least %d", moved, rotations)
	}
	if expired != 0 {
		t.Errorf("%d old tokens were still used by an open connection when they expired", expired)
	}
	if len(violations) > 0 {
		t.Errorf("%d commands broke the rules, e.g. %q", len(violations), violations[:min(5, len(violations))])
	}
	if l.ok.Load() < 1000 {
		t.Errorf("only %d commands ran", l.ok.Load())
	}
	if st.LastError != nil || st.Connections == 0 {
		t.Errorf("provider state %+v", st)
	}
}

// A credential that fails, then recovers: commands keep working on the
// current token, /health turns Degraded, then Healthy again.
func TestCredentialFailsThenRecovers(t *testing.T) {
	const lifetime = 1500 * time.Millisecond
	e := startEntraServer(t, lifetime)
	o := quiet(t)
	o.RefreshFraction = 0.3
	inst := e.client(t, o)
	p := providerOf(inst.Resolved.Connection.Options)
	checker, err := healthcheck.New(inst.Checks...)
	if err != nil {
		t.Fatal(err)
	}
	if len(inst.Checks) != 2 || inst.Checks[1].Name != "redis_cache_entra_id" {
		t.Fatalf("checks %v", inst.Checks)
	}
	ctx := t.Context()
	if err := inst.Client.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	health := func() healthjson.Report {
		t.Helper()
		rep, _, err := healthjson.Get(ctx, checker.HealthHandler(healthcheck.WithDetails()), "")
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := health(); rep.Status != healthcheck.Healthy.String() {
		t.Fatalf("health %v: %+v", rep.Status, rep.Entries)
	}

	e.cred.setFail(errCredentialDown)
	waitFor(t, "a failed refresh", 3*time.Second, func() bool { return p.State().LastError != nil })
	if rep := health(); rep.Status != healthcheck.Degraded.String() {
		t.Errorf("health while refresh fails before expiry: %v %+v", rep.Status, rep.Entries)
	}
	if err := inst.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Errorf("a command failed while the token was still valid: %v", err)
	}

	e.cred.setFail(nil)
	waitFor(t, "recovery", 3*time.Second, func() bool { return p.State().LastError == nil })
	if rep := health(); rep.Status != healthcheck.Healthy.String() {
		t.Errorf("health after recovery: %v %+v", rep.Status, rep.Entries)
	}
	if err := inst.Client.Get(ctx, "k").Err(); err != nil {
		t.Errorf("after recovery: %v", err)
	}
	if v, _ := e.proxyReport(); len(v) > 0 {
		t.Errorf("violations: %q", v)
	}
}

// The token expires while the server is down: when the server is back,
// the client gets a new token and works, and no command ever carries an
// expired token.
func TestTokenExpiresWithServerDown(t *testing.T) {
	const lifetime = time.Second
	e := startEntraServer(t, lifetime)
	o := quiet(t)
	o.RefreshFraction = 0.5
	inst := e.client(t, o)
	p := providerOf(inst.Resolved.Connection.Options)
	ctx := t.Context()
	if err := inst.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	first := p.State().ExpiresOn

	e.srv().Stop()
	e.proxies[e.srv().Addr].closeConns()
	waitFor(t, "the first token to expire", 3*time.Second, func() bool { return time.Now().After(first) })
	e.cred.setFail(errCredentialDown) // and the identity endpoint is down too
	waitFor(t, "the current token to expire", 3*time.Second, func() bool { return time.Now().After(p.State().ExpiresOn) })
	if err := inst.Client.Ping(ctx).Err(); err == nil {
		t.Fatal("PING succeeded with the server down")
	}

	e.srv().Restart(t)
	e.cred.setFail(nil)
	e.addValid(t)
	var err error
	waitFor(t, "a command to succeed", 5*time.Second, func() bool {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		err = inst.Client.Set(c, "k", "v2", 0).Err()
		return err == nil
	})
	if st := p.State(); !st.ExpiresOn.After(first) || st.LastError != nil {
		t.Errorf("provider state after recovery %+v", st)
	}
	if v, _ := e.proxyReport(); len(v) > 0 {
		t.Errorf("violations: %q", v)
	}
	if s := fmt.Sprint(inst.Resolved); strings.Contains(s, "eyJ") {
		t.Errorf("the resolved client prints a token: %s", s)
	}
}
