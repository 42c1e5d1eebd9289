package rediscache

import (
	"context"
	"errors"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestBlockTimeout(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		cmd       redis.Cmder
		want      time.Duration
		wantBlock bool
	}{
		{"GET", redis.NewStringCmd(ctx, "get", "k"), 0, false},
		{"BITCOUNT (starts with b)", redis.NewIntCmd(ctx, "bitcount", "k"), 0, false},
		{"BLPOP 2s", redis.NewStringSliceCmd(ctx, "blpop", "a", "b", int64(2)), 2 * time.Second, true},
		{"BLPOP upper case, string", redis.NewStringSliceCmd(ctx, "BLPOP", "a", "1.5"), 1500 * time.Millisecond, true},
		{"BLPOP 0: no limit", redis.NewStringSliceCmd(ctx, "blpop", "a", int64(0)), 0, true},
		{"BRPOP unreadable", redis.NewStringSliceCmd(ctx, "brpop", "a", "soon"), 0, true},
		{"BZPOPMIN", redis.NewZWithKeyCmd(ctx, "bzpopmin", "z", 3), 3 * time.Second, true},
		{"BLMOVE", redis.NewStringCmd(ctx, "blmove", "a", "b", "left", "right", int64(1)), time.Second, true},
		{"BRPOPLPUSH", redis.NewStringCmd(ctx, "brpoplpush", "a", "b", int64(4)), 4 * time.Second, true},
		{"BLMPOP", redis.NewKeyValuesCmd(ctx, "blmpop", int64(2), 1, "a", "left"), 2 * time.Second, true},
		{"WAIT", redis.NewIntCmd(ctx, "wait", 1, 250), 250 * time.Millisecond, true},
		{"WAITAOF", redis.NewIntCmd(ctx, "waitaof", 1, 0, 100), 100 * time.Millisecond, true},
		{"XREAD BLOCK", redis.NewXStreamSliceCmd(ctx, "xread", "count", 1, "block", int64(700), "streams", "s", "$"), 700 * time.Millisecond, true},
		{"XREADGROUP BLOCK 0", redis.NewXStreamSliceCmd(ctx, "xreadgroup", "group", "g", "c", "BLOCK", int64(0), "streams", "s", ">"), 0, true},
		{"XREAD without BLOCK", redis.NewXStreamSliceCmd(ctx, "xread", "streams", "s", "0"), 0, false},
		{"XREAD of a stream named block", redis.NewXStreamSliceCmd(ctx, "xread", "streams", "block", "0"), 0, false},
		{"XREAD of streams named block and 500", redis.NewXStreamSliceCmd(ctx, "xread", "count", 1, "STREAMS", "block", "500", "0", "0"), 0, false},
		{"XREADGROUP, group and consumer named block", redis.NewXStreamSliceCmd(ctx, "xreadgroup", "group", "block", "block", "streams", "s", ">"), 0, false},
		{"XREADGROUP, consumer named block, with BLOCK", redis.NewXStreamSliceCmd(ctx, "xreadgroup", "group", "g", "block", "BLOCK", "300", "streams", "s", ">"), 300 * time.Millisecond, true},
		{"XREAD BLOCK as bytes", redis.NewXStreamSliceCmd(ctx, "xread", []byte("BLOCK"), []byte("250"), "streams", "s", "$"), 250 * time.Millisecond, true},
		{"XREAD BLOCK without a value", redis.NewXStreamSliceCmd(ctx, "xread", "block"), 0, true},
		{"name as bytes", redis.NewCmd(ctx, []byte("BLPOP"), "a", 2), 2 * time.Second, true},
		{"huge timeout saturates", redis.NewStringSliceCmd(ctx, "blpop", "a", 1e300), math.MaxInt64, true},
		{"negative: no limit", redis.NewStringSliceCmd(ctx, "blpop", "a", -1), 0, true},
		{"bytes", redis.NewStringSliceCmd(ctx, "blpop", "a", []byte("2")), 2 * time.Second, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, block := blockTimeout(tt.cmd)
			if got != tt.want || block != tt.wantBlock {
				t.Errorf("blockTimeout(%v) = %v, %v; want %v, %v", tt.cmd.Args(), got, block, tt.want, tt.wantBlock)
			}
		})
	}
}

