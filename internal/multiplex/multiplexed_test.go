package multiplex

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspirego/redis/internal/surface"
	"github.com/aspirego/redis/internal/testserver"
)

// newMultiplexed instruments an auto-pipelined client of a miniredis
// server.
func newMultiplexed(t *testing.T, e *telemetryEnv) redis.UniversalClient {
	t.Helper()
	_, base := newMini(t)
	return multiplexedOf(t, e, base)
}

// multiplexedOf instruments base's auto-pipeliner.
func multiplexedOf(t *testing.T, e *telemetryEnv, base *redis.Client) redis.UniversalClient {
	t.Helper()
	ap, err := base.AutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	c, stop, err := Instrument(Multiplexed{Base: base, Front: ap}, configOf(e, "mux"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stop()
		_ = c.Close()
	})
	return c
}

func TestMultiplexedSpansPerCommand(t *testing.T) {
	t.Run("miniredis", func(t *testing.T) {
		e := newEnv(t)
		testSpansPerCommand(t, e, newMultiplexed(t, e))
	})
	t.Run("redis-server", func(t *testing.T) {
		// Connections are opened by the batches: their handshakes are not
		// batches of the application's commands.
		srv := testserver.Start(t, testserver.Options{})
		base := redis.NewClient(srv.ClientOptions())
		t.Cleanup(func() { _ = base.Close() })
		e := newEnv(t)
		testSpansPerCommand(t, e, multiplexedOf(t, e, base))
	})
}

func testSpansPerCommand(t *testing.T, e *telemetryEnv, c redis.UniversalClient) {
	tracer := e.TP.Tracer("test")

	const callers, each = 20, 5
	parents := make([]trace.SpanContext, callers)
	var wg sync.WaitGroup
	for g := range callers {
		wg.Go(func() {
			ctx, span := tracer.Start(context.Background(), fmt.Sprintf("caller-%d", g))
			defer span.End()
			parents[g] = span.SpanContext()
			for i := range each {
				key := fmt.Sprintf("k%d-%d", g, i)
				if err := c.Set(ctx, key, "v", 0).Err(); err != nil {
					t.Error(err)
				}
				if v, err := c.Get(ctx, key).Result(); err != nil || v != "v" {
					t.Errorf("GET %s = %q, %v", key, v, err)
				}
			}
		})
	}
	wg.Wait()

	bySpan := map[trace.SpanID]int{}
	for g, p := range parents {
		bySpan[p.SpanID()] = g
	}
	perCaller := make([]int, callers)
	for _, s := range e.Spans.GetSpans() {
		switch s.Name {
		case "SET", "GET":
			g, ok := bySpan[s.Parent.SpanID()]
			if !ok || s.Parent.TraceID() != parents[g].TraceID() || s.SpanContext.TraceID() != parents[g].TraceID() {
				t.Fatalf("%s span %v has parent %v, not a caller's span", s.Name, s.SpanContext.SpanID(), s.Parent.SpanID())
			}
			perCaller[g]++
			if s.SpanKind != trace.SpanKindClient {
				t.Errorf("kind %v", s.SpanKind)
			}
			if a := attrMap(s.Attributes); a["db.operation.name"] != s.Name || a["server.address"] == nil {
				t.Errorf("%s attributes %v", s.Name, a)
			}
			if !s.StartTime.Before(s.EndTime) {
				t.Errorf("%s span from %v to %v", s.Name, s.StartTime, s.EndTime)
			}
		case "caller-0":
		default:
			if len(s.Name) < 7 || s.Name[:7] != "caller-" {
				t.Errorf("unexpected span %q (the auto-pipeliner's batches must not show)", s.Name)
			}
		}
	}
	for g, n := range perCaller {
		if n != 2*each {
			t.Errorf("caller %d has %d command spans, want %d", g, n, 2*each)
		}
	}

	m := e.Metrics(t)
	var samples uint64
	for _, dp := range m["db.client.operation.duration"].Data.(metricdata.Histogram[float64]).DataPoints {
		samples += dp.Count
	}
	if samples != 2*callers*each {
		t.Errorf("db.client.operation.duration has %d samples, want %d", samples, 2*callers*each)
	}
	var batches, batched int64
	for _, dp := range m[BatchSizeMetric].Data.(metricdata.Histogram[int64]).DataPoints {
		batches += int64(dp.Count)
		batched += dp.Sum
	}
	if batched != 2*callers*each || batches == 0 {
		t.Errorf("%s: %d batches of %d commands in all, want %d commands", BatchSizeMetric, batches, batched, 2*callers*each)
	}
	t.Logf("%d commands in %d batches", batched, batches)
}

