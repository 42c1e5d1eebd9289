package rediscache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/settings"
)

// A connection string that names one node of a Redis Cluster builds a
// standalone client here, where StackExchange.Redis would discover the
// cluster from that node. Discovering it would need a round trip to the
// server before the client exists (the kind of client, *redis.Client or
// *redis.ClusterClient, is fixed when it is built and already handed out
// by New and fx), and New does not dial. Making every one-endpoint client a
// cluster client instead would change what a standalone server does
// (transactions split by slot, one database only). So discovery is opt-in:
// list the nodes ("host1:port1,host2:port2,...") or set the ClusterMode
// setting (Aspire:StackExchange:Redis:cache:ClusterMode=true in
// configuration, or settings.EnableClusterMode() in code): one address is
// then enough, the client asks it for the others.
//
// redirectLayer adds a clear failure when that is forgotten: a
// standalone client that receives a MOVED or ASK redirection returns an
// *Error matching ErrRedirect that says what to write, and logs it once.
// The hook costs one comparison per command that succeeds.
type redirectLayer struct {
	noLayer
	client   string
	topology settings.Topology
	logger   *slog.Logger
}

func (*redirectLayer) name() string { return "redirect guard" }

// install adds the guard to a standalone client only.
func (l *redirectLayer) install(client redis.UniversalClient) error {
	c, ok := client.(*redis.Client)
	if !ok || l.topology != settings.Standalone {
		return nil
	}
	addHooks(c, &redirectGuard{name: l.client, addr: c.Options().Addr, logger: l.logger}, nil)
	return nil
}

type redirectGuard struct {
	name, addr string
	logger     *slog.Logger
	logged     atomic.Bool
}

func (g *redirectGuard) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

func (g *redirectGuard) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err == nil || err == redis.Nil {
			return err
		}
		if werr := g.wrap(err); werr != nil {
			cmd.SetErr(werr)
			return werr
		}
		return err
	}
}

func (g *redirectGuard) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err == nil {
			return nil
		}
		for _, cmd := range cmds {
			if cerr := cmd.Err(); cerr != nil {
				if werr := g.wrap(cerr); werr != nil {
					cmd.SetErr(werr)
				}
			}
		}
		if werr := g.wrap(err); werr != nil {
			return werr
		}
		return err
	}
}

// wrap returns err as an *Error matching ErrRedirect when it is a MOVED or
// ASK reply that is not wrapped yet, and nil otherwise.
func (g *redirectGuard) wrap(err error) error {
	if errors.Is(err, ErrRedirect) {
		return nil
	}
	_, moved := redis.IsMovedError(err)
	_, ask := redis.IsAskError(err)
	if !moved && !ask {
		return nil
	}
	if g.logged.CompareAndSwap(false, true) {
		g.logger.Warn("redis server is a cluster node but the client is standalone; list the cluster's nodes in the connection string or set the ClusterMode setting",
			slog.String("node", g.addr), slog.String("reply", err.Error()))
	}
	return clientError(g.name, &kindError{kind: ErrRedirect, cause: err,
		msg: fmt.Sprintf("%v: %s is a Redis Cluster node, but the client is standalone "+
			"and cannot follow redirections; list the cluster's nodes in the connection string (host1:port1,host2:port2,...) "+
			"or set Aspire:StackExchange:Redis:%s:ClusterMode=true (settings.EnableClusterMode())", err, g.addr, g.name)})
}
