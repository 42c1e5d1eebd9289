package surface

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/untraced"
)

// Observer records the commands run through a Client.
type Observer interface {
	// Begin is called before a command with the caller's context. The
	// context it returns is passed to the inner client and then to End.
	Begin(ctx context.Context) context.Context
	// End is called once the command has run (or was rejected).
	End(ctx context.Context, cmd redis.Cmder)
}

// Nop observes nothing.
type Nop struct{}

// Begin returns ctx.
func (Nop) Begin(ctx context.Context) context.Context { return ctx }

// End does nothing.
func (Nop) End(context.Context, redis.Cmder) {}

// Client is a redis.UniversalClient that runs everything on an inner
// client and reports every command to an Observer.
//
// Its methods are written in this file and generated in client_gen.go
// from the go-redis version in go.mod. A method a later go-redis adds to
// redis.UniversalClient is promoted from one of two embedded fields, so
// that the module still builds and the method still works:
//
//   - a method of redis.Cmdable (a command) from laterCommands, the funnel:
//     go-redis's own implementation builds the command and hands it to
//     Process, which runs it on the inner client and records it under the
//     caller's context like any generated command (see newFunnel);
//   - any other method (a client-level call, as Subscribe and PoolStats
//     are) from laterMethods: the inner client's own, run as is and not
//     seen by the Observer, as the generated Subscribe is not.
//
// laterCommands is one level of embedding up from the inner client, so a
// Cmdable method is taken from it and never from the inner client.
type Client struct {
	laterCommands
	laterMethods

	inner  redis.UniversalClient
	reads  redis.UniversalClient // the cached reads (see SetCachedReads)
	obs    Observer
	funnel *redis.Client
	closer []func() error
}

// laterCommands is the funnel, as redis.Cmdable.
type laterCommands = redis.Cmdable

// laterMethods holds the inner client one level of embedding below
// laterCommands.
type laterMethods struct{ innerClient }

// innerClient is the inner client, as embedded in laterMethods.
type innerClient struct{ redis.UniversalClient }

var _ redis.UniversalClient = (*Client)(nil)

// New wraps inner. Close closes inner and then calls each of closers (the
// clients inner runs on, which an auto-pipeliner does not close itself).
// A nil obs observes nothing.
func New(inner redis.UniversalClient, obs Observer, closers ...func() error) *Client {
	if obs == nil {
		obs = Nop{}
	}
	c := &Client{inner: inner, reads: inner, obs: obs, closer: closers}
	c.laterMethods = laterMethods{innerClient{inner}}
	c.funnel = newFunnel(c)
	c.laterCommands = c.funnel
	return c
}

// SetCachedReads sends the commands go-redis's client-side cache serves
// (gen.CachedReads) to r instead of the inner client: the client the cache
// lives on, when the inner client is its auto-pipeliner, whose batches
// bypass the cache. Call it before the client is used.
func (c *Client) SetCachedReads(r redis.UniversalClient) { c.reads = r }

// Observer returns the observer given to New (Nop for nil).
func (c *Client) Observer() Observer { return c.obs }

// Inner returns the wrapped client.
func (c *Client) Inner() redis.UniversalClient { return c.inner }

// userBackground stands for context.Background() passed by a caller to a
// call that is not a command (Pipelined, Watch, Subscribe, ...).
var userBackground = context.WithValue(context.Background(), userBackgroundKey{}, true)

type userBackgroundKey struct{}

// IsEngine reports whether ctx is the one go-redis's auto-pipeliner runs
// its batches on: exactly context.Background(). A caller's
// context.Background() never gets that far through a Client: commands
// carry the Observer's context, other calls pass.
func IsEngine(ctx context.Context) bool { return ctx == context.Background() }

// Engine is the context a hook that saw IsEngine passes on in place of
// context.Background(): marked untraced (the batch is not a caller's
// operation) and as the auto-pipeliner's, for the hooks after it
// (InEngine).
var Engine = context.WithValue(untraced.Context(context.Background()), engineKey{}, true)

type engineKey struct{}

// InEngine reports whether ctx is Engine or a context derived from it.
func InEngine(ctx context.Context) bool { return ctx.Value(engineKey{}) != nil }

// pass returns the context for a call that is not a command.
func (c *Client) pass(ctx context.Context) context.Context {
	if IsEngine(ctx) {
		return userBackground
	}
	return ctx
}

// Close closes the inner client and then the closers given to New, and
// joins their errors.
func (c *Client) Close() error {
	errs := []error{c.inner.Close()}
	for _, fn := range c.closer {
		errs = append(errs, fn())
	}
	errs = append(errs, c.funnel.Close())
	return errors.Join(errs...)
}

// Pipeline returns the inner client's pipeline; its Exec keeps a caller's
// context.Background() apart from the auto-pipeliner's.
func (c *Client) Pipeline() redis.Pipeliner { return pipeliner{c.inner.Pipeline(), c} }

// TxPipeline is Pipeline for MULTI/EXEC.
func (c *Client) TxPipeline() redis.Pipeliner { return pipeliner{c.inner.TxPipeline(), c} }

// Pipelined runs the inner client's Pipelined.
func (c *Client) Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	return c.inner.Pipelined(c.pass(ctx), fn)
}

// TxPipelined runs the inner client's TxPipelined.
func (c *Client) TxPipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	return c.inner.TxPipelined(c.pass(ctx), fn)
}

// Watch runs the inner client's Watch. The commands fn sends on the
// transaction are recorded by the hooks of the client underneath, with
// the context fn passes them.
func (c *Client) Watch(ctx context.Context, fn func(*redis.Tx) error, keys ...string) error {
	return c.inner.Watch(c.pass(ctx), fn, keys...)
}

// pipeliner passes a caller's context.Background() on as userBackground.
type pipeliner struct {
	redis.Pipeliner
	c *Client
}

func (p pipeliner) Exec(ctx context.Context) ([]redis.Cmder, error) {
	return p.Pipeliner.Exec(p.c.pass(ctx))
}

func (p pipeliner) Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error) {
	return p.Pipeliner.Pipelined(p.c.pass(ctx), fn)
}
