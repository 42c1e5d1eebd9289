package instrument

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// opKind tells a single command from the two kinds of batch.
type opKind uint8

const (
	kindCommand  opKind = iota // one command: GET
	kindPipeline               // PIPELINE, PIPELINE GET
	kindMulti                  // MULTI, MULTI SET (a MULTI/EXEC transaction)
	numKinds
)

// maxCachedOps bounds each per-endpoint cache. Redis has a few hundred
// commands; anything beyond is built per call (correct, just slower).
const maxCachedOps = 512

// Endpoint is one server as telemetry names it: server.address,
// server.port and db.namespace, plus the per-operation caches of span
// attributes and metric attribute sets built from them. An endpoint is
// immutable apart from its caches and is shared by every command sent to
// that server.
type Endpoint struct {
	hostport string               // as dialled or configured; "" = not known yet
	base     []attribute.KeyValue // db.system.name, db.namespace, server.*
	old      []attribute.KeyValue // span only: db.system (and v1.24 names with database/dup)
	conv     Conventions
	ops      [numKinds]opCache
}

// newEndpoint describes the server at addr (host:port, a unix socket path,
// or "" when not known) using database index db, with the span attribute
// names conv selects.
func newEndpoint(addr string, db int, conv Conventions) *Endpoint {
	ep := &Endpoint{hostport: addr, conv: conv, old: conv.oldEndpointAttrs(db)}
	ep.base = []attribute.KeyValue{semconv.DBSystemNameRedis, semconv.DBNamespace(strconv.Itoa(db))}
	if addr != "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			// A unix socket path (or an address without a port).
			ep.base = append(ep.base, semconv.ServerAddress(addr))
		} else {
			ep.base = append(ep.base, semconv.ServerAddress(host))
			if p, err := strconv.Atoi(port); err == nil {
				ep.base = append(ep.base, semconv.ServerPort(p))
			}
		}
	}
	return ep
}

// op returns the cached description of operation name (a lower-case
// command name as go-redis reports it; for batches the common command of
// all entries, or "" when they differ) of the given kind.
func (ep *Endpoint) op(kind opKind, name string) *opInfo {
	c := &ep.ops[kind]
	if m := c.m.Load(); m != nil {
		if oi := (*m)[name]; oi != nil {
			return oi
		}
	}
	return c.add(ep, kind, name)
}

// opCache is a copy-on-write map: lookups are one atomic load and a plain
// map read, inserts (once per command name) copy the map.
type opCache struct {
	m  atomic.Pointer[map[string]*opInfo]
	mu sync.Mutex
}

func (c *opCache) add(ep *Endpoint, kind opKind, name string) *opInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if oi := (*old)[name]; oi != nil {
			return oi
		}
		if len(*old) >= maxCachedOps {
			return newOpInfo(ep, kind, name)
		}
	}
	name = strings.Clone(name)
	oi := newOpInfo(ep, kind, name)
	m := make(map[string]*opInfo, 1+lenMap(old))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[name] = oi
	c.m.Store(&m)
	return oi
}

func lenMap[V any](m *map[string]V) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// opInfo is everything about one operation on one endpoint that does not
// change from call to call.
type opInfo struct {
	name string               // span name and db.operation.name: GET, PIPELINE GET, MULTI
	ok   *outcome             // success
	old  []attribute.KeyValue // the old names spans carry (see Conventions)
	n    int                  // len(ok.spanAttrs) - len(old): the shared attributes
	errs atomic.Pointer[map[string]*outcome]
	mu   sync.Mutex
	// setup is set for commands go-redis also sends while setting up a new
	// connection (see isSetup); they need a closer look per call.
	setup bool
	// procArg is set for EVALSHA and FCALL, whose first argument is
	// db.stored_procedure.name.
	procArg bool
	// hideReply is set for a command whose error reply is not recorded
	// (hidesReply, looked up by the command's lower-case name): the one
	// lookup both the hooks and the multiplexed observer use.
	hideReply bool
}

// outcome is what a span and a measurement of one operation with one
// result carry: the span attributes (set in one call) and the metric
// attribute set.
type outcome struct {
	spanAttrs []attribute.KeyValue // db.system.name, db.operation.name, db.namespace, server.*, error.*, old names
	rec       []metric.RecordOption
}

