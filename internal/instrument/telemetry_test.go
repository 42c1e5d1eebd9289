package instrument

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/goleak"

	"github.com/aspirego/redis/internal/oteltest"
	"github.com/aspirego/redis/internal/untraced"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{}) // connection-refused tests would log dial failures
	goleak.VerifyTestMain(m)
}

// instrument instruments c with cfg and stops it at cleanup.
func instrument(t testing.TB, c redis.UniversalClient, cfg Config) func() error {
	t.Helper()
	stop, err := Instrument(c, cfg)
	if err != nil {
		t.Fatalf("Instrument: %v", err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return stop
}

func TestSpanAttributes(t *testing.T) {
	env := newEnv(t)
	mr, _ := newMini(t)
	opt := testOptions(mr.Addr())
	opt.DB = 3
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	instrument(t, c, configOf(env, "cache"))

	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Get(ctx, "k").Val(); got != "v" {
		t.Fatalf("GET = %q", got)
	}

	host, port := hostPort(t, mr.Addr())
	for _, name := range []string{"SET", "GET"} {
		s := spanNamed(t, env.Spans.GetSpans(), name)
		if s.SpanKind != trace.SpanKindClient {
			t.Errorf("%s: kind %v, want client", name, s.SpanKind)
		}
		if s.Status.Code != codes.Unset {
			t.Errorf("%s: status %v, want unset", name, s.Status)
		}
		want := map[string]any{
			"db.system.name":    "redis",
			"db.system":         "redis", // for the Aspire dashboard (Conventions)
			"db.operation.name": name,
			"db.namespace":      "3",
			"server.address":    host,
			"server.port":       int64(port),
		}
		got := attrMap(s.Attributes)
		if len(got) != len(want) {
			t.Errorf("%s: attributes %v, want %v", name, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v", name, k, got[k], v)
			}
		}
		if s.InstrumentationScope.Name != ScopeName {
			t.Errorf("%s: scope %q", name, s.InstrumentationScope.Name)
		}
	}
}

func TestSpanParent(t *testing.T) {
	env := newEnv(t)
	_, c := newMini(t)
	instrument(t, c, configOf(env, "cache"))

	ctx, parent := env.TP.Tracer("test").Start(context.Background(), "parent")
	_ = c.Get(ctx, "missing").Err()
	parent.End()

	get := spanNamed(t, env.Spans.GetSpans(), "GET")
	if get.Parent.SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("GET parent = %v, want %v", get.Parent.SpanID(), parent.SpanContext().SpanID())
	}
}

// hungServer accepts connections and never answers.
func hungServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
			close(done)
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String()
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(t *testing.T) *redis.Options
		run        func(ctx context.Context, c *redis.Client) error
		span       string
		wantType   string // "" = not an error
		wantStatus string // db.response.status_code
	}{
		{
			name:     "nil is not an error",
			setup:    func(t *testing.T) *redis.Options { mr, _ := newMini(t); return testOptions(mr.Addr()) },
			run:      func(ctx context.Context, c *redis.Client) error { return c.Get(ctx, "missing").Err() },
			span:     "GET",
			wantType: "",
		},
		{
			name: "server error",
			setup: func(t *testing.T) *redis.Options {
				mr, _ := newMini(t)
				_ = mr.Set("s", "x")
				return testOptions(mr.Addr())
			},
			run: func(ctx context.Context, c *redis.Client) error {
				return c.LPush(ctx, "s", "v").Err()
			},
			span:       "LPUSH",
			wantType:   "WRONGTYPE",
			wantStatus: "WRONGTYPE",
		},
		{
			name:  "ERR reply",
			setup: func(t *testing.T) *redis.Options { mr, _ := newMini(t); return testOptions(mr.Addr()) },
			run: func(ctx context.Context, c *redis.Client) error {
				return c.Do(ctx, "nosuchcommand").Err()
			},
			span:       "NOSUCHCOMMAND",
			wantType:   "ERR",
			wantStatus: "ERR",
		},
		{
			name: "connection refused",
			setup: func(t *testing.T) *redis.Options {
				o := testOptions(closedAddr(t))
				o.MaxRetries = -1
				return o
			},
			run:      func(ctx context.Context, c *redis.Client) error { return c.Get(ctx, "k").Err() },
			span:     "GET",
			wantType: "*net.OpError",
		},
		{
			name: "read timeout",
			setup: func(t *testing.T) *redis.Options {
				o := testOptions(hungServer(t))
				o.MaxRetries = -1
				o.ReadTimeout = 50 * time.Millisecond
				o.Protocol = 2 // no HELLO: the GET itself times out
				return o
			},
			run:      func(ctx context.Context, c *redis.Client) error { return c.Get(ctx, "k").Err() },
			span:     "GET",
			wantType: "timeout",
		},
		{
			name: "canceled context",
			setup: func(t *testing.T) *redis.Options {
				mr, _ := newMini(t)
				return testOptions(mr.Addr())
			},
			run: func(ctx context.Context, c *redis.Client) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return c.Get(ctx, "k").Err()
			},
			span:     "GET",
			wantType: "context.Canceled",
		},
		{
			name: "closed client",
			setup: func(t *testing.T) *redis.Options {
				mr, _ := newMini(t)
				return testOptions(mr.Addr())
			},
			run: func(ctx context.Context, c *redis.Client) error {
				_ = c.Close()
				return c.Get(ctx, "k").Err()
			},
			span:     "GET",
			wantType: "redis.ErrClosed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			c := redis.NewClient(tt.setup(t))
			t.Cleanup(func() { _ = c.Close() })
			instrument(t, c, configOf(env, "cache"))

			err := tt.run(context.Background(), c)
			if tt.wantType == "" && err != nil && err != redis.Nil {
				t.Fatalf("unexpected error %v", err)
			}
			s := spanNamed(t, env.Spans.GetSpans(), tt.span)
			got := attrMap(s.Attributes)
			if tt.wantType == "" {
				if s.Status.Code != codes.Unset {
					t.Errorf("status %v, want unset", s.Status)
				}
				if _, ok := got["error.type"]; ok {
					t.Errorf("error.type = %v on a success", got["error.type"])
				}
			} else {
				if s.Status.Code != codes.Error || s.Status.Description == "" {
					t.Errorf("status %v, want error with description", s.Status)
				}
				if got["error.type"] != tt.wantType {
					t.Errorf("error.type = %v, want %q (err %v)", got["error.type"], tt.wantType, err)
				}
			}
			if st, ok := got["db.response.status_code"]; tt.wantStatus == "" && ok || tt.wantStatus != "" && st != tt.wantStatus {
				t.Errorf("db.response.status_code = %v, want %q", st, tt.wantStatus)
			}

			// The metric carries the same outcome.
			m := env.Metrics(t)["db.client.operation.duration"]
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok {
				t.Fatalf("duration data %T", m.Data)
			}
			found := false
			for _, dp := range h.DataPoints {
				op, _ := dp.Attributes.Value("db.operation.name")
				if op.AsString() != tt.span {
					continue
				}
				found = true
				et, has := dp.Attributes.Value("error.type")
				if tt.wantType == "" && has || tt.wantType != "" && et.AsString() != tt.wantType {
					t.Errorf("metric error.type = %v (present %v), want %q", et.AsString(), has, tt.wantType)
				}
			}
			if !found {
				t.Errorf("no duration data point for %s", tt.span)
			}
		})
	}
}

