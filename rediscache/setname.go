package rediscache

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"
)

// go-redis sends CLIENT SETNAME (the connection string's name=) in the
// pipeline that initialises every new connection and fails the connection
// when the server rejects it: against a server that does not implement the
// command (an older Garnet, some proxies) every command would fail.
// StackExchange.Redis sends it fire-and-forget. setNameTolerance makes a
// rejection of CLIENT SETNAME as unknown ("ERR unknown command",
// "ERR unknown subcommand ...") harmless: the connection is used without
// a name. Any other failure, and any failure of the pipeline's other
// commands (AUTH, SELECT), still fails the connection.
type setNameTolerance struct{}

var _ redis.Hook = setNameTolerance{}

func (setNameTolerance) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (setNameTolerance) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (setNameTolerance) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if err == nil {
			return nil
		}
		cleared := false
		for _, c := range cmds {
			if isSetName(c) && unknownToServer(c.Err()) {
				c.SetErr(nil)
				cleared = true
			}
		}
		if !cleared {
			return err
		}
		for _, c := range cmds {
			if e := c.Err(); e != nil {
				return e
			}
		}
		return nil
	}
}

func isSetName(c redis.Cmder) bool {
	if c.Name() != "client" {
		return false
	}
	args := c.Args()
	if len(args) < 2 {
		return false
	}
	sub, _ := args[1].(string)
	return strings.EqualFold(sub, "setname")
}

// unknownToServer reports whether err is an error reply saying the server
// does not know the command or subcommand.
func unknownToServer(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && strings.HasPrefix(strings.ToLower(rerr.Error()), "err unknown")
}

// setNameLayer installs setNameTolerance where go-redis initialises
// connections: on the client, or on every node of a cluster. It costs
// nothing unless a pipeline fails.
type setNameLayer struct{ noLayer }

func (setNameLayer) name() string { return "CLIENT SETNAME tolerance" }

func (setNameLayer) install(c redis.UniversalClient) error {
	addHooks(c, nil, func(*redis.Client) redis.Hook { return setNameTolerance{} })
	return nil
}