// newOutcome builds the outcome from the attributes spans and metrics
// share (kvs) and the old names only spans carry (old).
func newOutcome(kvs, old []attribute.KeyValue) *outcome {
	span := kvs
	if len(old) > 0 {
		span = make([]attribute.KeyValue, 0, len(kvs)+len(old))
		span = append(append(span, kvs...), old...)
	}
	return &outcome{spanAttrs: span, rec: []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}}
}

func newOpInfo(ep *Endpoint, kind opKind, cmd string) *opInfo {
	name := strings.ToUpper(cmd)
	switch kind {
	case kindPipeline:
		name = strings.TrimSpace("PIPELINE " + name)
	case kindMulti:
		name = strings.TrimSpace("MULTI " + name)
	}
	if name == "" {
		name = "redis" // no command name at all: the span is named after the system
	}
	oi := &opInfo{name: name, old: ep.old}
	if ep.conv == ConventionsDup {
		oi.old = append(oi.old[:len(oi.old):len(oi.old)], oldDBOperation.String(name))
	}
	if kind == kindCommand {
		oi.setup = setupNames[cmd]
		oi.hideReply = hidesReply(cmd)
		switch cmd {
		case "evalsha", "evalsha_ro", "fcall", "fcall_ro":
			oi.procArg = true
		}
	}
	kvs := make([]attribute.KeyValue, 0, len(ep.base)+1)
	kvs = append(kvs, ep.base...)
	kvs = append(kvs, semconv.DBOperationName(name))
	oi.ok = newOutcome(kvs, oi.old)
	oi.n = len(kvs)
	return oi
}

// outcome returns the cached outcome for a result: success when errType
// is "", otherwise with error.type (and db.response.status_code for an
// error reply).
func (oi *opInfo) outcome(errType, status string) *outcome {
	if errType == "" {
		return oi.ok
	}
	if m := oi.errs.Load(); m != nil {
		if o := (*m)[errType]; o != nil {
			return o
		}
	}
	oi.mu.Lock()
	defer oi.mu.Unlock()
	old := oi.errs.Load()
	if old != nil {
		if o := (*old)[errType]; o != nil {
			return o
		}
	}
	kvs := make([]attribute.KeyValue, 0, oi.n+2)
	kvs = append(kvs, oi.ok.spanAttrs[:oi.n]...)
	kvs = append(kvs, errorAttrs(errType, status)...)
	o := newOutcome(kvs, oi.old)
	if old != nil && len(*old) >= maxCachedOps {
		return o // a pathological number of error types: correct, uncached
	}
	m := make(map[string]*outcome, 1+lenMap(old))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[strings.Clone(errType)] = o
	oi.errs.Store(&m)
	return o
}

// errorAttrs are the span and metric attributes of a failure.
func errorAttrs(errType, status string) []attribute.KeyValue {
	if status != "" {
		return []attribute.KeyValue{semconv.ErrorTypeKey.String(errType), semconv.DBResponseStatusCode(status)}
	}
	return []attribute.KeyValue{semconv.ErrorTypeKey.String(errType)}
}

// setupNames are the commands go-redis sends on a new connection before
// the command that needed it: HELLO (or AUTH), SELECT, READONLY and some
// CLIENT subcommands (see isSetup).
var setupNames = map[string]bool{"hello": true, "auth": true, "select": true, "readonly": true, "client": true}

// isSetup reports whether cmd is a connection set-up command. For CLIENT
// only the subcommands of the handshake count: SETNAME, SETINFO,
// MAINT_NOTIFICATIONS and TRACKING.
func isSetup(cmd redis.Cmder, name string) bool {
	if !setupNames[name] {
		return false
	}
	if name != "client" {
		return true
	}
	args := cmd.Args()
	if len(args) < 2 {
		return false
	}
	sub, _ := args[1].(string)
	switch strings.ToLower(sub) {
	case "setname", "setinfo", "maint_notifications", "tracking":
		return true
	}
	return false
}

// allSetup reports whether every command of a batch is a set-up command.
func allSetup(cmds []redis.Cmder) bool {
	for _, c := range cmds {
		if !isSetup(c, c.Name()) {
			return false
		}
	}
	return len(cmds) > 0
}
