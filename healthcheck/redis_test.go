package healthcheck_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/internal/untraced"
)

func newClient(tb testing.TB, opt *redis.Options) *redis.Client {
	tb.Helper()
	c := redis.NewClient(opt)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// runRedis runs the Redis check of client once through a Checker and
// returns its result and how long the run took.
func runRedis(tb testing.TB, client redis.UniversalClient, timeout time.Duration) (healthcheck.Result, time.Duration) {
	tb.Helper()
	c := mustNew(tb, healthcheck.Redis("cache", client, timeout))
	start := time.Now()
	rep := c.Run(context.Background())
	return result(tb, rep, "redis_cache"), time.Since(start)
}

func TestRedisCheckDefinition(t *testing.T) {
	ch := healthcheck.Redis("chat", nil, 3*time.Second)
	if ch.Name != "redis_chat" || len(ch.Tags) != 0 || ch.Timeout != 3*time.Second || ch.HasTag(healthcheck.TagLive) {
		t.Errorf("Redis(chat) = %+v", ch)
	}
	if got := healthcheck.Redis("", nil, 0).Name; got != "redis" {
		t.Errorf("Redis(\"\").Name = %q, want redis", got)
	}
	if err := ch.Run(context.Background()); err == nil || err.Error() != "no Redis client" {
		t.Errorf("nil client: %v", err)
	}
}

func TestRedisUpDownUp(t *testing.T) {
	const timeout = 500 * time.Millisecond
	m := miniredis.RunT(t)
	client := newClient(t, &redis.Options{Addr: m.Addr(), ContextTimeoutEnabled: true})

	if r, _ := runRedis(t, client, timeout); r.Status != healthcheck.Healthy {
		t.Fatalf("server up: %v %v", r.Status, r.Err)
	}

	m.Close()
	r, elapsed := runRedis(t, client, timeout)
	if r.Status != healthcheck.Unhealthy || elapsed > timeout+time.Second {
		t.Errorf("server down: %v %v after %v, want Unhealthy within %v", r.Status, r.Err, elapsed, timeout+time.Second)
	}
	// With go-redis' default retries the dial error may be superseded by
	// the context's, and on a loaded machine the retries may outlast the
	// deadline (a bare timeout): either way, PING failed.
	if r.Err == nil || !strings.Contains(r.Err.Error(), "PING: ") && !errors.Is(r.Err, healthcheck.ErrTimeout) {
		t.Errorf("server down: err %v, want a PING error or a timeout", r.Err)
	}

	if err := m.Restart(); err != nil {
		t.Fatal(err)
	}
	if r, _ := runRedis(t, client, timeout); r.Status != healthcheck.Healthy {
		t.Errorf("server back, same client: %v %v", r.Status, r.Err)
	}
}

func TestRedisWrongPasswordNotInReport(t *testing.T) {
	const secret = "not-the-password-9f2"
	m := miniredis.RunT(t)
	m.RequireAuth("right-password-4c1")
	client := newClient(t, &redis.Options{Addr: m.Addr(), Password: secret, ContextTimeoutEnabled: true})
	c := mustNew(t, healthcheck.Redis("cache", client, time.Second))
	rec := serve(t, c.HealthHandler(healthcheck.WithDetails()), "GET", "/health", "Accept", "application/json")
	if rec.Code != 503 {
		t.Errorf("code %d, want 503", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, secret) || strings.Contains(body, "right-password") {
		t.Errorf("a password is in the report: %s", body)
	}
	if !strings.Contains(body, "redis_cache") || !strings.Contains(body, `"description":"PING: `) {
		t.Errorf("report lacks the check's error: %s", body)
	}
}

func TestRedisSilentServer(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		name    string
		ctxTime bool
	}{
		{"ContextTimeoutEnabled", true},
		// go-redis ignores the deadline on socket I/O: only the checker's
		// own deadline bounds the request.
		{"context deadline ignored by go-redis", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Registered first, so it runs after every other cleanup.
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			addr := testserver.Silent(t)
			client := newClient(t, &redis.Options{
				Addr: addr, ContextTimeoutEnabled: tt.ctxTime,
				ReadTimeout: time.Minute, WriteTimeout: time.Minute, MaxRetries: -1,
			})
			c := mustNew(t, healthcheck.Redis("cache", client, timeout))

			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					start := time.Now()
					rec := serve(t, c.HealthHandler(), "GET", "/health")
					if elapsed := time.Since(start); elapsed > timeout+time.Second {
						t.Errorf("request took %v, check timeout %v", elapsed, timeout)
					}
					if rec.Code != 503 {
						t.Errorf("code %d, want 503", rec.Code)
					}
				})
			}
			wg.Wait()
			if n := checkGoroutines(); n > 1 {
				t.Errorf("%d check goroutines, want at most 1", n)
			}
			r, _ := runRedis(t, client, timeout)
			if !errors.Is(r.Err, healthcheck.ErrTimeout) {
				t.Errorf("err = %v, want ErrTimeout", r.Err)
			}
			// Cleanups close the client and the connections, which ends
			// the PING still blocked on the socket; then goleak checks.
		})
	}
}

func TestRedisCommandsAreUntraced(t *testing.T) {
	m := miniredis.RunT(t)
	client := newClient(t, &redis.Options{Addr: m.Addr(), ContextTimeoutEnabled: true})
	rec := &recordingHook{}
	client.AddHook(rec)
	if r, _ := runRedis(t, client, time.Second); r.Status != healthcheck.Healthy {
		t.Fatalf("%v %v", r.Status, r.Err)
	}
	if got := rec.commands(); !slices.Contains(got, "ping untraced=true") {
		t.Errorf("commands seen by hooks: %q, want a PING on an untraced context", got)
	}
	for _, c := range rec.commands() {
		if strings.HasSuffix(c, "untraced=false") {
			t.Errorf("health check command %q was not marked untraced", c)
		}
	}
}

