package rediscache_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// TestBlockingCommandsThroughDoRunOnce: blocking commands sent through Do
// block longer than syncTimeout (2 s against 1 s) on a real server, a
// standalone one and a cluster: each reaches the server once (INFO
// commandstats) and returns the server's reply, given after the block
// time, in both modes; in the multiplexed mode WAIT exists only through
// Do. (go-redis read their replies under syncTimeout, cut them and sent
// them again up to MaxRetries times.)
func TestBlockingCommandsThroughDoRunOnce(t *testing.T) {
	const block = 2 * time.Second
	standalone := func(t *testing.T) (string, []*testserver.Server) {
		srv := testserver.Start(t, testserver.Options{})
		return srv.Addr, []*testserver.Server{srv}
	}
	cluster := func(t *testing.T) (string, []*testserver.Server) {
		cl := testserver.StartCluster(t, testserver.ClusterOptions{})
		return cl.ConnectionString(), cl.Nodes
	}
	for _, topo := range []struct {
		name  string
		start func(t *testing.T) (string, []*testserver.Server)
	}{{"standalone", standalone}, {"cluster", cluster}} {
		for _, mode := range []struct {
			name string
			opts []settings.Option
		}{
			{"plain", nil},
			{"auto-pipelined", []settings.Option{settings.EnableAutoPipelining()}},
		} {
			t.Run(topo.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				conn, nodes := topo.start(t)
				inst, err := connect(t, conn+",syncTimeout=1000,abortConnect=true", mode.opts...)
				if err != nil {
					t.Fatal(err)
				}
				testBlockingThroughDo(t, inst.Client, nodes, block, topo.name == "cluster")
			})
		}
	}
}

// testBlockingThroughDo runs the blocking commands of
// TestBlockingCommandsThroughDoRunOnce on client, in parallel, and checks
// the calls nodes counted. WAIT, which a cluster client sends to every
// primary, is left out on a cluster.
func testBlockingThroughDo(t *testing.T, client redis.UniversalClient, nodes []*testserver.Server, block time.Duration, cluster bool) {
	t.Helper()
	ctx := context.Background()
	nilReply := func(v any, err error) error {
		if !errors.Is(err, redis.Nil) {
			return fmt.Errorf("got %v, %v; want redis.Nil", v, err)
		}
		return nil
	}
	// One hash slot for a cluster's BLMOVE.
	cmds := []struct {
		args  []any
		check func(v any, err error) error
	}{
		{[]any{"BLPOP", "{q}l", 2}, nilReply},
		{[]any{"BLMOVE", "{q}a", "{q}b", "LEFT", "RIGHT", "2"}, nilReply},
		{[]any{"XREAD", "BLOCK", 2000, "STREAMS", "{q}s", "$"}, nilReply},
	}
	if !cluster {
		cmds = append(cmds, struct {
			args  []any
			check func(v any, err error) error
		}{[]any{"WAIT", 1, 2000}, func(v any, err error) error {
			if n, ok := v.(int64); err != nil || !ok || n != 0 {
				return fmt.Errorf("got %v, %v; want 0 replicas", v, err)
			}
			return nil
		}})
	}
	t.Cleanup(func() { // after the parallel subtests
		var stats strings.Builder
		for _, n := range nodes {
			fmt.Fprintln(&stats, n.Do(t, "INFO", "commandstats"))
		}
		for _, c := range cmds {
			name := strings.ToLower(fmt.Sprint(c.args[0]))
			if n := commandCalls(stats.String(), name); n != 1 {
				t.Errorf("the servers count %d calls of %s, want 1", n, name)
			}
		}
	})
	for _, c := range cmds {
		t.Run(fmt.Sprint(c.args[0]), func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			v, err := client.Do(ctx, c.args...).Result()
			took := time.Since(start)
			if err := c.check(v, err); err != nil {
				t.Errorf("Do%v after %v: %v", c.args, took, err)
			}
			if took < block {
				t.Errorf("Do%v returned after %v, before its block time, %v", c.args, took, block)
			}
			t.Logf("Do%v: %v after %v", c.args, err, took)
		})
	}
}

// commandCalls sums the calls of command name in the INFO commandstats
// of one or more servers.
func commandCalls(stats, name string) int {
	total := 0
	for _, m := range regexp.MustCompile(`cmdstat_`+name+`:calls=(\d+)`).FindAllStringSubmatch(stats, -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	return total
}

// TestStreamReadDeadlines: XREAD is blocking only with the BLOCK option,
// given as a string or as bytes, and never because a stream is named
// "block". On a real server with syncTimeout=500: XREAD []byte("BLOCK")
// 1500 waits its block time and returns the server's nil reply (it was
// cut at syncTimeout); XREAD of a stream named "block" on a paused server
// fails with a CommandTimeoutError at syncTimeout (it got no deadline and
// was sent four times).
func TestStreamReadDeadlines(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	inst, err := connect(t, srv.Addr+",syncTimeout=500,abortConnect=true")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	err = inst.Client.Do(ctx, "XREAD", []byte("BLOCK"), 1500, "STREAMS", "s", "$").Err()
	if took := time.Since(start); !errors.Is(err, redis.Nil) || took < 1500*time.Millisecond {
		t.Errorf("XREAD []byte(BLOCK) 1500 with syncTimeout=500: err = %v after %v, want redis.Nil after 1.5 s", err, took)
	}

	if err := inst.Client.XAdd(ctx, &redis.XAddArgs{Stream: "block", Values: []any{"f", "v"}}).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Do(t, "CLIENT", "PAUSE", 2000, "ALL")
	start = time.Now()
	err = inst.Client.Do(ctx, "XREAD", "STREAMS", "block", "0").Err()
	var te *rediscache.CommandTimeoutError
	if !errors.As(err, &te) || te.Command != "XREAD" || te.Limit != 500*time.Millisecond {
		t.Errorf("XREAD STREAMS block 0 on a paused server: err = %v after %v, want a CommandTimeoutError for XREAD, 500ms", err, time.Since(start))
	}
	t.Logf("XREAD STREAMS block 0 on a paused server, syncTimeout=500: %v after %v", err, time.Since(start))
}
