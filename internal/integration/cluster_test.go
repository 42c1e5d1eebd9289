package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/healthjson"
	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// spans records every span of a tracer provider, in the order they end.
type spans struct {
	exp *tracetest.InMemoryExporter
	tp  *sdktrace.TracerProvider
}

func newSpans(t *testing.T) *spans {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &spans{exp: exp, tp: tp}
}

// named returns the recorded spans whose name is one of names.
func (s *spans) named(names ...string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, sp := range s.exp.GetSpans() {
		for _, n := range names {
			if sp.Name == n {
				out = append(out, sp)
			}
		}
	}
	return out
}

// names counts the recorded spans by name.
func (s *spans) names() map[string]int {
	m := map[string]int{}
	for _, sp := range s.exp.GetSpans() {
		m[sp.Name]++
	}
	return m
}

// serverOf returns server.address:server.port of a span.
func serverOf(sp tracetest.SpanStub) string {
	var host, port string
	for _, a := range sp.Attributes {
		switch a.Key {
		case attribute.Key("server.address"):
			host = a.Value.String()
		case attribute.Key("server.port"):
			port = a.Value.String()
		}
	}
	return net.JoinHostPort(host, port)
}

// owners maps every slot to the address of its primary, as the cluster
// reports it now.
func owners(t *testing.T, c redis.UniversalClient) []string {
	t.Helper()
	slots, err := c.ClusterSlots(context.Background()).Result()
	if err != nil {
		t.Fatalf("CLUSTER SLOTS: %v", err)
	}
	out := make([]string, testserver.SlotCount)
	for _, s := range slots {
		for i := s.Start; i <= s.End; i++ {
			out[i] = s.Nodes[0].Addr
		}
	}
	return out
}

// errorStat returns the count of error replies with prefix kind (MOVED,
// ASK) that srv has sent, from INFO errorstats.
func errorStat(t *testing.T, srv *testserver.Server, kind string) int {
	t.Helper()
	v := srv.Info(t, "errorstats")["errorstat_"+kind]
	n, _ := strconv.Atoi(strings.TrimPrefix(v, "count="))
	return n
}