type recordingHook struct {
	mu   sync.Mutex
	seen []string
}

func (h *recordingHook) record(ctx context.Context, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	mark := "untraced=false"
	if untraced.Is(ctx) {
		mark = "untraced=true"
	}
	h.seen = append(h.seen, name+" "+mark)
}

func (h *recordingHook) commands() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

func (h *recordingHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *recordingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.record(ctx, cmd.Name())
		return next(ctx, cmd)
	}
}

func (h *recordingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			h.record(ctx, c.Name())
		}
		return next(ctx, cmds)
	}
}

// clusterInfo makes m answer CLUSTER INFO (which miniredis lacks) with
// the given cluster_state; "" removes the answer again.
func clusterInfo(m *miniredis.Miniredis, state string) {
	if state == "" {
		m.Server().SetPreHook(nil)
		return
	}
	m.Server().SetPreHook(func(c *server.Peer, cmd string, args ...string) bool {
		if cmd == "CLUSTER" && len(args) == 1 && strings.EqualFold(args[0], "INFO") {
			c.WriteBulk("cluster_enabled:1\r\ncluster_state:" + state + "\r\ncluster_slots_assigned:16384\r\n")
			return true
		}
		return false
	})
}

// miniredis answers CLUSTER SLOTS with itself as the only primary, which
// is enough to drive the cluster branch of the check; a real three-node
// cluster is covered by the integration tests.
func TestRedisCluster(t *testing.T) {
	m := miniredis.RunT(t)
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{m.Addr()}, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	rec := &recordingHook{}
	client.OnNewNode(func(node *redis.Client) { node.AddHook(rec) })

	tests := []struct {
		name  string
		state string
		want  string // "" = healthy
	}{
		{"cluster_state ok", "ok", ""},
		{"cluster_state fail", "fail", "primary " + m.Addr() + ": CLUSTER INFO reports cluster_state:fail"},
		{"no CLUSTER INFO", "", "primary " + m.Addr() + ": CLUSTER INFO: ERR 'CLUSTER info' not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clusterInfo(m, tt.state)
			r, _ := runRedis(t, client, time.Second)
			got := ""
			if r.Err != nil {
				got = r.Err.Error()
			}
			if got != tt.want {
				t.Errorf("err = %q, want %q", got, tt.want)
			}
		})
	}
	for _, c := range rec.commands() {
		if strings.HasSuffix(c, "untraced=false") {
			t.Errorf("cluster health check command %q was not marked untraced", c)
		}
	}

	clusterInfo(m, "ok")
	addr := m.Addr()
	m.Close()
	r, elapsed := runRedis(t, client, 500*time.Millisecond)
	if r.Status != healthcheck.Unhealthy || elapsed > 1500*time.Millisecond {
		t.Errorf("cluster down: %v %v after %v", r.Status, r.Err, elapsed)
	}
	if r.Err == nil || !strings.Contains(r.Err.Error(), addr) {
		t.Errorf("cluster down: error %v does not name the node %s", r.Err, addr)
	}
}

// A cluster client over custom ClusterSlots (e.g. sentinel with
// RouteByLatency) has no cluster nodes to ask CLUSTER INFO: PING only.
func TestRedisClusterCustomSlots(t *testing.T) {
	m := miniredis.RunT(t)
	client := redis.NewClusterClient(&redis.ClusterOptions{
		ContextTimeoutEnabled: true,
		ClusterSlots: func(context.Context) ([]redis.ClusterSlot, error) {
			return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{{Addr: m.Addr()}}}}, nil
		},
	})
	t.Cleanup(func() { _ = client.Close() })
	if r, _ := runRedis(t, client, time.Second); r.Status != healthcheck.Healthy {
		t.Errorf("%v %v", r.Status, r.Err)
	}
}

// A cluster client over custom ClusterSlots whose primaries are cluster
// nodes (rediscache's client of several endpoints that turn out to be a
// Redis Cluster) is checked like any cluster: a primary that reports
// cluster_state:fail is Unhealthy.
func TestRedisClusterCustomSlotsOverClusterNodes(t *testing.T) {
	m := miniredis.RunT(t)
	clusterInfo(m, "fail")
	client := redis.NewClusterClient(&redis.ClusterOptions{
		ContextTimeoutEnabled: true,
		ClusterSlots: func(context.Context) ([]redis.ClusterSlot, error) {
			return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{{Addr: m.Addr()}}}}, nil
		},
	})
	t.Cleanup(func() { _ = client.Close() })
	if r, _ := runRedis(t, client, time.Second); r.Status != healthcheck.Unhealthy || r.Err == nil ||
		!strings.Contains(r.Err.Error(), "cluster_state:fail") {
		t.Errorf("%v %v, want Unhealthy with cluster_state:fail", r.Status, r.Err)
	}
}

func TestRedisRing(t *testing.T) {
	m1, m2 := miniredis.RunT(t), miniredis.RunT(t)
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": m1.Addr(), "b": m2.Addr()}})
	t.Cleanup(func() { _ = ring.Close() })
	if r, _ := runRedis(t, ring, time.Second); r.Status != healthcheck.Healthy {
		t.Errorf("ring up: %v %v", r.Status, r.Err)
	}
	m1.Close()
	m2.Close()
	if r, _ := runRedis(t, ring, time.Second); r.Status != healthcheck.Unhealthy {
		t.Errorf("ring down: %v %v", r.Status, r.Err)
	}
}