func TestSaturatingArithmetic(t *testing.T) {
	const maxD = time.Duration(math.MaxInt64)
	for _, tt := range []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		{"satMul ordinary", satMul(5*time.Second, 3), 15 * time.Second},
		{"satMul connectRetry=2147483647", satMul(5*time.Second, math.MaxInt32), maxD},
		{"satMul connectTimeout=2147483647,connectRetry=5000", satMul(math.MaxInt32*time.Millisecond, 5000), maxD},
		{"satMul dial_timeout=1000000h", satMul(1000000*time.Hour, 3), maxD},
		{"satMul zero", satMul(0, 3), 0},
		{"satAdd ordinary", satAdd(time.Second, time.Second), 2 * time.Second},
		{"satAdd overflow", satAdd(maxD-1, 2), maxD},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestConnectBudgetNeverWraps(t *testing.T) {
	for _, o := range []*redis.UniversalOptions{
		{DialTimeout: 5 * time.Second, DialerRetries: math.MaxInt32},
		{DialTimeout: math.MaxInt32 * time.Millisecond, DialerRetries: 5000},
		{DialTimeout: 1000000 * time.Hour, DialerRetries: 3},
		{DialTimeout: math.MaxInt64, DialerRetries: math.MaxInt},
	} {
		c := redis.NewUniversalClient(o)
		if b := connectBudget(c); b < o.DialTimeout {
			t.Errorf("connectBudget(DialTimeout=%v, DialerRetries=%d) = %v, less than one dial", o.DialTimeout, o.DialerRetries, b)
		}
		_ = c.Close()
	}
}

// TestConnectBudgetFromGoRedis: the start-up budget is the dial timeout
// times the dial attempts that go-redis resolves, its defaults in place of
// zero, for a standalone client and for the nodes of a cluster client; no
// copy of go-redis's defaults.
func TestConnectBudgetFromGoRedis(t *testing.T) {
	def := redis.NewClient(&redis.Options{})
	defer def.Close()
	defDial, defAttempts := def.Options().DialTimeout, def.Options().DialerRetries
	for _, tt := range []struct {
		name string
		opts redis.UniversalOptions
		want time.Duration
	}{
		{"standalone, go-redis's defaults", redis.UniversalOptions{Addrs: []string{"127.0.0.1:1"}}, defDial * time.Duration(defAttempts)},
		{"cluster, go-redis's defaults", redis.UniversalOptions{Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}}, defDial * time.Duration(defAttempts)},
		{"standalone, set", redis.UniversalOptions{Addrs: []string{"127.0.0.1:1"}, DialTimeout: time.Second, DialerRetries: 3}, 3 * time.Second},
		{"cluster, set", redis.UniversalOptions{Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}, DialTimeout: time.Second, DialerRetries: 2}, 2 * time.Second},
		{"cluster, attempts below one", redis.UniversalOptions{Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}, DialTimeout: time.Second, DialerRetries: -1}, time.Second * time.Duration(defAttempts)},
		{"no dial timeout", redis.UniversalOptions{Addrs: []string{"127.0.0.1:1"}, DialTimeout: -1}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := redis.NewUniversalClient(&tt.opts)
			defer c.Close()
			if got := connectBudget(c); got != tt.want {
				t.Errorf("connectBudget = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCommandTimeout(t *testing.T) {
	def := redis.NewClient(&redis.Options{})
	defer def.Close()
	goRedisDefault := def.Options().ReadTimeout // resolved by go-redis
	for _, tt := range []struct {
		read, write, want time.Duration
	}{
		{5 * time.Second, 5 * time.Second, 5 * time.Second},
		{time.Second, 2 * time.Second, 2 * time.Second},
		{0, 0, goRedisDefault},
		{time.Second, 0, time.Second}, // WriteTimeout follows ReadTimeout
		{-1, 5 * time.Second, 0},
		{5 * time.Second, -2, 0},
		{-2, 0, 0},
	} {
		c := redis.NewClient(&redis.Options{ReadTimeout: tt.read, WriteTimeout: tt.write})
		if got := commandTimeout(c); got != tt.want {
			t.Errorf("commandTimeout(client with read %v, write %v) = %v, want %v", tt.read, tt.write, got, tt.want)
		}
		_ = c.Close()
		cc := redis.NewClusterClient(&redis.ClusterOptions{ReadTimeout: tt.read, WriteTimeout: tt.write})
		if got := commandTimeout(cc); got != tt.want {
			t.Errorf("commandTimeout(cluster client with read %v, write %v) = %v, want %v", tt.read, tt.write, got, tt.want)
		}
		_ = cc.Close()
	}
	if goRedisDefault <= 0 {
		t.Errorf("go-redis resolved ReadTimeout 0 to %v", goRedisDefault)
	}
}

func TestCommandTimeoutError(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}
	var err error = &CommandTimeoutError{Name: "cache", Command: "SET", Limit: 500 * time.Millisecond, Dial: dial, Err: context.DeadlineExceeded}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("errors.Is(err, context.DeadlineExceeded) = false")
	}
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Error("the error does not report Timeout() true")
	}
	for _, want := range []string{`client "cache"`, "SET", "500ms", "syncTimeout", "timeout", "dial tcp"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not contain %q", err, want)
		}
	}
}

