package telemetry

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aspirego/redis/internal/secrettest"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/internal/untraced"
)

// spanPort returns the server.port of a span.
func spanPort(s tracetest.SpanStub) int64 {
	p, _ := attrMap(s.Attributes)["server.port"].(int64)
	return p
}

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
	instrument(t, c, env.config("cluster"))
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
	for _, s := range env.spans.GetSpans() {
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
	env.spans.Reset()
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for key := range owners {
			p.Get(ctx, key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s := spanNamed(t, env.spans.GetSpans(), "PIPELINE GET")
	if n := len(env.spans.GetSpans()); n != 1 {
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
	env.spans.Reset()
	if err := c.ForEachMaster(untraced.Context(ctx), func(ctx context.Context, n *redis.Client) error {
		return n.Ping(ctx).Err()
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(env.spans.GetSpans()); n != 0 {
		t.Errorf("%d spans for untraced PINGs", n)
	}
	if err := c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		return n.Ping(ctx).Err()
	}); err != nil {
		t.Fatal(err)
	}
	var pings tracetest.SpanStubs
	for _, s := range env.spans.GetSpans() {
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
	env.spans.Reset()
	if got, err := c.Get(ctx, key).Result(); err != nil || got != "v" {
		t.Fatalf("GET after migration: %q, %v", got, err)
	}
	var moved tracetest.SpanStubs
	for _, s := range env.spans.GetSpans() {
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
	h := env.metrics(t)["db.client.operation.duration"]
	if h.Name == "" {
		t.Fatal("no duration metric")
	}
	if _, ok := env.metrics(t)["db.client.connection.count"]; !ok {
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
	instrument(t, c, env.config("sentinel"))
	ctx := context.Background()

	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s := spanNamed(t, env.spans.GetSpans(), "SET")
	primary := set.Primary()
	got := attrMap(s.Attributes)
	if got["server.port"] != int64(primary.Port) || got["server.address"] != primary.Host {
		t.Fatalf("SET reported %v:%v, want the primary %s", got["server.address"], got["server.port"], primary.Addr)
	}

	newPrimary := set.Failover(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		env.spans.Reset()
		err := c.Set(ctx, "k", "w", 0).Err()
		spans := env.spans.GetSpans()
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

// TestSecretErrorReplies: a server error reply that echoes an argument of a
// command whose arguments can hold a secret never reaches the span status
// or error.type, in a command or a batch, in every instrumentation mode
// (hooks, redisotel, multiplexed), for every password of the secret corpus.
// Redis answers a malformed ACL SETUSER modifier with
// "ERR Error in ACL SETUSER modifier '<modifier>': Syntax error" and an
// unknown HELLO option with "ERR Syntax error in HELLO option '<option>'".
func TestSecretErrorReplies(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	commands := func(pw string) [][]any {
		return [][]any{
			{"acl", "setuser", "u", "on", "<" + pw},
			{"config", "set", "maxmemory", pw},
			{"auth", "nobody", pw},
			{"hello", "3", "auth", "default", "x", pw},
		}
	}
	for _, mode := range []string{"hooks", "redisotel", "multiplexed"} {
		t.Run(mode, func(t *testing.T) {
			env := newEnv(t)
			cfg := env.config("cache")
			cfg.QueryText = true
			cfg.ConnectionSetup = true // records the application's AUTH too
			cfg.Redisotel = mode == "redisotel"
			var c redis.UniversalClient
			if mode == "multiplexed" {
				base := redis.NewClient(srv.ClientOptions())
				ap, err := base.AutoPipeline()
				if err != nil {
					t.Fatal(err)
				}
				mc, stop, err := InstrumentMultiplexed(Multiplexed{Base: base, Front: ap}, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = stop(); _ = mc.Close() })
				c = mc
			} else {
				pc := redis.NewClient(srv.ClientOptions())
				t.Cleanup(func() { _ = pc.Close() })
				instrument(t, pc, cfg)
				c = pc
			}
			ctx := context.Background()

			// run sends the commands with pw and returns the spans they
			// made, and all those spans show, as text.
			run := func(t *testing.T, pw string) (tracetest.SpanStubs, string) {
				t.Helper()
				env.spans.Reset()
				for _, args := range commands(pw) {
					err := c.Do(ctx, args...).Err()
					if err == nil {
						t.Fatalf("%v succeeded", args[:2])
					}
					if args[0] == "acl" && pw == secrettest.Neutral && !strings.Contains(err.Error(), pw) {
						t.Fatalf("the server no longer echoes the modifier (%v): the test proves nothing", err)
					}
				}
				pipe := c.Pipeline()
				pipe.Get(ctx, "k")
				pipe.Do(ctx, "acl", "setuser", "u", "on", "<"+pw)
				_, _ = pipe.Exec(ctx)
				spans := env.spans.GetSpans()
				var b strings.Builder
				for _, s := range spans {
					fmt.Fprintln(&b, s.Name, s.Status, s.Attributes, s.Events)
				}
				return spans, b.String()
			}

			_, baseline := run(t, secrettest.Neutral) // also checks that the server echoes
			for _, pw := range secrettest.Passwords {
				_, out := run(t, pw)
				secrettest.NoSecret(t, mode+" spans", out, baseline, pw, 3)
			}

			spans, _ := run(t, "s3cr3t-Hunter2-pw")
			failed := map[string]bool{}
			for _, s := range spans {
				if s.Status.Code == codes.Error {
					failed[s.Name] = true
				}
			}
			if mode == "redisotel" {
				return // redisotel does not trace these commands at all
			}
			for _, name := range []string{"ACL", "CONFIG", "AUTH", "HELLO", "PIPELINE"} {
				if !failed[name] {
					t.Errorf("no failed %s span", name)
				}
			}
			for _, name := range []string{"ACL", "HELLO"} {
				s := spanNamed(t, spans, name)
				if got := attrMap(s.Attributes)["error.type"]; got != "ERR" {
					t.Errorf("%s error.type = %v, want ERR", name, got)
				}
				if !strings.HasPrefix(s.Status.Description, "ERR (server reply not recorded") {
					t.Errorf("%s status = %q", name, s.Status.Description)
				}
			}
		})
	}
}
