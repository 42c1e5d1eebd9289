package surface_test

import (
	"context"
	"errors"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/aspirego/redis/internal/surface"
)

// recorder notes the commands it observes and the contexts it sees.
type recorder struct {
	names []string
	ctxOK bool
}

type mark struct{ context.Context }

func (r *recorder) Begin(ctx context.Context) context.Context { return mark{ctx} }

func (r *recorder) End(ctx context.Context, cmd redis.Cmder) {
	_, r.ctxOK = ctx.(mark)
	r.names = append(r.names, cmd.Name())
}

// hookCtx records whether the hook saw an engine context.
type hookCtx struct{ engine []bool }

func (h *hookCtx) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *hookCtx) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.engine = append(h.engine, surface.IsEngine(ctx))
		return next(ctx, cmd)
	}
}
func (h *hookCtx) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.engine = append(h.engine, surface.IsEngine(ctx))
		return next(ctx, cmds)
	}
}

func newClient(t *testing.T) *redis.Client {
	t.Helper()
	mr := miniredis.RunT(t)
	return redis.NewClient(&redis.Options{Addr: mr.Addr(), DisableIdentity: true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
}

func TestClient(t *testing.T) {
	base := newClient(t)
	h := &hookCtx{}
	base.AddHook(h)
	reads := newClient(t)
	rec := &recorder{}
	closed := 0
	c := surface.New(base, rec, func() error { closed++; return errors.New("closer") })
	c.SetCachedReads(reads)
	ctx := context.Background()

	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Process(ctx, redis.NewStatusCmd(ctx, "ping")); err != nil {
		t.Fatal(err)
	}
	// GET goes to the cached-reads client, which has no such key.
	if err := c.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET through the reads client: %v, want redis.Nil", err)
	}
	if want := []string{"set", "ping", "get"}; len(rec.names) != 3 || rec.names[0] != want[0] || rec.names[1] != want[1] || rec.names[2] != want[2] || !rec.ctxOK {
		t.Errorf("observed %v (ctx passed on: %t), want %v", rec.names, rec.ctxOK, want)
	}
	// A caller's context.Background() never reaches the hooks as is.
	h.engine = nil
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); return nil }); err != nil {
		t.Fatal(err)
	}
	pipe := c.TxPipeline()
	pipe.Ping(ctx)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for i, e := range h.engine {
		if e {
			t.Errorf("hook call %d saw context.Background()", i)
		}
	}
	if len(h.engine) < 2 {
		t.Errorf("%d hook calls, want at least the two pipelines", len(h.engine))
	}
	// Close closes the inner client, then the closers, and joins errors.
	if err := c.Close(); err == nil || err.Error() != "closer" || closed != 1 {
		t.Errorf("Close = %v, closers run %d", err, closed)
	}
	if err := base.Ping(ctx).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("inner client after Close: %v", err)
	}
	_ = reads.Close()
}