func TestClassifyError(t *testing.T) {
	tests := []struct {
		err        error
		typ, state string
	}{
		{redisErr("WRONGTYPE Operation against a key"), "WRONGTYPE", "WRONGTYPE"},
		{redisErr("MOVED 3999 127.0.0.1:6381"), "MOVED", "MOVED"},
		{redisErr("ERR"), "ERR", "ERR"},
		{redisErr("lower case message"), errOther, ""},
		{redisErr("THISPREFIXISWAYTOOLONGTOBEAREALREDISPREFIX x"), errOther, ""},
		{context.Canceled, "context.Canceled", ""},
		{errors.Join(errors.New("wrapped"), context.DeadlineExceeded), "context.DeadlineExceeded", ""},
		{redis.ErrPoolTimeout, "redis.ErrPoolTimeout", ""},
		{&net.DNSError{Err: "no such host", Name: "x"}, "*net.DNSError", ""},
		{&net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}, "timeout", ""},
	}
	for _, tt := range tests {
		typ, st := classifyError(tt.err)
		if typ != tt.typ || st != tt.state {
			t.Errorf("classifyError(%v) = %q, %q; want %q, %q", tt.err, typ, st, tt.typ, tt.state)
		}
	}
}

// redisErr makes a go-redis error reply.
type redisErr string

