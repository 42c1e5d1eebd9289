package rediscache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/internal/topology"
	"github.com/aspirego/redis/settings"
)

// withMap builds the client "cache" from conn with command map cm, through
// the seam below New: the settings package fills Connection.CommandMap
// from $CMD=name pieces. It is closed when the test ends.
func withMap(t testing.TB, conn string, cm map[string]string, deps Deps, opts ...settings.Option) *Instance {
	t.Helper()
	opts = append([]settings.Option{settings.WithConnectionString(conn)}, opts...)
	res, err := settings.Resolve(nil, "cache", opts...)
	if err != nil {
		t.Fatal(err)
	}
	res.Connection.CommandMap = cm
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	inst, err := build("cache", res, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	return inst
}

func TestNewCommandMap(t *testing.T) {
	tests := []struct {
		name    string
		in      map[string]string
		want    map[string]string // nil: no map
		ignored []string
	}{
		{name: "none", in: nil},
		{name: "disable", in: map[string]string{"FLUSHALL": ""}, want: map[string]string{"flushall": ""}},
		{name: "rename", in: map[string]string{"GET": "MYGET"}, want: map[string]string{"get": "MYGET"}},
		{name: "keys are case-insensitive", in: map[string]string{"get": "x", "Exec": "y"}, want: map[string]string{"get": "x", "exec": "y"}},
		{name: "to itself", in: map[string]string{"GET": "get"}},
		{name: "unknown names ignored", in: map[string]string{"FOO": "bar", "GET": ""}, want: map[string]string{"get": ""}, ignored: []string{"FOO"}},
		{name: "only unknown", in: map[string]string{"NOTACOMMAND": ""}, ignored: []string{"NOTACOMMAND"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cm, ignored := newCommandMap("cache", tc.in)
			if !slices.Equal(ignored, tc.ignored) {
				t.Errorf("ignored = %v, want %v", ignored, tc.ignored)
			}
			if tc.want == nil {
				if cm != nil {
					t.Fatalf("map = %v, want none", cm.wire)
				}
				return
			}
			if cm == nil || len(cm.wire) != len(tc.want) {
				t.Fatalf("map = %v, want %v", cm, tc.want)
			}
			for k, v := range tc.want {
				if got, ok := cm.wire[k]; !ok || got != v {
					t.Errorf("%s -> %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestCommandDisabledError(t *testing.T) {
	err := (&commandMap{client: "cache"}).refusal("flushall")
	var named *Error
	if !errors.Is(err, ErrCommandDisabled) || !errors.As(err, &named) || named.Client != "cache" {
		t.Fatal("errors.Is(ErrCommandDisabled) is false")
	}
	for _, want := range []string{`"cache"`, "FLUSHALL", "$FLUSHALL="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
	hello := (&commandMap{client: "cache"}).refusal("hello")
	var rerr redis.Error
	if !errors.As(hello, &rerr) || !errors.As(hello, &named) || !errors.Is(hello, ErrCommandDisabled) {
		t.Errorf("the refusal of HELLO must be a redis.Error (go-redis then falls back to AUTH) and an *Error matching ErrCommandDisabled: %T", hello)
	}
}

// TestDisabledCommandsAreNotSent checks, against miniredis, that a
// disabled command fails before it is sent: alone, in a pipeline (the
// other commands are sent) and in a transaction (nothing is sent).
func TestDisabledCommandsAreNotSent(t *testing.T) {
	srv := miniredis.RunT(t)
	inst := withMap(t, srv.Addr()+",setlib=false", map[string]string{"GET": "", "FLUSHALL": ""}, Deps{})
	c := inst.Client
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	sent := srv.CommandCount()

	err := c.Get(ctx, "k").Err()
	var de *Error
	if !errors.Is(err, ErrCommandDisabled) || !errors.As(err, &de) || de.Client != "cache" || !strings.Contains(err.Error(), "GET is disabled") {
		t.Fatalf("GET: %v, want an *Error matching ErrCommandDisabled for GET", err)
	}
	if err := c.FlushAll(ctx).Err(); !errors.Is(err, ErrCommandDisabled) {
		t.Fatalf("FLUSHALL: %v", err)
	}
	if got := srv.CommandCount(); got != sent {
		t.Fatalf("%d commands reached the server", got-sent)
	}

	// A pipeline sends what is allowed.
	var set *redis.StatusCmd
	var get *redis.StringCmd
	_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		set = p.Set(ctx, "p", "1", 0)
		get = p.Get(ctx, "p")
		return nil
	})
	if !errors.Is(err, ErrCommandDisabled) || set.Err() != nil || !errors.Is(get.Err(), ErrCommandDisabled) {
		t.Fatalf("pipeline: %v; SET %v; GET %v", err, set.Err(), get.Err())
	}
	if v, _ := srv.Get("p"); v != "1" {
		t.Fatalf("the pipeline's SET did not run: p = %q", v)
	}

	// A transaction with a disabled command is not sent at all.
	sent = srv.CommandCount()
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "tx", "1", 0)
		p.Get(ctx, "tx")
		return nil
	})
	if !errors.Is(err, ErrCommandDisabled) {
		t.Fatalf("transaction: %v", err)
	}
	for _, cmd := range cmds {
		if !errors.Is(cmd.Err(), ErrCommandDisabled) {
			t.Errorf("%s: %v, want the refusal", cmd.Name(), cmd.Err())
		}
	}
	if got := srv.CommandCount(); got != sent || srv.Exists("tx") {
		t.Fatalf("%d commands of the refused transaction reached the server", got-sent)
	}
}

// TestWithoutMapNoHook: a client without a command map, or with one that
// changes nothing, gets no hook (zero cost).
func TestWithoutMapNoHook(t *testing.T) {
	for _, cm := range []map[string]string{nil, {"GET": "GET"}, {"NOSUCH": ""}} {
		conn := &settings.Connection{Options: &redis.UniversalOptions{}, CommandMap: cm}
		if got := applyCommandMap("cache", conn, slog.New(slog.DiscardHandler)); got != nil {
			t.Errorf("map %v: a hook would be installed", cm)
		}
	}
}

func TestClientDisabledDropsNameAndIdentity(t *testing.T) {
	conn := &settings.Connection{
		Options:    &redis.UniversalOptions{ClientName: "svc"},
		CommandMap: map[string]string{"CLIENT": ""},
	}
	if cm := applyCommandMap("cache", conn, slog.New(slog.DiscardHandler)); cm == nil {
		t.Fatal("no map")
	}
	if conn.Options.ClientName != "" || !conn.Options.DisableIdentity {
		t.Fatalf("ClientName %q, DisableIdentity %v: go-redis would send CLIENT SETNAME/SETINFO", conn.Options.ClientName, conn.Options.DisableIdentity)
	}
}

// renamed are the commands the real-server tests rename: the data
// commands they use, MULTI and EXEC, and the connection set-up commands
// go-redis sends (HELLO, CLIENT SETNAME/SETINFO, SELECT).
var renamed = map[string]string{
	"GET": "MYGET", "SET": "MYSET", "MULTI": "MYMULTI", "EXEC": "MYEXEC",
	"HELLO": "MYHELLO", "CLIENT": "MYCLIENT", "SELECT": "MYSELECT",
}

func renameArgs() []string {
	var args []string
	for k, v := range renamed {
		args = append(args, "--rename-command", k, v)
	}
	return args
}

// TestRenamedCommandsRealServer runs a client whose command map matches a
// redis-server started with rename-command: single commands, a pipeline, a
// transaction and the connection set-up (HELLO, CLIENT SETNAME, SELECT)
// use the new names, and spans keep the command's real name.
func TestRenamedCommandsRealServer(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Password: "cm-pw", Args: renameArgs()})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	conn := srv.ConnectionString() + ",name=svc,defaultDatabase=2"
	inst := withMap(t, conn, renamed, Deps{TracerProvider: tp})
	c := inst.Client
	ctx := context.Background()

	get := c.Get(ctx, "missing")
	if err := get.Err(); err != redis.Nil {
		t.Fatalf("GET under its new name: %v", err)
	}
	if get.Args()[0] != "get" {
		t.Errorf("the command's name was not restored: %v", get.Args()[0])
	}
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "p", "1", 0)
		p.Get(ctx, "p")
		return nil
	}); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "tx", "1", 0)
		p.Get(ctx, "tx")
		return nil
	})
	if err != nil {
		t.Fatalf("transaction: %v", err)
	}
	if v := cmds[1].(*redis.StringCmd).Val(); v != "1" {
		t.Fatalf("GET in the transaction = %q", v)
	}
	// The connection was set up with the new names: named, in database 2.
	list, _ := srv.Do(t, "MYCLIENT", "LIST", "TYPE", "normal").(string) // CLIENT is renamed
	if !strings.Contains(list, "name=svc") || !strings.Contains(list, "db=2") || !strings.Contains(list, "resp=3") {
		t.Errorf("CLIENT LIST has no RESP3 (HELLO) connection named svc in db 2:\n%s", list)
	}
	if got := srv.Do(t, "DBSIZE"); got != int64(0) {
		t.Errorf("database 0 has %v keys, want 0 (the client selects 2)", got)
	}

	// Spans name the command the application ran.
	var names []string
	for _, s := range rec.Ended() {
		names = append(names, s.Name())
	}
	for _, want := range []string{"GET", "SET", "PIPELINE", "MULTI"} {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, want) }) {
			t.Errorf("no span named %s in %v", want, names)
		}
	}
	for _, n := range names {
		if strings.Contains(n, "MY") {
			t.Errorf("span %q carries a renamed command", n)
		}
	}
}

