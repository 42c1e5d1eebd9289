package telemetry

import (
	"context"
	"fmt"

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

// registerPoolMetrics registers the observable pool instruments of client
// and one callback that reads its PoolStats (main and pipeline pools
// together; cluster and ring clients sum over their nodes).
func registerPoolMetrics(meter metric.Meter, client redis.UniversalClient, pool string) (metric.Registration, error) {
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
	statser, ok := client.(interface{ PoolStats() *redis.PoolStats })
	if !ok {
		return nil, fmt.Errorf("%T: %w", client, errNoStats)
	}

	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := statser.PoolStats()
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
