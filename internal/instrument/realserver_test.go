package instrument

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/internal/untraced"
)

// TestCluster checks that every command through a cluster client is one
// span with the node it went to, that pipelines are one span, that
// commands sent to nodes directly are recorded once, and that MOVED
// redirections do not duplicate spans.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis cluster")
	}
	cl := testserver.StartCluster(t, testserver.ClusterOptions{})
	env := newEnv(t)
	c := redis.NewClusterClient(cl.ClientOptions())
	t.Cleanup(func() { _ = c.Close() })
	instrument(t, c, configOf(env, "cluster"))
	ctx := context.Background()

	// Keys on every primary.
	owners := map[string]int{}
	for i := 0; len(owners) < 6 && i < 1000; i++ {
		key := "k" + strconv.Itoa(i)
		owners[key] = cl.SlotOwner(t, testserver.Slot(key)).Port
	}
	for key := range owners {
		if err := c.Set(ctx, key, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// The client's own COMMAND and CLUSTER SLOTS requests are recorded too
	// (once each, by the node they went to); look at the SETs.
	var spans tracetest.SpanStubs
	for _, s := range env.Spans.GetSpans() {
		if s.Name != "COMMAND" && s.Name != "CLUSTER" {
			spans = append(spans, s)
		}
	}
	if len(spans) != len(owners) {
		names := []string{}
		for _, s := range spans {
			names = append(names, s.Name)
		}
		t.Fatalf("%d spans for %d SETs: %q", len(spans), len(owners), names)
	}
	seen := map[int64]bool{}
	for i, s := range spans {
		if s.Name != "SET" {
			t.Errorf("span %d: %s", i, s.Name)
		}
		seen[spanPort(s)] = true
	}
	for key, port := range owners {
		found := false
		for _, s := range spans {
			if spanPort(s) == int64(port) {
				found = true
			}
		}
		if !found {
			t.Errorf("no span on node port %d (owner of %s); ports seen %v", port, key, seen)
		}
	}

	// A pipeline across nodes is one span.
	env.Spans.Reset()
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for key := range owners {
			p.Get(ctx, key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := spanNamed(t, env.Spans.GetSpans(), "PIPELINE GET")
	if n := len(env.Spans.GetSpans()); n != 1 {
		t.Errorf("%d spans for one pipeline", n)
	}
	if got := attrMap(s.Attributes)["db.operation.batch.size"]; got != int64(len(owners)) {
		t.Errorf("batch size %v", got)
	}
	if spanPort(s) == 0 {
		t.Errorf("pipeline span without server.port: %v", s.Attributes)
	}

	// Commands on the nodes themselves (health checks use an untraced
	// context) are recorded once, by the node.
	env.Spans.Reset()
	if err := c.ForEachMaster(untraced.Context(ctx), func(ctx context.Context, n *redis.Client) error {
		return n.Ping(ctx).Err()
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(env.Spans.GetSpans()); n != 0 {
		t.Errorf("%d spans for untraced PINGs", n)
	}
	if err := c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		return n.Ping(ctx).Err()
	}); err != nil {
		t.Fatal(err)
	}
	var pings tracetest.SpanStubs
	for _, s := range env.Spans.GetSpans() {
		if s.Name == "PING" {
			pings = append(pings, s)
		}
	}
	if len(pings) != len(cl.Primaries(t)) {
		t.Errorf("%d PING spans for %d primaries", len(pings), len(cl.Primaries(t)))
	}

	// MOVED: the slot of key moves to another primary; the client learns it
	// from the redirection. Still one span, with the new owner.
	var key string
	for k := range owners {
		key = k
		break
	}
	slot := testserver.Slot(key)
	from := cl.SlotOwner(t, slot)
	var to *testserver.Server
	for _, p := range cl.Primaries(t) {
		if p.Addr != from.Addr {
			to = p
			break
		}
	}
	cl.MigrateSlot(t, slot, to)
	env.Spans.Reset()
	if got, err := c.Get(ctx, key).Result(); err != nil || got != "v" {
		t.Fatalf("GET after migration: %q, %v", got, err)
	}
	var moved tracetest.SpanStubs
	for _, s := range env.Spans.GetSpans() {
		if s.Name == "GET" {
			moved = append(moved, s)
		}
	}
	if len(moved) != 1 {
		t.Fatalf("%d spans for one redirected GET", len(moved))
	}
	if spanPort(moved[0]) != int64(to.Port) {
		t.Errorf("redirected GET reported port %d, want the new owner %d", spanPort(moved[0]), to.Port)
	}
	if moved[0].Status.Description != "" {
		t.Errorf("redirected GET has error status %v", moved[0].Status)
	}

	// Metrics name the node too.
	h := env.Metrics(t)["db.client.operation.duration"]
	if h.Name == "" {
		t.Fatal("no duration metric")
	}
	if _, ok := env.Metrics(t)["db.client.connection.count"]; !ok {
		t.Error("no pool metrics for the cluster client")
	}
}

// TestSentinel checks that a sentinel-managed client reports the current
// primary, before and after a failover.
func TestSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis with a sentinel and fails over")
	}
	set := testserver.StartSentinel(t, testserver.SentinelOptions{})
	env := newEnv(t)
	c := redis.NewFailoverClient(set.ClientOptions())
	t.Cleanup(func() { _ = c.Close() })
	instrument(t, c, configOf(env, "sentinel"))
	ctx := context.Background()

	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s := spanNamed(t, env.Spans.GetSpans(), "SET")
	primary := set.Primary()
	got := attrMap(s.Attributes)
	if got["server.port"] != int64(primary.Port) || got["server.address"] != primary.Host {
		t.Fatalf("SET reported %v:%v, want the primary %s", got["server.address"], got["server.port"], primary.Addr)
	}

	newPrimary := set.Failover(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		env.Spans.Reset()
		err := c.Set(ctx, "k", "w", 0).Err()
		spans := env.Spans.GetSpans()
		if err == nil && len(spans) == 1 {
			a := attrMap(spans[0].Attributes)
			if fmt.Sprintf("%v:%v", a["server.address"], a["server.port"]) == newPrimary {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after failover to %s: err %v, spans %v", newPrimary, err, spans)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