func TestMultiplexedPipelinesAndTransactions(t *testing.T) {
	e := newEnv(t)
	c := newMultiplexed(t, e)
	// A caller's context.Background() is not the auto-pipeliner's.
	if _, err := c.Pipelined(context.Background(), func(p redis.Pipeliner) error {
		p.Set(context.Background(), "a", "1", 0)
		p.Get(context.Background(), "a")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	pipe := c.TxPipeline()
	pipe.Incr(context.Background(), "n")
	if _, err := pipe.Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Watch(context.Background(), func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(context.TODO(), func(p redis.Pipeliner) error {
			p.Incr(context.TODO(), "n")
			return nil
		})
		return err
	}, "n"); err != nil {
		t.Fatal(err)
	}
	// A transaction inside Watch on the caller's context.Background() is
	// not a batch of the auto-pipeliner's either.
	if err := c.Watch(context.Background(), func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(context.Background(), func(p redis.Pipeliner) error {
			p.Decr(context.Background(), "n")
			return nil
		})
		return err
	}, "n"); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), "PING").Err(); err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for _, s := range e.Spans.GetSpans() {
		names[s.Name]++
	}
	if m := e.Metrics(t)[BatchSizeMetric]; m.Data != nil {
		for _, dp := range m.Data.(metricdata.Histogram[int64]).DataPoints {
			if dp.Count != 0 {
				t.Errorf("%s: %d batches, want none (no command went through the auto-pipeliner)", BatchSizeMetric, dp.Count)
			}
		}
	}
	want := map[string]int{"PIPELINE": 1, "MULTI INCR": 2, "MULTI DECR": 1, "WATCH": 2, "PING": 1}
	for n, k := range want {
		if names[n] != k {
			t.Errorf("%d %q spans, want %d (all: %v)", names[n], n, k, names)
		}
	}
}

// TestMultiplexedSentinel checks that auto-pipelined commands of a
// sentinel-managed client report the current primary, before and after a
// failover.
func TestMultiplexedSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Redis with a sentinel and fails over")
	}
	set := testserver.StartSentinel(t, testserver.SentinelOptions{})
	e := newEnv(t)
	base := redis.NewFailoverClient(set.ClientOptions())
	ap, err := base.AutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	c, stop, err := Instrument(Multiplexed{Base: base, Front: ap}, configOf(e, "sentinel"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = stop()
		_ = c.Close()
	})
	ctx := context.Background()
	serverOf := func() (string, error) {
		e.Spans.Reset()
		err := c.Set(ctx, "k", "v", 0).Err()
		for _, s := range e.Spans.GetSpans() {
			if s.Name == "SET" {
				a := attrMap(s.Attributes)
				return fmt.Sprintf("%v:%v", a["server.address"], a["server.port"]), err
			}
		}
		return "", err
	}
	if got, err := serverOf(); err != nil || got != set.PrimaryAddr() {
		t.Fatalf("SET reported %q (err %v), want the primary %s", got, err, set.PrimaryAddr())
	}
	newPrimary := set.Failover(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := serverOf()
		if err == nil && got == newPrimary {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after failover to %s: SET reported %q, err %v", newPrimary, got, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMultiplexedCluster: with auto-pipelining on a cluster client, each
// command's span names the node that ran it, for the commands of the
// batches the nodes ran and for a command sent on its own (a blocking
// one), and no note of a command outlives it.
func TestMultiplexedCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis cluster")
	}
	testserver.EachBinary(t, testMultiplexedCluster)
}

func testMultiplexedCluster(t *testing.T, binary string) {
	cl := testserver.StartCluster(t, testserver.ClusterOptions{Binary: binary})
	base := redis.NewClusterClient(cl.ClientOptions())
	t.Cleanup(func() { _ = base.Close() })
	ap, err := base.AutoPipeline()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	cfg := configOf(e, "mux-cluster")
	cfg.QueryText = true
	c, stop, err := Instrument(Multiplexed{Base: base, Front: ap}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(); _ = c.Close() })

	// Keys on every primary, set and read by concurrent callers so that
	// they share batches.
	owners := map[string]int64{}
	for i := 0; len(owners) < 30 && i < 1000; i++ {
		key := "k" + strconv.Itoa(i)
		owners[key] = int64(cl.SlotOwner(t, testserver.Slot(key)).Port)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for key := range owners {
		wg.Go(func() {
			if err := c.Set(ctx, key, "v", 0).Err(); err != nil {
				t.Error(err)
			}
			if err := c.Get(ctx, key).Err(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	// A blocking command runs on its own, not in a batch.
	if err := c.RPush(ctx, "list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.BLPop(ctx, time.Second, "list").Err(); err != nil {
		t.Fatal(err)
	}
	owners["list"] = int64(cl.SlotOwner(t, testserver.Slot("list")).Port)

	n := 0
	for _, s := range e.Spans.GetSpans() {
		switch s.Name {
		case "SET", "GET", "RPUSH", "BLPOP":
		default:
			continue
		}
		n++
		a := attrMap(s.Attributes)
		q, _ := a["db.query.text"].(string)
		f := strings.Fields(q)
		if len(f) < 2 {
			t.Fatalf("%s span: db.query.text %q", s.Name, q)
		}
		if want := owners[f[1]]; spanPort(s) != want || a["server.address"] == nil {
			t.Errorf("%s %s: server %v:%d, want the port of its slot's primary, %d", s.Name, f[1], a["server.address"], spanPort(s), want)
		}
	}
	if n != 2*len(owners) {
		t.Errorf("%d command spans, want %d", n, 2*len(owners))
	}
	if left := c.(*surface.Client).Observer().(*observer).nodes.size(); left != 0 {
		t.Errorf("%d notes of commands that have ended", left)
	}
}
