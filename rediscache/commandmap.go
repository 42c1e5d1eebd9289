package rediscache

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/settings"
)

// helloDisabledError is the refusal of HELLO. go-redis falls back to AUTH
// and RESP2 when HELLO fails with an error reply from the server, so this
// refusal says it is one (RedisError), as StackExchange.Redis does not send
// HELLO when $HELLO= disables it.
type helloDisabledError struct{ err *Error }

func (e helloDisabledError) Error() string { return e.err.Error() }
func (e helloDisabledError) RedisError()   {}
func (e helloDisabledError) Unwrap() error { return e.err }

// commandMap is a connection string's command map, ready for lookups by
// go-redis's lower-case command names. Only entries that change something
// are kept.
type commandMap struct {
	client string
	// wire maps a lower-case command name to the name it is sent under;
	// "" means disabled.
	wire map[string]string
	// boxed holds the renamed entries of wire as interface values, ready
	// for a command's first argument without an allocation.
	boxed map[string]any
}

// newCommandMap returns the effective map of m for client name, or nil when
// it changes nothing. Unknown command names are returned in ignored.
func newCommandMap(name string, m map[string]string) (cm *commandMap, ignored []string) {
	for k, v := range m {
		up := strings.ToUpper(strings.TrimSpace(k))
		if !knownCommands[up] {
			ignored = append(ignored, k)
			continue
		}
		v = strings.TrimSpace(v)
		if strings.EqualFold(v, up) {
			continue // mapped to itself
		}
		if cm == nil {
			cm = &commandMap{client: name, wire: make(map[string]string), boxed: make(map[string]any)}
		}
		cm.wire[strings.ToLower(up)] = v
		if v != "" {
			cm.boxed[strings.ToLower(up)] = v
		}
	}
	slices.Sort(ignored)
	return cm, ignored
}

// disabled reports whether the command called name (lower-case) is
// disabled.
func (m *commandMap) disabled(name string) bool {
	w, ok := m.wire[name]
	return ok && w == ""
}

// refusal is the error of the disabled command cmd.
func (m *commandMap) refusal(name string) error {
	up := strings.ToUpper(name)
	e := clientError(m.client, &kindError{kind: ErrCommandDisabled,
		msg: fmt.Sprintf("%s is disabled by the command map ($%s= in the connection string) and was not sent", up, up)})
	if name == "hello" {
		return helloDisabledError{e}
	}
	return e
}

// rename puts the wire name of cmd, called name, in its first argument and
// returns the arguments and the first argument it replaced, or nil when
// cmd is not renamed.
func (m *commandMap) rename(cmd redis.Cmder, name string) (args []any, old any) {
	w, ok := m.boxed[name]
	if !ok {
		return nil, nil
	}
	args = cmd.Args()
	if len(args) == 0 {
		return nil, nil
	}
	old = args[0]
	args[0] = w
	return args, old
}

// install puts the map's hooks on client: on a single client one hook
// that refuses and renames, on a cluster client one that refuses (before
// routing) and one per node that renames.
func (m *commandMap) install(client redis.UniversalClient) {
	if _, ok := client.(*redis.ClusterClient); ok {
		addHooks(client, commandMapHook{m: m, refuseOnly: true}, func(*redis.Client) redis.Hook { return commandMapHook{m: m} })
		return
	}
	addHooks(client, commandMapHook{m: m}, nil)
}

// commandMapHook applies a commandMap. With refuseOnly it only refuses
// disabled commands (the cluster client's hook).
type commandMapHook struct {
	m          *commandMap
	refuseOnly bool
}

func (h commandMapHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

func (h commandMapHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		name := cmd.Name()
		if h.m.disabled(name) {
			err := h.m.refusal(name)
			cmd.SetErr(err)
			return err
		}
		if h.refuseOnly {
			return next(ctx, cmd)
		}
		args, old := h.m.rename(cmd, name)
		if args == nil {
			return next(ctx, cmd)
		}
		err := next(ctx, cmd)
		args[0] = old
		return err
	}
}