func (e redisErr) Error() string { return string(e) }
func (redisErr) RedisError()     {}

func TestDurationMetric(t *testing.T) {
	env := newEnv(t)
	mr, c := newMini(t)
	instrument(t, c, Config{Name: "cache", MeterProvider: env.MP, DisableTracing: true})
	ctx := context.Background()
	for range 3 {
		_ = c.Get(ctx, "k").Err()
	}

	m, ok := env.Metrics(t)["db.client.operation.duration"]
	if !ok {
		t.Fatal("no db.client.operation.duration")
	}
	if m.Unit != "s" {
		t.Errorf("unit %q, want s", m.Unit)
	}
	h := m.Data.(metricdata.Histogram[float64])
	host, port := hostPort(t, mr.Addr())
	want := attribute.NewSet(
		attribute.String("db.system.name", "redis"),
		attribute.String("db.operation.name", "GET"),
		attribute.String("db.namespace", "0"),
		attribute.String("server.address", host),
		attribute.Int("server.port", port),
	)
	var got *metricdata.HistogramDataPoint[float64]
	for i, dp := range h.DataPoints {
		if dp.Attributes.Equals(&want) {
			got = &h.DataPoints[i]
		}
	}
	if got == nil {
		t.Fatalf("no data point with %v in %+v", want.ToSlice(), h.DataPoints)
	}
	if got.Count != 3 {
		t.Errorf("count %d, want 3", got.Count)
	}
	wantBounds := []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}
	if len(got.Bounds) != len(wantBounds) {
		t.Fatalf("bounds %v, want %v", got.Bounds, wantBounds)
	}
	for i := range wantBounds {
		if got.Bounds[i] != wantBounds[i] {
			t.Errorf("bounds %v, want %v", got.Bounds, wantBounds)
			break
		}
	}
	if len(env.Spans.GetSpans()) != 0 {
		t.Errorf("tracing disabled but %d spans", len(env.Spans.GetSpans()))
	}
}

