package surface

import (
	"context"
	"errors"
	"net"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// errFunnelDial is what the funnel's dialer returns: it never connects,
// every command it is given runs on the inner client.
var errFunnelDial = errors.New("surface: the command funnel has no connection of its own (a bug in internal/surface)")

// newFunnel returns the client the commands of laterCommands come from: a
// go-redis client whose only hook hands every command to c.Process and
// every pipeline to a pipeline of c, so that a command go-redis added after
// client_gen.go was generated is built by go-redis itself and run on the
// inner client, recorded by the Observer like a generated one. The funnel
// never dials (it has no server) and starts no goroutine.
//
// A command runs as the inner client's Process runs it, which is what the
// inner client's own method does unless its type overrides that method
// (as go-redis's cluster client and auto-pipeliner override DBSize, say):
// such an override is met only once client_gen.go is regenerated.
func newFunnel(c *Client) *redis.Client {
	f := redis.NewClient(&redis.Options{
		Addr:                     "surface-funnel.invalid:0",
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	f.AddHook(funnelHook{c})
	return f
}

// funnelHook ends the funnel's hook chain: nothing reaches the funnel's
// own connections.
type funnelHook struct{ c *Client }

func (funnelHook) DialHook(redis.DialHook) redis.DialHook {
	return func(context.Context, string, string) (net.Conn, error) { return nil, errFunnelDial }
}

func (h funnelHook) ProcessHook(redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		return h.c.Process(ctx, cmd)
	}
}

// ProcessPipelineHook runs a pipeline made by a method go-redis added
// (the funnel's Pipeline and TxPipeline are never called otherwise) as a
// pipeline of the Client: its commands, without the MULTI and EXEC the
// funnel wrapped a transaction in, on TxPipelined or Pipelined.
func (h funnelHook) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		run := h.c.Pipelined
		if n := len(cmds); n >= 2 && cmds[0].Name() == "multi" && cmds[n-1].Name() == "exec" {
			run, cmds = h.c.TxPipelined, cmds[1:n-1]
		}
		_, err := run(ctx, func(p redis.Pipeliner) error {
			for _, cmd := range cmds {
				_ = p.Process(ctx, cmd)
			}
			return nil
		})
		return err
	}
}