// BenchmarkDeadlineHook measures what the command-timeout hook adds to one
// command on the normal path, without the network: the hook around a
// next that returns at once, against that next alone.
func BenchmarkDeadlineHook(b *testing.B) {
	ctx := context.Background()
	next := func(context.Context, redis.Cmder) error { return nil }
	cmd := redis.NewStringCmd(ctx, "get", "k")
	b.Run("without", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = next(ctx, cmd)
		}
	})
	b.Run("with", func(b *testing.B) {
		h := (&deadlineHook{name: "cache", timeout: 5 * time.Second}).ProcessHook(next)
		b.ReportAllocs()
		for b.Loop() {
			_ = h(ctx, cmd)
		}
	})
}

// BenchmarkDeadlineHookCancelable is BenchmarkDeadlineHook under a
// context that can be cancelled, as an HTTP request's: the hook then
// needs a context.WithTimeout of its own.
func BenchmarkDeadlineHookCancelable(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	next := func(context.Context, redis.Cmder) error { return nil }
	cmd := redis.NewStringCmd(ctx, "get", "k")
	h := (&deadlineHook{name: "cache", timeout: 5 * time.Second}).ProcessHook(next)
	b.ReportAllocs()
	for b.Loop() {
		_ = h(ctx, cmd)
	}
}

// TestBound: a command under a context without deadline gets a context
// with the command timeout: it keeps the parent's values, and it ends with
// context.DeadlineExceeded; one under a cancellable parent ends with it.
func TestBound(t *testing.T) {
	const d = 50 * time.Millisecond
	h := &deadlineHook{name: "cache", timeout: d}
	type key struct{}
	for _, parent := range []context.Context{context.Background(), context.WithValue(context.Background(), key{}, "v")} {
		start := time.Now()
		ctx, cancel, ok := h.bound(parent, d)
		if !ok {
			t.Fatal("bound left a context without deadline alone")
		}
		dl, has := ctx.Deadline()
		if !has || dl.Sub(start) < d || dl.Sub(start) > d+time.Second {
			t.Errorf("deadline %v after the start, want about %v", dl.Sub(start), d)
		}
		if ctx.Value(key{}) != parent.Value(key{}) {
			t.Error("the parent's values are lost")
		}
		<-ctx.Done()
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Errorf("Err() = %v after Done, want context.DeadlineExceeded", ctx.Err())
		}
		cancel()
	}
	// A cancellable parent gets a context of its own that ends with it.
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, cancel, _ := h.bound(parent, d)
	defer cancel()
	cancelParent()
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("Err() = %v after the parent was cancelled, want context.Canceled", ctx.Err())
	}
	// A sooner deadline, or Start's own one, is kept.
	soon, cancelSoon := context.WithTimeout(context.Background(), d/2)
	defer cancelSoon()
	if _, _, ok := h.bound(soon, d); ok {
		t.Error("bound replaced a sooner deadline")
	}
	later, cancelLater := context.WithTimeout(context.Background(), time.Hour)
	defer cancelLater()
	if _, _, ok := h.bound(withOwnDeadline(later), d); ok {
		t.Error("bound shortened Start's own deadline")
	}
}

// FuzzBlockTimeout: reading a blocking command's timeout from arbitrary
// arguments never panics and never yields a negative duration.
func FuzzBlockTimeout(f *testing.F) {
	for _, seed := range [][2]string{
		{"blpop", "1.5"}, {"XREAD", "block"}, {"wait", "-1"}, {"bzmpop", "NaN"}, {"waitaof", "1e308"},
		{"xread", "streams"}, {"XREADGROUP", "BLOCK"}, {"xreadgroup", "group"},
	} {
		f.Add(seed[0], seed[1], "")
	}
	f.Fuzz(func(t *testing.T, name, a, b string) {
		ctx := context.Background()
		for _, args := range [][]any{{name}, {name, a}, {name, a, b}, {name, b, a, a, b}} {
			d, block := blockTimeout(redis.NewCmd(ctx, args...))
			if d < 0 {
				t.Fatalf("blockTimeout(%q) = %v", args, d)
			}
			// The same command with byte-slice arguments, as go-redis
			// also sends them, is read the same.
			raw := make([]any, len(args))
			for i, arg := range args {
				raw[i] = []byte(arg.(string))
			}
			if rd, rblock := blockTimeout(redis.NewCmd(ctx, raw...)); rd != d || rblock != block {
				t.Fatalf("blockTimeout(%q) = %v, %v; as bytes %v, %v", args, d, block, rd, rblock)
			}
		}
		// Stream names and IDs, after STREAMS, are never options.
		for _, cmd := range []string{"xread", "XREADGROUP"} {
			args := []any{cmd, "streams", a, b, "block", a}
			if strings.EqualFold(cmd, "xreadgroup") {
				args = []any{cmd, "group", a, b, "streams", a, "block", b}
			}
			if d, block := blockTimeout(redis.NewCmd(ctx, args...)); block {
				t.Fatalf("blockTimeout(%q) = %v, true; want not blocking", args, d)
			}
		}
	})
}