func TestPipelines(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		run       func(c *redis.Client) error
		span      string
		batchSize int // -1 = attribute absent
		failed    bool
	}{
		{"uniform pipeline", func(c *redis.Client) error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Incr(ctx, "a"); p.Incr(ctx, "b"); return nil })
			return err
		}, "PIPELINE INCR", 2, false},
		{"mixed pipeline", func(c *redis.Client) error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "a", 1, 0); p.Get(ctx, "a"); p.Incr(ctx, "n"); return nil })
			return err
		}, "PIPELINE", 3, false},
		{"pipeline of one", func(c *redis.Client) error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Incr(ctx, "n"); return nil })
			return err
		}, "INCR", -1, false},
		{"transaction", func(c *redis.Client) error {
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "a", 1, 0); p.Incr(ctx, "n"); return nil })
			return err
		}, "MULTI", 2, false},
		{"uniform transaction", func(c *redis.Client) error {
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "a", 1, 0); p.Set(ctx, "b", 2, 0); return nil })
			return err
		}, "MULTI SET", 2, false},
		{"failing command in a pipeline", func(c *redis.Client) error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "s", "x", 0); p.LPush(ctx, "s", "v"); return nil })
			return err
		}, "PIPELINE", 2, true},
		{"failure after a nil in a pipeline", func(c *redis.Client) error {
			// go-redis returns the first error, redis.Nil; the batch failed all the same.
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Get(ctx, "missing")
				p.Set(ctx, "s", "x", 0)
				p.LPush(ctx, "s", "v")
				return nil
			})
			return err
		}, "PIPELINE", 3, true},
		{"nil in a pipeline is no failure", func(c *redis.Client) error {
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, "missing1"); p.Get(ctx, "missing2"); return nil })
			if err == redis.Nil {
				err = nil
			}
			return err
		}, "PIPELINE GET", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			_, c := newMini(t)
			instrument(t, c, configOf(env, "cache"))
			err := tt.run(c)
			if (err != nil) != tt.failed {
				t.Fatalf("err = %v", err)
			}
			spans := env.Spans.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("want 1 span, got %d", len(spans))
			}
			s := spanNamed(t, spans, tt.span)
			got := attrMap(s.Attributes)
			if got["db.operation.name"] != tt.span {
				t.Errorf("db.operation.name = %v", got["db.operation.name"])
			}
			bs, ok := got["db.operation.batch.size"]
			if tt.batchSize < 0 && ok || tt.batchSize >= 0 && bs != int64(tt.batchSize) {
				t.Errorf("db.operation.batch.size = %v (present %v), want %d", bs, ok, tt.batchSize)
			}
			if tt.failed != (s.Status.Code == codes.Error) {
				t.Errorf("status %v, failed = %v", s.Status, tt.failed)
			}
			if tt.failed && got["error.type"] != "WRONGTYPE" {
				t.Errorf("error.type = %v", got["error.type"])
			}
		})
	}
}

func TestDisabled(t *testing.T) {
	t.Run("both", func(t *testing.T) {
		env := newEnv(t)
		_, c := newMini(t)
		cfg := configOf(env, "cache")
		cfg.DisableTracing, cfg.DisableMetrics = true, true
		instrument(t, c, cfg)
		_ = c.Get(context.Background(), "k").Err()
		if n := len(env.Spans.GetSpans()); n != 0 {
			t.Errorf("%d spans", n)
		}
		if m := env.Metrics(t); len(m) != 0 {
			t.Errorf("metrics %v", m)
		}
	})
	t.Run("tracing only", func(t *testing.T) {
		env := newEnv(t)
		_, c := newMini(t)
		cfg := configOf(env, "cache")
		cfg.DisableMetrics = true
		instrument(t, c, cfg)
		_ = c.Get(context.Background(), "k").Err()
		if n := len(env.Spans.GetSpans()); n != 1 {
			t.Errorf("%d spans, want 1", n)
		}
		if m := env.Metrics(t); len(m) != 0 {
			t.Errorf("metrics disabled, got %d instruments", len(m))
		}
	})
	t.Run("noop providers", func(t *testing.T) {
		_, c := newMini(t)
		instrument(t, c, Config{TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider()})
		if err := c.Set(context.Background(), "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestNoHookAllocations asserts that, stopped before the network, a
// command costs no allocation more than on a raw client when telemetry is
// disabled, when only metrics are on, and when no SDK is installed.
func TestNoHookAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	env := newEnv(t)
	allocs := func(cfg *Config) float64 { return plainGetAllocs(t, cfg) }
	raw := allocs(nil)
	for name, cfg := range map[string]Config{
		"disabled":     {DisableTracing: true, DisableMetrics: true},
		"metrics only": {MeterProvider: env.MP, DisableTracing: true},
		"noop":         {TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider()},
		// This process never installs an SDK globally (TestGlobalProviders
		// does so in a child process).
		"no sdk installed": {},
	} {
		if got := allocs(&cfg); got != raw {
			t.Errorf("%s: %v allocs per command, raw go-redis %v", name, got, raw)
		}
	}
	// Tracing pays for the SDK's span; our part must stay small.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discard{}))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	cfg := Config{TracerProvider: tp, MeterProvider: env.MP}
	if got := allocs(&cfg); got-raw > 6 {
		t.Errorf("tracing+metrics: %v extra allocs per command, want <= 6", got-raw)
	}
}

// plainGetAllocs returns the allocations of one GET, stopped before the
// network, on a client instrumented with cfg (nil: not instrumented).
func plainGetAllocs(t *testing.T, cfg *Config) float64 {
	t.Helper()
	if cfg == nil {
		return oteltest.StoppedGetAllocs(t, nil)
	}
	return oteltest.StoppedGetAllocs(t, func(c *redis.Client) (func() error, error) { return Instrument(c, *cfg) })
}

func TestUntraced(t *testing.T) {
	env := newEnv(t)
	_, c := newMini(t)
	instrument(t, c, configOf(env, "cache"))
	ctx := untraced.Context(context.Background())
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); p.Ping(ctx); return nil }); err != nil {
		t.Fatal(err)
	}
	if n := len(env.Spans.GetSpans()); n != 0 {
		t.Errorf("%d spans for untraced commands", n)
	}
	if m, ok := env.Metrics(t)["db.client.operation.duration"]; ok {
		if h := m.Data.(metricdata.Histogram[float64]); len(h.DataPoints) != 0 {
			t.Errorf("duration recorded for untraced commands: %+v", h.DataPoints)
		}
	}
}

