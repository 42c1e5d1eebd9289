package surface

import (
	"context"
	"slices"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// noted records the commands it observes and whether each came with the
// context Begin returned.
type noted struct {
	names []string
	ctxOK []bool
}

type noteMark struct{ context.Context }

func (n *noted) Begin(ctx context.Context) context.Context { return noteMark{ctx} }

func (n *noted) End(ctx context.Context, cmd redis.Cmder) {
	_, ok := ctx.(noteMark)
	n.names = append(n.names, cmd.Name())
	n.ctxOK = append(n.ctxOK, ok)
}

// TestLaterMethods calls the methods of the two embedded fields the way a
// method go-redis adds after client_gen.go was generated is called (a
// promoted call c.M(...) is c.laterCommands.M(...) or c.laterMethods.M(...)):
// a command runs on the inner client and is observed under the caller's
// context like a generated one, a pipeline of such a method runs on the
// inner client, and any other method is the inner client's.
func TestLaterMethods(t *testing.T) {
	mr := miniredis.RunT(t)
	inner := redis.NewClient(&redis.Options{Addr: mr.Addr(), DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	obs := &noted{}
	c := New(inner, obs)
	t.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	later := c.laterCommands

	// Commands: built by go-redis, run on the inner client, observed.
	if err := later.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET through the funnel: %v", err)
	}
	if got := mr.Keys(); !slices.Equal(got, []string{"k"}) {
		t.Errorf("server keys %v after SET through the funnel, want [k]", got)
	}
	if v, err := later.Echo(ctx, "hello").Result(); err != nil || v != "hello" {
		t.Errorf("ECHO through the funnel = %q, %v", v, err)
	}
	keys := later.Scan(ctx, 0, "*", 10).Iterator()
	n := 0
	for keys.Next(ctx) {
		n++
	}
	if err := keys.Err(); err != nil || n != 1 {
		t.Errorf("SCAN iterator through the funnel: %d keys, %v", n, err)
	}
	if want := []string{"set", "echo", "scan"}; !slices.Equal(obs.names, want) || slices.Contains(obs.ctxOK, false) {
		t.Errorf("observed %v (with Begin's context: %v), want %v each with it", obs.names, obs.ctxOK, want)
	}

	// Pipelines of a later method: run on the inner client, recorded by its
	// hooks as pipelines are, not by the Observer.
	obs.names = nil
	if _, err := later.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "p", "1", 0)
		p.Incr(ctx, "p")
		return nil
	}); err != nil {
		t.Fatalf("pipeline through the funnel: %v", err)
	}
	var incr *redis.IntCmd
	if _, err := later.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, "p")
		return nil
	}); err != nil {
		t.Fatalf("transaction through the funnel: %v", err)
	}
	if incr.Val() != 3 {
		t.Errorf("INCR in a transaction through the funnel = %d (%v), want 3", incr.Val(), incr.Err())
	}
	if len(obs.names) != 0 {
		t.Errorf("pipelines observed as commands: %v", obs.names)
	}

	// Any other method: the inner client's own.
	if c.laterMethods.UniversalClient != redis.UniversalClient(inner) {
		t.Error("laterMethods does not hold the inner client")
	}
	if got, want := c.laterMethods.PoolStats().TotalConns, inner.PoolStats().TotalConns; got != want || got == 0 {
		t.Errorf("PoolStats through laterMethods: %d connections, the inner client has %d", got, want)
	}
}

// TestFunnelNeverDials: nothing the funnel is given reaches a connection
// of its own, even a command sent to it directly.
func TestFunnelNeverDials(t *testing.T) {
	mr := miniredis.RunT(t)
	inner := redis.NewClient(&redis.Options{Addr: mr.Addr(), DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	c := New(inner, nil)
	if err := c.funnel.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING on the funnel: %v", err)
	}
	if got := c.funnel.PoolStats().TotalConns; got != 0 {
		t.Errorf("the funnel opened %d connections", got)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.funnel.Ping(context.Background()).Err(); err == nil {
		t.Error("a command through the funnel succeeded after Close")
	}
}