func TestCluster(t *testing.T) {
	parallel(t)
	testserver.EachBinary(t, func(t *testing.T, binary string) {
		pw := password(t, "cluster")
		cl := testserver.StartCluster(t, testserver.ClusterOptions{Binary: binary, Password: pw})
		sp := newSpans(t)
		// 127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3,password=...
		inst := client(t, cl.ConnectionString(), sp.tp)
		if _, ok := inst.Client.(*redis.ClusterClient); !ok {
			t.Fatalf("client is %T, want *redis.ClusterClient", inst.Client)
		}
		if got := inst.Resolved.Connection.Topology; got != settings.Cluster {
			t.Fatalf("topology = %v, want cluster", got)
		}
		ctx := context.Background()
		c := inst.Client

		t.Run("every slot", func(t *testing.T) {
			key := func(slot int) string { return "slot:" + testserver.HashTag(slot) }
			for _, step := range []string{"SET", "GET"} {
				pipe := c.Pipeline()
				gets := make([]*redis.StringCmd, testserver.SlotCount)
				for slot := range testserver.SlotCount {
					if step == "SET" {
						pipe.Set(ctx, key(slot), strconv.Itoa(slot), 0)
					} else {
						gets[slot] = pipe.Get(ctx, key(slot))
					}
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatalf("pipeline of %d %s: %v", testserver.SlotCount, step, err)
				}
				if step == "GET" {
					for slot, g := range gets {
						if g.Val() != strconv.Itoa(slot) {
							t.Fatalf("GET %s = %q, want %d", key(slot), g.Val(), slot)
						}
					}
				}
			}
			// Each key is on the primary that serves its slot.
			total := 0
			for _, p := range cl.Primaries(t) {
				n, _ := p.Do(t, "DBSIZE").(int64)
				if n == 0 {
					t.Errorf("primary %s holds no key", p.Addr)
				}
				total += int(n)
			}
			if total != testserver.SlotCount {
				t.Errorf("the primaries hold %d keys, want %d", total, testserver.SlotCount)
			}
			for _, slot := range []int{0, 5460, 5461, 10922, 10923, 16383} {
				if v := cl.SlotOwner(t, slot).Do(t, "GET", key(slot)); v != strconv.Itoa(slot) {
					t.Errorf("GET %s on the owner of slot %d = %v", key(slot), slot, v)
				}
			}
		})

		t.Run("one span per command, naming its node", func(t *testing.T) {
			owner := owners(t, c)
			sp.exp.Reset()
			var want []string // the node of each command, in order
			for i := range 60 {
				key := fmt.Sprintf("span:%d", i)
				if err := c.Set(ctx, key, i, 0).Err(); err != nil {
					t.Fatal(err)
				}
				if err := c.Get(ctx, key).Err(); err != nil {
					t.Fatal(err)
				}
				node := owner[testserver.Slot(key)]
				want = append(want, node, node)
			}
			got := sp.named("SET", "GET")
			if len(got) != len(want) {
				t.Fatalf("%d SET/GET spans for %d commands (all spans: %v)", len(got), len(want), sp.names())
			}
			nodes := map[string]int{}
			for i, s := range got {
				if addr := serverOf(s); addr != want[i] {
					t.Errorf("span %d (%s) names %s, want the slot's owner %s", i, s.Name, addr, want[i])
				}
				nodes[serverOf(s)]++
			}
			if len(nodes) != 3 {
				t.Errorf("spans name %d nodes, want 3: %v", len(nodes), nodes)
			}
			t.Logf("spans per node: %v; all spans: %v", nodes, sp.names())
		})

		t.Run("MOVED and ASK during a live slot migration", func(t *testing.T) {
			slot := testserver.Slot("migrating")
			tag := testserver.HashTag(slot)
			keys := make([]string, 20)
			for i := range keys {
				keys[i] = fmt.Sprintf("mig:%s:%d", tag, i)
				if err := c.Set(ctx, keys[i], "0", 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			m := cl.StartMigration(t, slot, nil)
			askBefore, movedBefore := errorStat(t, m.Source, "ASK"), errorStat(t, m.Source, "MOVED")
			sp.exp.Reset()

			// A client keeps writing and reading every key of the slot,
			// and creating new ones, while the slot moves step by step.
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var r result
			wg.Add(1)
			go func() {
				defer wg.Done()
				r = migrationLoad(c, keys, tag, stop)
			}()
			time.Sleep(150 * time.Millisecond)
			m.MoveKeys(t, keys[:10]...) // moved keys answer ASK at the source
			time.Sleep(300 * time.Millisecond)
			m.MoveKeys(t) // all the rest
			time.Sleep(300 * time.Millisecond)
			m.Finish(t) // the slot is the target's: MOVED
			time.Sleep(300 * time.Millisecond)
			close(stop)
			wg.Wait()

			ask, moved := errorStat(t, m.Source, "ASK")-askBefore, errorStat(t, m.Source, "MOVED")-movedBefore
			spans := sp.named("SET", "GET")
			acked, _ := r.writes()
			fig := fromResult(figure{Topology: "cluster", Fault: "live slot migration (ASK, then MOVED)", Server: serverVersion(binary)}, r)
			fig.Acked = len(acked)
			fig.Found = existing(t, c, acked)
			fig.Outage, fig.Unhealthy, fig.ClientRecovery, fig.HealthRecovery = -1, -1, -1, -1
			fig.Note = fmt.Sprintf("slot %d moved %s → %s while one client wrote and read its keys: the source answered ASK %d times and MOVED %d times; "+
				"%d SET/GET spans for %d commands", slot, m.Source.Addr, m.Target.Addr, ask, moved, len(spans), fig.Attempted)
			record(t, fig)

			if fig.Failed > 0 {
				t.Errorf("%d commands failed during the migration: %v", fig.Failed, r.errorKinds())
			}
			if fig.WrongReads > 0 || fig.Found != fig.Acked {
				t.Errorf("wrong reads %d; %d of %d writes found", fig.WrongReads, fig.Found, fig.Acked)
			}
			if ask == 0 || moved == 0 {
				t.Errorf("the source answered ASK %d and MOVED %d times; the client should have seen both", ask, moved)
			}
			if len(spans) != fig.Attempted {
				t.Errorf("%d SET/GET spans for %d commands: redirections must not add or lose spans (all spans: %v)", len(spans), fig.Attempted, sp.names())
			}
			// After the migration every command on the slot is served by the
			// target, and its span says so.
			sp.exp.Reset()
			if v, err := c.Get(ctx, keys[0]).Result(); err != nil {
				t.Fatal(err)
			} else if n, _ := strconv.Atoi(v); n == 0 {
				t.Errorf("GET %s = %q after the migration", keys[0], v)
			}
			if got := sp.named("GET"); len(got) != 1 || serverOf(got[0]) != m.Target.Addr {
				t.Errorf("GET after the migration: spans %v, want one naming %s", got, m.Target.Addr)
			}
		})

		t.Run("health covers every primary", func(t *testing.T) {
			h := newHealth(t, inst)
			h.requireHealthy(t)
			victim := cl.Primaries(t)[1]
			killed := time.Now()
			victim.Kill()
			after := h.waitFor(t, http.StatusServiceUnavailable, killed, 15*time.Second)
			_, body := h.get()
			if !strings.Contains(body, victim.Addr) {
				t.Errorf("the health report does not name the killed primary %s: %s", victim.Addr, body)
			}
			victim.Restart(t)
			back := time.Now()
			healthy := h.waitFor(t, http.StatusOK, back, 15*time.Second)
			t.Logf("one of 3 primaries killed: /health 503 after %s; restarted: 200 after %s", ms(after), ms(healthy))
			cl.WaitHealthy(t)
		})

		t.Run("one node, standalone", func(t *testing.T) {
			node := cl.Primaries(t)[0]
			one := client(t, node.Addr+",password="+pw, nil)
			if _, ok := one.Client.(*redis.Client); !ok {
				t.Fatalf("client is %T, want a standalone *redis.Client", one.Client)
			}
			owner := owners(t, c)
			var here, elsewhere string
			for i := 0; here == "" || elsewhere == ""; i++ {
				k := fmt.Sprintf("one:%d", i)
				if owner[testserver.Slot(k)] == node.Addr {
					here = k
				} else {
					elsewhere = k
				}
			}
			if err := one.Client.Set(ctx, here, "v", 0).Err(); err != nil {
				t.Errorf("SET of a key on the node itself: %v", err)
			}
			err := one.Client.Set(ctx, elsewhere, "v", 0).Err()
			if !errors.Is(err, rediscache.ErrRedirect) {
				t.Fatalf("SET of a key on another node: err = %v, want rediscache.ErrRedirect", err)
			}
			if _, ok := redis.IsMovedError(err); !ok {
				t.Errorf("redis.IsMovedError does not recognise %v", err)
			}
			for _, want := range []string{`client "cache"`, "MOVED", node.Addr, "Aspire:StackExchange:Redis:cache:ClusterMode=true", "list the cluster's nodes"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			checkNoSecret(t, "the redirect error", err.Error())
			// In a pipeline too.
			pipe := one.Client.Pipeline()
			ok, bad := pipe.Get(ctx, here), pipe.Get(ctx, elsewhere)
			_, _ = pipe.Exec(ctx)
			if ok.Err() != nil || !errors.Is(bad.Err(), rediscache.ErrRedirect) {
				t.Errorf("pipeline: GET here = %v, GET elsewhere = %v; want nil and rediscache.ErrRedirect", ok.Err(), bad.Err())
			}
			t.Logf("one node without IsClusterMode: %v", err)
		})

		t.Run("one node, IsClusterMode", func(t *testing.T) {
			node := cl.Primaries(t)[0]
			one := client(t, node.Addr+",password="+pw, nil, settings.ConfigureOptions(func(o *redis.UniversalOptions) {
				o.IsClusterMode = true
			}))
			if _, ok := one.Client.(*redis.ClusterClient); !ok {
				t.Fatalf("client is %T, want *redis.ClusterClient", one.Client)
			}
			if got := one.Resolved.Connection.Topology; got != settings.Cluster {
				t.Errorf("topology = %v, want cluster", got)
			}
			nodes := map[string]bool{}
			owner := owners(t, c)
			for i := range 200 {
				k := fmt.Sprintf("discovered:%d", i)
				if err := one.Client.Set(ctx, k, i, 0).Err(); err != nil {
					t.Fatalf("SET %s: %v", k, err)
				}
				if v, err := one.Client.Get(ctx, k).Int(); err != nil || v != i {
					t.Fatalf("GET %s = %d, %v", k, v, err)
				}
				nodes[owner[testserver.Slot(k)]] = true
			}
			if len(nodes) != 3 {
				t.Errorf("keys reached %d nodes, want 3", len(nodes))
			}
			newHealth(t, one).requireHealthy(t)
		})

		t.Run("one node, ClusterMode in configuration", func(t *testing.T) {
			node := cl.Primaries(t)[0]
			cfg, err := settings.NewConfig(map[string]any{
				"ConnectionStrings:cache":                      node.Addr + ",password=" + pw,
				"Aspire:StackExchange:Redis:cache:ClusterMode": "true",
			})
			if err != nil {
				t.Fatal(err)
			}
			inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg, Logger: logs.logger()})
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close()
			if _, ok := inst.Client.(*redis.ClusterClient); !ok {
				t.Fatalf("client is %T, want *redis.ClusterClient", inst.Client)
			}
			owner := owners(t, c)
			nodes := map[string]bool{}
			for i := range 100 {
				k := fmt.Sprintf("configured:%d", i)
				if err := inst.Client.Set(ctx, k, i, 0).Err(); err != nil {
					t.Fatalf("SET %s: %v", k, err)
				}
				nodes[owner[testserver.Slot(k)]] = true
			}
			if len(nodes) != 3 {
				t.Errorf("keys reached %d nodes, want 3", len(nodes))
			}
		})

		t.Run("fx", func(t *testing.T) {
			cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:cache": cl.ConnectionString()})
			if err != nil {
				t.Fatal(err)
			}
			var got redis.UniversalClient
			var checks []healthcheck.Check
			app := fxtest.New(t,
				fx.NopLogger,
				fx.Supply(cfg, logs.logger()),
				fx.Provide(rediscache.Client("cache")),
				fx.Invoke(fx.Annotate(func(c redis.UniversalClient, cs []healthcheck.Check) {
					got, checks = c, cs
				}, fx.ParamTags(``, `group:"`+healthcheck.Group+`"`))),
			)
			app.RequireStart()
			defer app.RequireStop()
			if _, ok := got.(*redis.ClusterClient); !ok {
				t.Fatalf("fx provides %T, want *redis.ClusterClient", got)
			}
			if err := got.Set(ctx, "fx:k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			checker, err := healthcheck.New(checks...)
			if err != nil {
				t.Fatal(err)
			}
			if rep, _, err := healthjson.Get(ctx, checker.HealthHandler(healthcheck.WithDetails()), ""); err != nil || rep.Status != healthcheck.Healthy.String() {
				t.Errorf("health of the fx-provided cluster client: %+v, %v", rep, err)
			}
		})
	})
}

// migrationLoad writes and reads keys (each SET then GET of the same
// key, so the value read is known), and creates a new key in the slot on
// every round, until stop.
func migrationLoad(c redis.UniversalClient, keys []string, tag string, stop <-chan struct{}) result {
	ctx := context.Background()
	var ops []op
	for round := 1; ; round++ {
		select {
		case <-stop:
			return result{ops: ops}
		default:
		}
		for _, k := range append([]string{fmt.Sprintf("mig:%s:new:%d", tag, round)}, keys...) {
			v := strconv.Itoa(round)
			start := time.Now()
			err := c.Set(ctx, k, v, 0).Err()
			ops = append(ops, op{key: k, write: true, start: start, dur: time.Since(start), err: err})
			start = time.Now()
			got, err := c.Get(ctx, k).Result()
			o := op{key: k, start: start, dur: time.Since(start), err: err}
			if err == nil && got != v {
				o.wrong = true
			}
			ops = append(ops, o)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