func TestQueryText(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		args []any
		want string
	}{
		{[]any{"get", "user:1"}, "GET user:1"},
		{[]any{"set", "user:1", "secret", "ex", 10}, "SET user:1 ? ? ?"},
		{[]any{"hset", "h", "f1", "v1", "f2", "v2"}, "HSET h ? ? ? ?"},
		{[]any{"auth", "hunter2"}, "AUTH"},
		{[]any{"auth", "user", "hunter2"}, "AUTH"},
		{[]any{"hello", "3", "auth", "user", "hunter2", "setname", "x"}, "HELLO"},
		{[]any{"migrate", "h", "6379", "", "0", "5000", "auth", "hunter2", "keys", "a"}, "MIGRATE"},
		{[]any{"config", "set", "requirepass", "hunter2"}, "CONFIG set ? ?"},
		{[]any{"echo", "hunter2"}, "ECHO ?"},
		{[]any{"eval", "return 1", "1", "k"}, "EVAL ? ? ?"},
		{[]any{"ping"}, "PING"},
		{[]any{"incrby", []byte("n"), 5}, "INCRBY n ?"},
		{[]any{"get", strings.Repeat("k", 200)}, "GET " + strings.Repeat("k", maxQueryKeyLen) + "..."},
	}
	for _, tt := range tests {
		if got := queryText(redis.NewCmd(ctx, tt.args...)); got != tt.want {
			t.Errorf("queryText(%v) = %q, want %q", tt.args, got, tt.want)
		}
	}
	many := make([]any, 0, 50)
	many = append(many, "del")
	for i := range 49 {
		many = append(many, "k"+strconv.Itoa(i))
	}
	if got := queryText(redis.NewCmd(ctx, many...)); !strings.HasSuffix(got, " ...") || strings.Count(got, "?") != maxQueryArgs {
		t.Errorf("long command: %q", got)
	}
	cmds := []redis.Cmder{redis.NewCmd(ctx, "get", "a"), redis.NewCmd(ctx, "set", "b", "v")}
	if got := batchQueryText(cmds); got != "GET a; SET b ?" {
		t.Errorf("batch = %q", got)
	}
}

