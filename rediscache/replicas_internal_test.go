package rediscache

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/internal/topology"
)

// replyErr is an error reply from a server.
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (e replyErr) RedisError()   {}

func TestParseRole(t *testing.T) {
	tests := []struct {
		name  string
		reply any
		want  roleReply
	}{
		{name: "primary", reply: []any{"master", int64(100), []any{[]any{"127.0.0.1", "7001", "100"}, []any{"127.0.0.1", "7002", "90"}}},
			want: roleReply{role: "master", links: 2, offset: 100}},
		{name: "primary alone", reply: []any{"master", int64(0), []any{}}, want: roleReply{role: "master"}},
		{name: "replica", reply: []any{"slave", "10.0.0.1", int64(6379), "connected", int64(100)},
			want: roleReply{role: "slave", master: "10.0.0.1:6379"}},
		{name: "sentinel", reply: []any{"sentinel", []any{"mymaster"}}, want: roleReply{role: "sentinel"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRole(roleCmd(tc.reply))
			if err != nil || got != tc.want {
				t.Fatalf("parseRole = %+v, %v, want %+v", got, err, tc.want)
			}
		})
	}
}

func roleCmd(reply any) *redis.Cmd {
	cmd := redis.NewCmd(context.Background(), "role")
	cmd.SetVal(reply)
	return cmd
}

func TestChoosePrimary(t *testing.T) {
	down := errors.New("dial tcp: connection refused")
	tests := []struct {
		name     string
		reports  []nodeReport
		primary  string
		replicas []string
		err      []string // fragments of the error
	}{
		{name: "one primary",
			reports: []nodeReport{{addr: "a", role: "slave", master: "b"}, {addr: "b", role: "master", links: 1}},
			primary: "b", replicas: []string{"a"}},
		{name: "a replica down",
			reports: []nodeReport{{addr: "a", role: "master"}, {addr: "b", err: down}, {addr: "c", role: "slave"}},
			primary: "a", replicas: []string{"c"}},
		{name: "two primaries during a role change: the one with replicas",
			reports: []nodeReport{{addr: "a", role: "master"}, {addr: "b", role: "master", links: 1}, {addr: "c", role: "slave"}},
			primary: "b", replicas: []string{"c"}},
		{name: "two primaries, tie: refused, not the first listed",
			reports: []nodeReport{{addr: "a", role: "master", offset: 7}, {addr: "b", role: "master"}},
			err: []string{`client "cache"`, ErrSplitBrain.Error(), "a and b both report themselves primary",
				"a: 0 replica(s), replication offset 7", "b: 0 replica(s)", "demoted"}},
		{name: "ROLE refused everywhere: the first that answered",
			reports: []nodeReport{{addr: "a", err: down}, {addr: "b", roleErr: replyErr("NOPERM")}, {addr: "c", roleErr: replyErr("NOPERM")}},
			primary: "b", replicas: []string{"c"}},
		{name: "no primary",
			reports: []nodeReport{{addr: "a", role: "slave", master: "x:1"}, {addr: "b", err: down}},
			err:     []string{`client "cache"`, "no endpoint reports itself primary", "a: replica of x:1", "b: dial tcp"}},
	}
	d := &discovery{name: "cache", logger: slog.New(slog.DiscardHandler)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, reps, err := d.choose(tc.reports)
			if tc.err != nil {
				if err == nil {
					t.Fatalf("primary %q, want an error", p)
				}
				for _, f := range tc.err {
					if !strings.Contains(err.Error(), f) {
						t.Errorf("%q lacks %q", err, f)
					}
				}
				return
			}
			if err != nil || p != tc.primary || !slices.Equal(reps, tc.replicas) {
				t.Fatalf("choose = %q %v %v, want %q %v", p, reps, err, tc.primary, tc.replicas)
			}
		})
	}
}