// TestHelloDisabled: with HELLO disabled the client authenticates with
// AUTH and speaks RESP2, as StackExchange.Redis does without HELLO.
func TestHelloDisabled(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Password: "hello-pw"})
	inst := withMap(t, srv.ConnectionString()+",name=svc", map[string]string{"HELLO": ""}, Deps{})
	ctx := context.Background()
	if err := inst.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with HELLO disabled: %v", err)
	}
	list, _ := srv.Do(t, "CLIENT", "LIST", "TYPE", "normal").(string)
	if !strings.Contains(list, "name=svc") || !strings.Contains(list, "resp=2") {
		t.Errorf("CLIENT LIST has no RESP2 connection named svc:\n%s", list)
	}
}

// TestRenamedCommandsCluster runs the same map on a cluster client listed
// by its nodes: each node sends the new names, and the cluster still
// routes by the command's real name.
func TestRenamedCommandsCluster(t *testing.T) {
	t.Parallel()
	cl := testserver.StartCluster(t, testserver.ClusterOptions{Args: renameArgs()})
	inst := withMap(t, cl.ConnectionString(), renamed, Deps{})
	c := inst.Client
	if _, ok := c.(*redis.ClusterClient); !ok {
		t.Fatalf("%T, want a cluster client", c)
	}
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		if err := c.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		if v, err := c.Get(ctx, k).Result(); err != nil || v != k {
			t.Fatalf("GET %s = %q, %v", k, v, err)
		}
	}
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "{t}1", "1", 0)
		p.Set(ctx, "{t}2", "2", 0)
		return nil
	}); err != nil {
		t.Fatalf("transaction: %v", err)
	}
	if got := topology.Of(inst).Kind; got != "cluster" {
		t.Errorf("Topology().Kind = %q, want cluster", got)
	}
	if err := c.Get(ctx, "a").Err(); err != nil {
		t.Fatal(err)
	}
	// Disabled on a cluster: refused before routing.
	inst2 := withMap(t, cl.ConnectionString(), map[string]string{"GET": "", "SET": "MYSET", "HELLO": "MYHELLO", "CLIENT": "MYCLIENT"}, Deps{})
	if err := inst2.Client.Get(ctx, "a").Err(); !errors.Is(err, ErrCommandDisabled) {
		t.Fatalf("disabled GET on a cluster: %v", err)
	}
}