// TestQueryTextNeverRecordsPasswords runs the connection handshake
// against a password-protected server with query text on and looks for the
// password in every span and metric attribute.
func TestQueryTextNeverRecordsPasswords(t *testing.T) {
	const password = "hunter2-very-secret"
	env := newEnv(t)
	mr, _ := newMini(t)
	mr.RequireUserAuth("alice", password)
	for _, proto := range []int{2, 3} {
		opt := testOptions(mr.Addr())
		opt.Username, opt.Password, opt.Protocol = "alice", password, proto
		c := redis.NewClient(opt)
		cfg := configOf(env, "cache")
		cfg.QueryText, cfg.ConnectionSetup = true, true
		instrument(t, c, cfg)
		ctx := context.Background()
		if err := c.Set(ctx, "k", password, 0).Err(); err != nil {
			t.Fatal(err)
		}
		_ = c.Do(ctx, "auth", "alice", password).Err()
		_ = c.Close()
	}
	spans := env.Spans.GetSpans()
	sawHandshake := false
	for _, s := range spans {
		if s.Name == "HELLO" || s.Name == "AUTH" {
			sawHandshake = true
		}
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.String(), password) {
				t.Errorf("span %s attribute %s = %q contains the password", s.Name, kv.Key, kv.Value.String())
			}
		}
		if strings.Contains(s.Status.Description, password) {
			t.Errorf("span %s status contains the password", s.Name)
		}
	}
	if !sawHandshake {
		t.Errorf("no HELLO/AUTH span among %d spans", len(spans))
	}
	for _, s := range spans {
		if s.Name == "SET" {
			if got := attrMap(s.Attributes)["db.query.text"]; got != "SET k ?" {
				t.Errorf("SET db.query.text = %v", got)
			}
		}
	}
	for _, m := range env.Metrics(t) {
		if strings.Contains(m.Name, password) {
			t.Errorf("metric %s", m.Name)
		}
	}
}

func TestPoolMetrics(t *testing.T) {
	env := newEnv(t)
	mr, _ := newMini(t)
	opt := testOptions(mr.Addr())
	opt.PoolSize, opt.MaxIdleConns, opt.MinIdleConns = 7, 5, 0
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	stop := instrument(t, c, Config{Name: "cache", MeterProvider: env.MP, DisableTracing: true})
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}

	m := env.Metrics(t)
	pool := attribute.String("db.client.connection.pool.name", "cache")
	gauge := func(name string, extra ...attribute.KeyValue) (int64, bool) {
		t.Helper()
		mm, ok := m[name]
		if !ok {
			t.Errorf("missing metric %s", name)
			return 0, false
		}
		want := attribute.NewSet(append([]attribute.KeyValue{pool}, extra...)...)
		switch d := mm.Data.(type) {
		case metricdata.Sum[int64]:
			for _, dp := range d.DataPoints {
				if dp.Attributes.Equals(&want) {
					return dp.Value, true
				}
			}
		case metricdata.Sum[float64]:
			for _, dp := range d.DataPoints {
				if dp.Attributes.Equals(&want) {
					return int64(dp.Value), true
				}
			}
		}
		t.Errorf("%s: no data point with %v in %+v", name, want.ToSlice(), mm.Data)
		return 0, false
	}
	if v, _ := gauge("db.client.connection.count", attribute.String("db.client.connection.state", "idle")); v != 1 {
		t.Errorf("idle connections %d, want 1", v)
	}
	if v, _ := gauge("db.client.connection.count", attribute.String("db.client.connection.state", "used")); v != 0 {
		t.Errorf("used connections %d, want 0", v)
	}
	if v, _ := gauge("db.client.connection.max"); v != int64(7+redis.DefaultPipelinePoolSize) {
		t.Errorf("max %d", v)
	}
	if v, _ := gauge("db.client.connection.idle.max"); v != 5 {
		t.Errorf("idle.max %d", v)
	}
	gauge("db.client.connection.idle.min")
	gauge("db.client.connection.pending_requests")
	gauge("db.client.connection.timeouts")
	gauge(metricWaitTime)
	gauge(metricWaits)
	if m["db.client.connection.timeouts"].Data.(metricdata.Sum[int64]).IsMonotonic != true {
		t.Errorf("timeouts is not a counter")
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	_ = c.Get(context.Background(), "k").Err()
	after := env.Metrics(t)
	for _, name := range []string{"db.client.connection.count", "db.client.connection.max", "db.client.connection.timeouts"} {
		if mm, ok := after[name]; ok {
			if d, ok := mm.Data.(metricdata.Sum[int64]); ok && len(d.DataPoints) > 0 {
				t.Errorf("%s still reported after stop: %+v", name, d.DataPoints)
			}
		}
	}
}