func TestNotCluster(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{replyErr("ERR This instance has cluster support disabled"), true},
		{replyErr("ERR unknown command 'CLUSTER', with args beginning with: 'SLOTS'"), true},
		{replyErr("ERR unknown subcommand 'SLOTS'"), true},
		{(&commandMap{client: "cache"}).refusal("cluster"), true},
		{replyErr("NOAUTH Authentication required."), false},
		{replyErr("LOADING Redis is loading the dataset in memory"), false},
		{errors.New("dial tcp: connection refused"), false},
	}
	for _, tc := range tests {
		if got := notCluster(tc.err); got != tc.want {
			t.Errorf("notCluster(%q) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestTopologyBeforeDiscovery(t *testing.T) {
	inst := withMap(t, "127.0.0.1:1,127.0.0.1:2", nil, Deps{})
	if _, ok := inst.Client.(*redis.ClusterClient); !ok || inst.discovery == nil {
		t.Fatalf("%T without discovery", inst.Client)
	}
	if got := topology.Of(inst); got.Kind != "unknown" || got.Primary != "" {
		t.Fatalf("Topology = %+v", got)
	}
	one := withMap(t, "127.0.0.1:1", nil, Deps{})
	if one.discovery != nil || topology.Of(one).Kind != "unknown" {
		t.Fatal("a standalone client discovers")
	}
}

// FuzzParseRole feeds ROLE replies of every shape a server (or something
// posing as one) could send: parseRole must not panic.
func FuzzParseRole(f *testing.F) {
	f.Add("master", "127.0.0.1", int64(6379), 2, 0)
	f.Add("slave", "10.0.0.1", int64(6380), 0, 1)
	f.Add("sentinel", "", int64(0), 0, 2)
	f.Fuzz(func(t *testing.T, role, host string, port int64, n, shape int) {
		var reply any
		switch shape % 4 {
		case 0:
			reps := make([]any, n&7)
			for i := range reps {
				reps[i] = []any{host, port}
			}
			reply = []any{role, port, reps}
		case 1:
			reply = []any{role, host, port, "connected", port}
		case 2:
			reply = []any{role}
		default:
			reply = []any{port, host, []any{role}}
		}
		_, _ = parseRole(roleCmd(reply))
	})
}

// TestSplitBrainLoggedOnce: the role checks run every second and the
// primaries' offsets and key counts change with every write; the warning
// that a rule chose among several primaries, and the error that commands
// are refused, are logged once per set of primaries.
func TestSplitBrainLoggedOnce(t *testing.T) {
	var buf strings.Builder
	d := &discovery{name: "cache", logger: slog.New(slog.NewTextHandler(&buf, nil))}
	claim := func(offset int64, keys int64) []nodeReport {
		return []nodeReport{
			{addr: "a", role: "master", offset: offset, repl: replState{asked: true, replID: idFresh, keysKnown: true}},
			{addr: "b", role: "master", offset: offset, repl: replState{asked: true, replID: idNew, keysKnown: true, keys: keys}},
		}
	}
	for i := range 3 {
		e := elect(claim(int64(100*i), int64(10+i)))
		note, details := d.note(e)
		p, reps, err := d.outcome(e)
		if err != nil || p != "b" {
			t.Fatalf("outcome = %q %v %v", p, reps, err)
		}
		d.found(kindReplicas, topology.Topology{Kind: kindReplicas.String(), Primary: p, Replicas: reps}, note, details...)
	}
	both := func(i int) []nodeReport {
		r := claim(int64(100*i), 5)
		r[0].repl.keys = 1
		return r
	}
	for i := range 3 {
		e := elect(both(i))
		_, _, err := d.outcome(e)
		if !errors.Is(err, ErrSplitBrain) {
			t.Fatalf("outcome: %v, want ErrSplitBrain", err)
		}
		d.setFence(err, strings.Join(addrsOf(e.claimants), ","), e.replicas)
		if d.fenced() == nil {
			t.Fatal("not fenced")
		}
	}
	d.clearFence()
	if d.fenced() != nil {
		t.Fatal("still fenced")
	}
	out := buf.String()
	t.Log(out)
	if n := strings.Count(out, "is chosen: it is the only one that holds keys"); n != 1 {
		t.Errorf("the choice was logged %d times, want once", n)
	}
	if n := strings.Count(out, "commands refused"); n != 1 {
		t.Errorf("the split brain was logged %d times, want once", n)
	}
	if n := strings.Count(out, "commands are served"); n != 1 {
		t.Errorf("the end of the split brain was logged %d times, want once", n)
	}
}

// TestProbeTime: a probe is bounded by a dial and two reads with the
// timeouts go-redis resolves for the probe client, its defaults for
// options without timeouts and for a client without any.
func TestProbeTime(t *testing.T) {
	def := redis.NewClient(&redis.Options{})
	defer def.Close()
	dial, read := def.Options().DialTimeout, def.Options().ReadTimeout // go-redis's defaults
	for _, tt := range []struct {
		name       string
		dial, read time.Duration
		want       time.Duration
	}{
		{"set", time.Second, 2 * time.Second, 5 * time.Second},
		{"go-redis's defaults", 0, 0, dial + 2*read},
		{"no timeouts", -1, -1, dial + 2*read},
		{"no deadlines", -1, -2, dial + 2*read},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := newDiscovery("cache", &redis.UniversalOptions{Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}, DialTimeout: tt.dial, ReadTimeout: tt.read}, nil, slog.New(slog.DiscardHandler))
			t.Cleanup(func() { _ = d.close() })
			c, err := d.probe("127.0.0.1:1")
			if err != nil {
				t.Fatal(err)
			}
			if got := probeTime(c); got != tt.want {
				t.Errorf("probeTime = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestReplicasSlotMapFromClusterSlots: a primary/replica list is a
// cluster client whose slot map comes from go-redis's ClusterSlots
// function (as NewFailoverClusterClient builds one), not from a hook that
// answers CLUSTER SLOTS on every node; its nodes keep the addresses
// listed (go-redis would dial loopback addresses of such a map as
// ":port"), and a real cluster is still discovered as one.
func TestReplicasSlotMapFromClusterSlots(t *testing.T) {
	t.Parallel()
	set := testserver.StartReplicas(t, testserver.ReplicaOptions{Replicas: 1})
	inst := withMap(t, set.ConnectionString(), nil, Deps{})
	c, ok := inst.Client.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("%T, want a cluster client", inst.Client)
	}
	if c.Options().ClusterSlots == nil {
		t.Fatal("ClusterOptions.ClusterSlots is not set")
	}
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	primary, err := c.MasterForKey(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if got := primary.Options().Addr; got != set.Nodes[0].Addr {
		t.Errorf("primary node dials %q, want %q as listed", got, set.Nodes[0].Addr)
	}
	if got := topology.Of(inst); got.Kind != topology.PrimaryReplicas || got.Primary != set.Nodes[0].Addr {
		t.Errorf("Topology = %+v", got)
	}

	cl := testserver.StartCluster(t, testserver.ClusterOptions{})
	cinst := withMap(t, cl.ConnectionString(), nil, Deps{})
	for _, k := range []string{"a", "b", "c", "d"} {
		if err := cinst.Client.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatalf("cluster SET %s: %v", k, err)
		}
	}
	if got := topology.Of(cinst); got.Kind != topology.Cluster || len(got.Nodes) < 3 {
		t.Errorf("cluster Topology = %+v", got)
	}
}

func TestViaOrigin(t *testing.T) {
	for _, tc := range []struct{ addr, host, port, want string }{
		{"127.0.0.1:7001", "10.0.0.5", "7000", "10.0.0.5:7001"},
		{"127.0.0.1:7001", "127.0.0.1", "7000", "127.0.0.1:7001"},
		{"127.0.0.1:7001", "localhost", "7000", "127.0.0.1:7001"},
		{"10.0.0.6:0", "10.0.0.5", "6380", "10.0.0.6:6380"},
		{"[::1]:7001", "redis.example", "7000", "redis.example:7001"},
		{"10.0.0.6:7002", "10.0.0.5", "7000", "10.0.0.6:7002"},
		{"no-port", "10.0.0.5", "7000", "no-port"},
	} {
		if got := viaOrigin(tc.addr, tc.host, tc.port); got != tc.want {
			t.Errorf("viaOrigin(%q, %q, %q) = %q, want %q", tc.addr, tc.host, tc.port, got, tc.want)
		}
	}
}