// TestCommandMapConnectionString is the end-to-end path: $CMD=name pieces
// in the connection string. It needs the settings package to parse them.
func TestCommandMapConnectionString(t *testing.T) {
	if _, err := settings.ParseConnectionString("localhost,$GET="); err != nil {
		t.Skipf("settings does not parse $CMD= command-map pieces yet: %v", err)
	}
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Args: renameArgs()})
	var pieces []string
	for k, v := range renamed {
		pieces = append(pieces, "$"+k+"="+v)
	}
	conn := srv.ConnectionString() + ",defaultDatabase=1," + strings.Join(pieces, ",") + ",$FLUSHALL=,$NOSUCHCOMMAND=x"
	cfg, err := settings.NewConfig(map[string]any{"ConnectionStrings:cache": conn})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := New("cache", Deps{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	ctx := context.Background()
	if err := inst.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if v, err := inst.Client.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET = %q, %v", v, err)
	}
	if _, err := inst.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "tx", "1", 0)
		return nil
	}); err != nil {
		t.Fatalf("transaction: %v", err)
	}
	if err := inst.Client.FlushAll(ctx).Err(); !errors.Is(err, ErrCommandDisabled) {
		t.Fatalf("FLUSHALL: %v, want ErrCommandDisabled", err)
	}
}

// TestDisabledRefusedWithoutServer: every kind of client refuses a
// disabled command before it dials anything, so the addresses here need
// not exist.
func TestDisabledRefusedWithoutServer(t *testing.T) {
	for _, tc := range []struct{ name, conn, client string }{
		{"standalone", "127.0.0.1:1", "*redis.Client"},
		{"sentinel", "127.0.0.1:1,serviceName=mymaster", "*redis.Client"},
		{"several endpoints", "127.0.0.1:1,127.0.0.1:2", "*redis.ClusterClient"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst := withMap(t, tc.conn+",connectTimeout=100", map[string]string{"GET": "", "SET": ""}, Deps{})
			if got := fmt.Sprintf("%T", inst.Client); got != tc.client {
				t.Fatalf("client %s, want %s", got, tc.client)
			}
			ctx := context.Background()
			if err := inst.Client.Get(ctx, "k").Err(); !errors.Is(err, ErrCommandDisabled) {
				t.Errorf("GET: %v", err)
			}
			_, err := inst.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "k", "v", 0)
				return nil
			})
			if !errors.Is(err, ErrCommandDisabled) {
				t.Errorf("transaction: %v", err)
			}
		})
	}
}
