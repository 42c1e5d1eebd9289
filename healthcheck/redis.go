package healthcheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/untraced"
)

// Redis returns the check of one Redis client, named "redis_"+name
// ("redis" when name is empty), with no tags (it is not a liveness check:
// Redis being down says nothing about this process) and timeout as its
// Timeout (zero means [DefaultTimeout]).
//
// Its commands run on a context marked so that this module's telemetry
// records no spans or metrics for them. What it sends depends on the
// client's type:
//
//   - *redis.Client (standalone, or a sentinel failover client): PING.
//   - *redis.ClusterClient: on every primary (concurrently), PING and then
//     CLUSTER INFO, which must report cluster_state:ok. Every primary is
//     asked, not just one, because a primary cut off from the majority
//     reports the failure only in its own view. A cluster client built on
//     custom ClusterSlots (such as a sentinel-backed client with
//     RouteByLatency or RouteRandomly, whose nodes are not cluster nodes)
//     passes with the PINGs when a primary refuses CLUSTER INFO, and is
//     checked like any cluster when they are cluster nodes. The ACL user
//     needs CLUSTER INFO permission.
//   - *redis.Ring: PING on every live shard (a ring routes keys around the
//     shards it has marked down); no live shard at all is a failure.
//   - any other UniversalClient: PING.
//
// An error names the node address that failed (a cluster primary or ring
// shard) and the command, never a password; several failing nodes are
// joined, sorted by address.
//
// go-redis honours a context's deadline on socket reads and writes only
// when the client's ContextTimeoutEnabled option is set (this module's
// clients set it). Without it, a PING to a server that accepts and never
// answers lasts until the client's ReadTimeout; the [Checker] still
// reports it as timed out at the check's deadline.
func Redis(name string, client redis.UniversalClient, timeout time.Duration) Check {
	checkName := "redis"
	if name != "" {
		checkName += "_" + name
	}
	return Check{
		Name:    checkName,
		Timeout: timeout,
		Run: func(ctx context.Context) error {
			if client == nil {
				return errors.New("no Redis client")
			}
			return pingRedis(untraced.Context(ctx), client)
		},
	}
}

func pingRedis(ctx context.Context, client redis.UniversalClient) error {
	switch c := client.(type) {
	case *redis.ClusterClient:
		customSlots := c.Options().ClusterSlots != nil
		return forEachNode(ctx, "primary", c.ForEachMaster, func(ctx context.Context, node *redis.Client) error {
			if err := node.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("PING: %w", err)
			}
			info, err := node.ClusterInfo(ctx).Result()
			var reply redis.Error
			switch {
			case err != nil && customSlots && errors.As(err, &reply):
				return nil // not a cluster node: nothing more to check
			case err != nil:
				return fmt.Errorf("CLUSTER INFO: %w", err)
			}
			if state := clusterStateOf(info); state != "ok" {
				return fmt.Errorf("CLUSTER INFO reports cluster_state:%s", state)
			}
			return nil
		})
	case *redis.Ring:
		var live atomic.Int32
		err := forEachNode(ctx, "shard", c.ForEachShard, func(ctx context.Context, node *redis.Client) error {
			live.Add(1)
			if err := node.Ping(ctx).Err(); err != nil {
				return fmt.Errorf("PING: %w", err)
			}
			return nil
		})
		if err == nil && live.Load() == 0 {
			return errors.New("no live shard in the ring")
		}
		return err
	default:
		if err := client.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("PING: %w", err)
		}
		return nil
	}
}

// forEachNode runs fn on every node that each visits and joins every
// failure (go-redis' ForEach* functions keep only the first), naming the
// node by address.
func forEachNode(
	ctx context.Context,
	kind string,
	each func(context.Context, func(context.Context, *redis.Client) error) error,
	fn func(context.Context, *redis.Client) error,
) error {
	type failure struct {
		addr string
		err  error
	}
	var (
		mu       sync.Mutex
		failures []failure
	)
	err := each(ctx, func(ctx context.Context, node *redis.Client) error {
		if err := fn(ctx, node); err != nil {
			addr := node.Options().Addr
			mu.Lock()
			failures = append(failures, failure{addr, fmt.Errorf("%s %s: %w", kind, addr, err)})
			mu.Unlock()
			return err
		}
		return nil
	})
	if len(failures) == 0 {
		if err != nil { // each itself failed, e.g. loading the cluster's slots
			return fmt.Errorf("listing %s nodes: %w", kind, err)
		}
		return nil
	}
	slices.SortFunc(failures, func(a, b failure) int { return cmp.Compare(a.addr, b.addr) })
	errs := make([]error, len(failures))
	for i, f := range failures {
		errs[i] = f.err
	}
	return errors.Join(errs...)
}

// clusterStateOf returns the value of the cluster_state field of a
// CLUSTER INFO reply, or "unknown".
func clusterStateOf(info string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_state:"); ok {
			return v
		}
	}
	return "unknown"
}