func (h commandMapHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if n := len(cmds); n >= 2 && cmds[0].Name() == "multi" && cmds[n-1].Name() == "exec" {
			// A transaction: all or nothing.
			for _, cmd := range cmds {
				if name := cmd.Name(); h.m.disabled(name) {
					err := h.m.refusal(name)
					for _, c := range cmds {
						c.SetErr(err)
					}
					return err
				}
			}
			return h.send(ctx, cmds, next)
		}
		var refused error
		for _, cmd := range cmds {
			if name := cmd.Name(); h.m.disabled(name) {
				refused = h.m.refusal(name)
				break
			}
		}
		if refused == nil {
			return h.send(ctx, cmds, next)
		}
		// Refuse the disabled commands, send the others.
		var firstErr error
		send := make([]redis.Cmder, 0, len(cmds))
		for _, cmd := range cmds {
			if name := cmd.Name(); h.m.disabled(name) {
				err := h.m.refusal(name)
				cmd.SetErr(err)
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			send = append(send, cmd)
		}
		if len(send) > 0 {
			if err := h.send(ctx, send, next); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		// go-redis returns the first failed command's error, in order.
		for _, cmd := range cmds {
			if err := cmd.Err(); err != nil {
				return err
			}
		}
		return firstErr
	}
}

// send renames cmds (unless the hook only refuses), runs next and restores
// the names.
func (h commandMapHook) send(ctx context.Context, cmds []redis.Cmder, next redis.ProcessPipelineHook) error {
	if h.refuseOnly {
		return next(ctx, cmds)
	}
	type renamed struct {
		args []any
		old  any
	}
	var undo []renamed
	for _, cmd := range cmds {
		if args, old := h.m.rename(cmd, cmd.Name()); args != nil {
			undo = append(undo, renamed{args, old})
		}
	}
	err := next(ctx, cmds)
	for _, u := range undo {
		u.args[0] = u.old
	}
	return err
}

// commandMapLayer applies a command map: StackExchange.Redis's
// $COMMAND=name pieces of a connection string
// (settings.Connection.CommandMap): a server started with rename-command
// GET MYGET is used with "$GET=MYGET", and a command the client must never
// send is disabled with "$FLUSHALL=".
//
// The map is applied by a go-redis hook installed after the telemetry
// layer, so it runs inside the telemetry's hooks: spans and metrics name
// the command the application ran (GET), while the server receives the
// mapped name (MYGET). A client without a map gets no hook at all.
//
// What the hook does, command by command:
//
//   - a disabled command is not sent: it fails with an *Error matching ErrCommandDisabled
//     (errors.Is(err, ErrCommandDisabled)) naming the command and its $CMD
//     key;
//   - a renamed command is sent under its new name, and the command's
//     arguments are restored once it is done, so that the application sees
//     the command it built;
//   - in a pipeline every command is checked on its own: the disabled ones
//     fail and the others are sent, as if the server had refused them;
//   - a MULTI/EXEC transaction that contains a disabled command (or whose
//     MULTI or EXEC is disabled) is not sent at all, as a server aborts a
//     transaction with an unknown command (EXECABORT); MULTI and EXEC are
//     renamed like any other command;
//   - for a cluster client the cluster refuses disabled commands before it
//     routes them, and each node renames them as it sends them: the
//     cluster routes by the command's real name (its key positions come
//     from COMMAND INFO), which the new name would hide.
//
// Like StackExchange.Redis, only the commands it knows (its RedisCommand
// enumeration, knownCommands below) can be mapped; other names are ignored.
// Commands go-redis writes without hooks are not mapped: the pub/sub
// commands of a PubSub connection (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and
// their UNSUBSCRIBE, and its PING) and the commands to sentinels.
type commandMapLayer struct {
	noLayer
	client string
	conn   *settings.Connection
	logger *slog.Logger
	m      *commandMap // set by configure; nil: no map
}

func (*commandMapLayer) name() string { return "command map" }

func (l *commandMapLayer) configure(*redis.UniversalOptions) error {
	l.m = applyCommandMap(l.client, l.conn, l.logger)
	return nil
}

func (l *commandMapLayer) install(c redis.UniversalClient) error {
	if l.m != nil {
		l.m.install(c)
	}
	return nil
}

// applyCommandMap adjusts opts to what the map leaves usable before the
// client is built, and returns the map to install (nil: none). go-redis
// sends CLIENT SETNAME and CLIENT SETINFO on every new connection and fails
// the connection when they fail, so with CLIENT disabled the client sends
// neither (StackExchange.Redis does not name its connections then either).
func applyCommandMap(name string, conn *settings.Connection, logger *slog.Logger) *commandMap {
	if len(conn.CommandMap) == 0 {
		return nil
	}
	cm, ignored := newCommandMap(name, conn.CommandMap)
	if len(ignored) > 0 {
		logger.Info("redis command map: names StackExchange.Redis does not know are ignored, as in .NET",
			slog.Any("commands", ignored))
	}
	if cm == nil {
		return nil
	}
	if cm.disabled("client") {
		o := conn.Options
		if o.ClientName != "" || !o.DisableIdentity {
			logger.Warn("redis command map disables CLIENT: connections are not named (name=) and send no CLIENT SETINFO")
		}
		o.ClientName = ""
		o.DisableIdentity = true
	}
	return cm
}

// knownCommands are the commands StackExchange.Redis can map (its
// RedisCommand enumeration, 2.x). A $NAME= piece for any other name is
// ignored, in .NET and here.
var knownCommands = func() map[string]bool {
	names := strings.Fields(`
		APPEND ASKING AUTH
		BGREWRITEAOF BGSAVE BITCOUNT BITOP BITPOS BLPOP BRPOP BRPOPLPUSH
		CLIENT CLUSTER CONFIG COPY
		DBSIZE DEBUG DECR DECRBY DEL DISCARD DUMP
		ECHO EVAL EVALSHA EXEC EXISTS EXPIRE EXPIREAT EXPIRETIME
		FLUSHALL FLUSHDB
		GEOADD GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUSBYMEMBER GEOSEARCH GEOSEARCHSTORE
		GET GETBIT GETDEL GETEX GETRANGE GETSET
		HDEL HELLO HEXISTS HEXPIRE HEXPIREAT HEXPIRETIME HGET HGETALL HGETDEL HGETEX HINCRBY HINCRBYFLOAT
		HKEYS HLEN HMGET HMSET HPERSIST HPEXPIRE HPEXPIREAT HPEXPIRETIME HPTTL HRANDFIELD HSCAN HSET HSETEX
		HSETNX HSTRLEN HTTL HVALS
		INCR INCRBY INCRBYFLOAT INFO
		KEYS
		LASTSAVE LATENCY LINDEX LINSERT LLEN LMOVE LMPOP LPOP LPOS LPUSH LPUSHX LRANGE LREM LSET LTRIM
		MEMORY MGET MIGRATE MONITOR MOVE MSET MSETNX MULTI
		OBJECT
		PERSIST PEXPIRE PEXPIREAT PEXPIRETIME PFADD PFCOUNT PFMERGE PING PSETEX PSUBSCRIBE PTTL PUBLISH
		PUBSUB PUNSUBSCRIBE
		QUIT
		RANDOMKEY READONLY READWRITE RENAME RENAMENX REPLICAOF RESTORE ROLE RPOP RPOPLPUSH RPUSH RPUSHX
		SADD SAVE SCAN SCARD SCRIPT SDIFF SDIFFSTORE SELECT SENTINEL SET SETBIT SETEX SETNX SETRANGE
		SHUTDOWN SINTER SINTERCARD SINTERSTORE SISMEMBER SLAVEOF SLOWLOG SMEMBERS SMISMEMBER SMOVE SORT
		SORT_RO SPOP SPUBLISH SRANDMEMBER SREM SSCAN SSUBSCRIBE STRLEN SUBSCRIBE SUNION SUNIONSTORE
		SUNSUBSCRIBE SWAPDB SYNC
		TIME TOUCH TTL TYPE
		UNLINK UNSUBSCRIBE UNWATCH
		WATCH
		XACK XADD XAUTOCLAIM XCLAIM XDEL XGROUP XINFO XLEN XPENDING XRANGE XREAD XREADGROUP XREVRANGE XTRIM
		ZADD ZCARD ZCOUNT ZDIFF ZDIFFSTORE ZINCRBY ZINTER ZINTERCARD ZINTERSTORE ZLEXCOUNT ZMPOP ZMSCORE
		ZPOPMAX ZPOPMIN ZRANDMEMBER ZRANGE ZRANGEBYLEX ZRANGEBYSCORE ZRANGESTORE ZRANK ZREM ZREMRANGEBYLEX
		ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREVRANGE ZREVRANGEBYLEX ZREVRANGEBYSCORE ZREVRANK ZSCAN ZSCORE
		ZUNION ZUNIONSTORE`)
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}()