func TestInstrumentErrors(t *testing.T) {
	if _, err := Instrument(nil, Config{Name: "x"}); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("nil client: %v", err)
	}
	mr, c := newMini(t)
	_ = mr
	ap, err := c.AutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ap.Close() })
	_, err = Instrument(ap, Config{Name: "x"})
	if !errors.Is(err, ErrUnsupportedClient) {
		t.Errorf("autopipeliner: %v, want ErrUnsupportedClient", err)
	}
}

// TestGlobalProviders checks, in a fresh process (the otel globals can be
// set only once), that a client instrumented before the SDK is installed
// starts tracing and measuring once it is.
func TestGlobalProviders(t *testing.T) {
	if os.Getenv("TELEMETRY_GLOBAL_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGlobalProviders$", "-test.v")
		cmd.Env = append(os.Environ(), "TELEMETRY_GLOBAL_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestGlobalProviders") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	_, c := newMini(t)
	instrument(t, c, Config{Name: "cache"})
	ctx := context.Background()
	_ = c.Get(ctx, "before").Err()

	env := newEnv(t)
	otel.SetTracerProvider(env.TP)
	otel.SetMeterProvider(env.MP)
	_ = c.Get(ctx, "after").Err()

	if n := len(env.Spans.GetSpans()); n != 1 {
		t.Errorf("%d spans, want 1 (only the command after SetTracerProvider)", n)
	}
	h := env.Metrics(t)["db.client.operation.duration"].Data.(metricdata.Histogram[float64])
	var n uint64
	for _, dp := range h.DataPoints {
		n += dp.Count
	}
	if n != 1 {
		t.Errorf("%d durations, want 1", n)
	}
	if _, ok := env.Metrics(t)["db.client.connection.count"]; !ok {
		t.Error("pool metrics registered on the global provider are not delegated")
	}
}

