package rediscache

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// longReads is the hook that sends blocking commands to a clone of client
// with their own timeouts.
type longReads struct {
	client  *redis.Client
	timeout time.Duration
}

// longReadKey marks the context of a command already sent to a clone.
type longReadKey struct{}

// A blocking command sent through Do (or built with redis.NewCmd and run
// with Process) carries no read timeout of its own, unlike the typed
// methods (BLPop, XRead with Block, Wait, ...), which give go-redis the
// block time: go-redis reads its reply under ReadTimeout, syncTimeout,
// cuts a BLPOP that blocks longer, and sends it again up to MaxRetries
// times. With syncTimeout=500, Do(ctx, "BLPOP", "q", 2) reached the
// server four times and failed with an i/o timeout after 2.1 s.
//
// longReadsLayer runs every blocking command on a clone of the client whose
// read and write timeouts are the command's block time plus the command
// timeout (go-redis's Client.WithTimeout: the clone shares the client's
// connections and hooks), or none for a command that blocks without
// limit, as go-redis does for the typed methods. The command-timeout hook
// bounds it the same way (deadline.go), so a command that has blocked its
// full time and then waited the command timeout for its reply is not
// retried: go-redis stops retrying when the command's context has ended.
//
// Its hook goes on the client, or on each node of a cluster client, before
// any other hook: the clone runs the client's hooks again, and only those
// after this one may run just once. It adds none when the options ask for
// no timeout.
type longReadsLayer struct{ noLayer }

func (*longReadsLayer) name() string { return "long reads" }

func (*longReadsLayer) install(c redis.UniversalClient) error {
	d := commandTimeout(c)
	if d <= 0 {
		return nil
	}
	addHooks(c, nil, func(n *redis.Client) redis.Hook { return longReads{client: n, timeout: d} })
	return nil
}

func (longReads) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h longReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		block, ok := blockTimeout(cmd)
		if !ok || ctx.Value(longReadKey{}) != nil {
			return next(ctx, cmd)
		}
		var d time.Duration // 0: no timeout of go-redis's, only ctx's
		if block > 0 {
			d = satAdd(block, h.timeout)
		}
		return h.client.WithTimeout(d).Process(context.WithValue(ctx, longReadKey{}, true), cmd)
	}
}

func (longReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
