package instrument

import (
	"context"
	"fmt"
	"sync"
	"weak"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/dbconv"
)

// Names of the pool instruments that have no semantic-conventions
// equivalent: go-redis keeps only the total time spent waiting for a
// connection and the number of waits, while db.client.connection.wait_time
// is a histogram of individual waits.
const (
	metricWaitTime = "redis.client.connection.wait_time"
	metricWaits    = "redis.client.connection.waits"
)

// poolLimits are the configured pool sizes; for cluster and ring clients
// they are per node.
type poolLimits struct {
	max, idleMax, idleMin int
}

func limitsOf(client redis.UniversalClient) poolLimits {
	pipeline := func(pps int) int {
		switch {
		case pps < 0:
			return 0 // pipelines share the main pool
		case pps == 0:
			return redis.DefaultPipelinePoolSize
		}
		return pps
	}
	switch c := client.(type) {
	case *redis.Client:
		o := c.Options()
		return poolLimits{o.PoolSize + pipeline(o.PipelinePoolSize), o.MaxIdleConns, o.MinIdleConns}
	case *redis.ClusterClient:
		o := c.Options()
		return poolLimits{o.PoolSize + pipeline(o.PipelinePoolSize), o.MaxIdleConns, o.MinIdleConns}
	case *redis.Ring:
		o := c.Options()
		return poolLimits{o.PoolSize + pipeline(o.PipelinePoolSize), o.MaxIdleConns, o.MinIdleConns}
	}
	return poolLimits{}
}

// nodeSet remembers the node clients of a cluster client, weakly: a node
// that go-redis drops and closes is forgotten once collected.
//
// ClusterClient.PoolStats would load the cluster state, over the network,
// when the client has not run a command yet; a metrics collection must not
// do that, so the nodes' own statistics are summed instead.
type nodeSet struct {
	mu    sync.Mutex
	nodes []weak.Pointer[redis.Client]
}

func (s *nodeSet) add(c *redis.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes = append(s.nodes, weak.Make(c))
}

// PoolStats sums the statistics of the live nodes, like
// ClusterClient.PoolStats.
func (s *nodeSet) PoolStats() *redis.PoolStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc := &redis.PoolStats{}
	live := s.nodes[:0]
	for _, wp := range s.nodes {
		c := wp.Value()
		if c == nil {
			continue
		}
		live = append(live, wp)
		st := c.PoolStats()
		acc.Timeouts += st.Timeouts
		acc.WaitCount += st.WaitCount
		acc.WaitDurationNs += st.WaitDurationNs
		acc.TotalConns += st.TotalConns
		acc.IdleConns += st.IdleConns
		acc.PendingRequests += st.PendingRequests
		if p := st.PipelineStats; p != nil {
			acc.Timeouts += p.Timeouts
			acc.WaitCount += p.WaitCount
			acc.WaitDurationNs += p.WaitDurationNs
			acc.TotalConns += p.TotalConns
			acc.IdleConns += p.IdleConns
			acc.PendingRequests += p.PendingRequests
		}
	}
	clear(s.nodes[len(live):])
	s.nodes = live
	return acc
}

// poolStatser is what the pool callback reads.
type poolStatser interface{ PoolStats() *redis.PoolStats }

// registerPoolMetrics registers the observable pool instruments of a
// client and one callback that reads stats (main and pipeline pools
// together; cluster and ring clients sum over their nodes).
func registerPoolMetrics(meter metric.Meter, client redis.UniversalClient, stats poolStatser, pool string) (metric.Registration, error) {
	count, err := dbconv.NewClientConnectionCountObservable(meter)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", count.Name(), err)
	}
	maxConns, err := dbconv.NewClientConnectionMaxObservable(meter)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", maxConns.Name(), err)
	}
	idleMax, err := dbconv.NewClientConnectionIdleMaxObservable(meter)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", idleMax.Name(), err)
	}
	idleMin, err := dbconv.NewClientConnectionIdleMinObservable(meter)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", idleMin.Name(), err)
	}
	pending, err := dbconv.NewClientConnectionPendingRequestsObservable(meter)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", pending.Name(), err)
	}
	timeouts, err := dbconv.NewClientConnectionTimeoutsObservable(meter)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", timeouts.Name(), err)
	}
	waitTime, err := meter.Float64ObservableCounter(metricWaitTime,
		metric.WithUnit("s"),
		metric.WithDescription("The total time spent waiting for a free connection from the pool."))
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", metricWaitTime, err)
	}
	waits, err := meter.Int64ObservableCounter(metricWaits,
		metric.WithUnit("{wait}"),
		metric.WithDescription("The number of times a command had to wait for a free connection from the pool."))
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", metricWaits, err)
	}

	poolAttr := semconv.DBClientConnectionPoolName(pool)
	all := metric.WithAttributeSet(attribute.NewSet(poolAttr))
	idle := metric.WithAttributeSet(attribute.NewSet(poolAttr, semconv.DBClientConnectionStateIdle))
	used := metric.WithAttributeSet(attribute.NewSet(poolAttr, semconv.DBClientConnectionStateUsed))
	lim := limitsOf(client)

	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := stats.PoolStats()
		total, idleConns := int64(s.TotalConns), int64(s.IdleConns)
		pend, tmo := int64(s.PendingRequests), int64(s.Timeouts)
		waitNs, waitCount := s.WaitDurationNs, int64(s.WaitCount)
		if p := s.PipelineStats; p != nil {
			total += int64(p.TotalConns)
			idleConns += int64(p.IdleConns)
			pend += int64(p.PendingRequests)
			tmo += int64(p.Timeouts)
			waitNs += p.WaitDurationNs
			waitCount += int64(p.WaitCount)
		}
		o.ObserveInt64(count.Inst(), idleConns, idle)
		o.ObserveInt64(count.Inst(), max(total-idleConns, 0), used)
		o.ObserveInt64(maxConns.Inst(), int64(lim.max), all)
		if lim.idleMax > 0 {
			o.ObserveInt64(idleMax.Inst(), int64(lim.idleMax), all)
		}
		o.ObserveInt64(idleMin.Inst(), int64(lim.idleMin), all)
		o.ObserveInt64(pending.Inst(), pend, all)
		o.ObserveInt64(timeouts.Inst(), tmo, all)
		o.ObserveFloat64(waitTime, float64(waitNs)/1e9, all)
		o.ObserveInt64(waits, waitCount, all)
		return nil
	}, count.Inst(), maxConns.Inst(), idleMax.Inst(), idleMin.Inst(), pending.Inst(), timeouts.Inst(), waitTime, waits)
}