func TestNeverSample(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans), sdktrace.WithSampler(sdktrace.NeverSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	_, c := newMini(t)
	instrument(t, c, Config{TracerProvider: tp, QueryText: true, DisableMetrics: true})
	_ = c.Get(context.Background(), "k").Err()
	if n := len(spans.GetSpans()); n != 0 {
		t.Errorf("%d spans", n)
	}
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func TestRing(t *testing.T) {
	env := newEnv(t)
	mr1, _ := newMini(t)
	mr2, _ := newMini(t)
	r := redis.NewRing(&redis.RingOptions{
		Addrs:           map[string]string{"a": mr1.Addr(), "b": mr2.Addr()},
		DisableIdentity: true,
	})
	t.Cleanup(func() { _ = r.Close() })
	instrument(t, r, configOf(env, "ring"))
	ctx := context.Background()
	for i := range 8 {
		if err := r.Set(ctx, "k"+strconv.Itoa(i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	spans := env.Spans.GetSpans()
	if len(spans) != 8 {
		t.Fatalf("%d spans for 8 SETs", len(spans))
	}
	_, p1 := hostPort(t, mr1.Addr())
	_, p2 := hostPort(t, mr2.Addr())
	for i, s := range spans {
		key := "k" + strconv.Itoa(i)
		want := p2
		if mr1.Exists(key) {
			want = p1
		}
		if got := attrMap(s.Attributes)["server.port"]; got != int64(want) {
			t.Errorf("SET %s reported port %v, want %d", key, got, want)
		}
	}
}

func TestConnectionSetup(t *testing.T) {
	for _, record := range []bool{false, true} {
		env := newEnv(t)
		mr, _ := newMini(t)
		opt := testOptions(mr.Addr())
		opt.ClientName, opt.DB = "app", 1
		c := redis.NewClient(opt)
		t.Cleanup(func() { _ = c.Close() })
		cfg := configOf(env, "cache")
		cfg.ConnectionSetup = record
		instrument(t, c, cfg)
		if err := c.Get(context.Background(), "k").Err(); err != redis.Nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range env.Spans.GetSpans() {
			names = append(names, s.Name)
		}
		want := []string{"GET"}
		if record {
			want = []string{"HELLO", "PIPELINE", "GET"} // HELLO, then SELECT + CLIENT SETNAME
		}
		if strings.Join(names, ",") != strings.Join(want, ",") {
			t.Errorf("ConnectionSetup=%v: spans %q, want %q", record, names, want)
		}
	}
}

// hookCount returns how many hooks c has, read from go-redis internals
// (there is no API for it); it skips the test when they changed shape.
func hookCount(t *testing.T, c *redis.Client) int {
	t.Helper()
	skip := func() int { t.Skip("go-redis internals changed: cannot count hooks"); return 0 }
	base := reflect.ValueOf(c).Elem().FieldByName("baseClient")
	if !base.IsValid() || base.Kind() != reflect.Pointer {
		return skip()
	}
	state := base.Elem().FieldByName("hooksMixin").FieldByName("state")
	if !state.IsValid() || state.Kind() != reflect.Pointer || state.IsNil() {
		return skip()
	}
	ptrType := state.Type().Elem() // atomic.Pointer[hooksState]
	vField, ok := ptrType.FieldByName("v")
	if !ok || ptrType.NumField() == 0 || ptrType.Field(0).Type.Kind() != reflect.Array {
		return skip()
	}
	stateType := ptrType.Field(0).Type.Elem().Elem() // hooksState
	sp := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(state.Pointer()), vField.Offset))
	slice := reflect.NewAt(stateType, sp).Elem().FieldByName("slice")
	if !slice.IsValid() || slice.Kind() != reflect.Slice {
		return skip()
	}
	return slice.Len()
}

func TestHooksInstalled(t *testing.T) {
	env := newEnv(t)
	tests := []struct {
		name string
		cfg  Config
		want int
	}{
		{"disabled", Config{DisableTracing: true, DisableMetrics: true}, 0},
		{"noop providers", Config{TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider()}, 0},
		{"tracing and metrics", configOf(env, "x"), 1},
		{"metrics only", Config{MeterProvider: env.MP, DisableTracing: true}, 1},
	}
	for _, tt := range tests {
		c := redis.NewClient(testOptions("127.0.0.1:1"))
		t.Cleanup(func() { _ = c.Close() })
		instrument(t, c, tt.cfg)
		if got := hookCount(t, c); got != tt.want {
			t.Errorf("%s: %d hooks, want %d", tt.name, got, tt.want)
		}
	}
}

// TestClusterPoolMetricsDoNotConnect checks that collecting the pool
// metrics of a cluster client that has not run a command yet does not
// make it load the cluster state (ClusterClient.PoolStats would).
func TestClusterPoolMetricsDoNotConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })

	env := newEnv(t)
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{ln.Addr().String()}, DisableIdentity: true})
	t.Cleanup(func() { _ = c.Close() })
	instrument(t, c, Config{Name: "cluster", MeterProvider: env.MP, DisableTracing: true})
	m := env.Metrics(t)
	if _, ok := m["db.client.connection.count"]; !ok {
		t.Error("no db.client.connection.count")
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("collecting metrics opened %d connections", n)
	}
}
