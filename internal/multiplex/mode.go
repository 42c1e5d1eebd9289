package multiplex

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/settings"
)

// Mode is what the multiplexed mode of one client turned out to be once
// the topology is known.
type Mode struct {
	autoPipelining bool
	serial         bool   // auto-pipelined batches go one at a time
	cache          *Cache // nil: no client-side cache
}

// On reports whether the client is multiplexed.
func (m Mode) On() bool { return m.autoPipelining || m.cache != nil }

// Cache is the client-side cache, or nil.
func (m Mode) Cache() *Cache { return m.cache }

// String names the parts that are on, for logs and health reports.
func (m Mode) String() string {
	var parts []string
	if m.autoPipelining {
		parts = append(parts, "auto-pipelining")
	}
	if m.cache != nil {
		parts = append(parts, "client-side caching")
	}
	return strings.Join(parts, " and ")
}

// Configure sets the go-redis options of the multiplexed mode before the
// client is built. A client-side cache that go-redis cannot keep for this
// connection is left off with one warning, so that a configuration a .NET
// service accepts never stops the Go service.
func Configure(s settings.Settings, conn *settings.Connection, o *redis.UniversalOptions, logger *slog.Logger) Mode {
	var m Mode
	if s.AutoPipelining {
		m.autoPipelining = true
		conc := s.AutoPipeliningConcurrency
		o.AutoPipelineOptions = &redis.AutoPipelineOptions{
			MaxBatchSize:  s.AutoPipeliningBatchSize,
			MaxFlushDelay: s.AutoPipeliningFlushDelay,
			// The handed-out client waits for each command, so every
			// caller's own commands stay in order with parallel batches.
			MaxConcurrentBatches: conc,
			Unordered:            conc > 1,
		}
		m.serial = conc <= 1
		if o.AutoPipelineOptions.MaxBatchSize == 0 {
			o.AutoPipelineOptions.MaxBatchSize = redis.DefaultBlockingAutoPipelineOptions().MaxBatchSize
		}
	}
	if s.ClientSideCaching {
		why := ""
		switch {
		case conn.Topology != settings.Standalone:
			why = "go-redis keeps a client-side cache for a standalone server only, not for a " + conn.Topology.String()
		case o.DB != 0:
			why = fmt.Sprintf("go-redis keeps a client-side cache for database 0 only, not %d", o.DB)
		case o.Protocol == 2:
			why = "the client-side cache needs RESP3 and the connection asks for protocol=resp2"
		case o.CredentialsProvider != nil || o.CredentialsProviderContext != nil || o.StreamingCredentialsProvider != nil:
			why = "go-redis keeps no client-side cache with a credentials provider"
		}
		if why != "" {
			logger.Warn("redis client: ClientSideCaching is on, but the client runs without the cache: "+why,
				slog.String("key", "ClientSideCaching"))
		} else {
			o.Protocol = 3
			m.cache = NewCache(s.ClientSideCacheSize, s.ClientSideCacheTTL)
			o.ClientSideCache = m.cache
		}
	}
	return m
}

// Install puts in front of c, a client built with the options Configure
// set, the client the application gets: go-redis's auto-pipeliner, and a
// client that records each command under its caller's span (Instrument).
// timeout is the client's command timeout (0: none) and timeoutErr the
// error of a command that exceeded it: with them, a batch queued behind
// another gets a deadline of its own (BatchDeadline). stop stops the
// telemetry.
func (m Mode) Install(c redis.UniversalClient, cfg instrument.Config, timeout time.Duration, timeoutErr func(command string, limit time.Duration) error) (front redis.UniversalClient, stop func() error, err error) {
	ap := c
	if m.autoPipelining {
		// The blocking face: a call returns once its command has run, like
		// a plain client's, so errors reach their callers and spans end on
		// time.
		if ap, err = c.AutoPipeline(); err != nil {
			return nil, nil, fmt.Errorf("auto-pipelining: %w", err)
		}
	}
	front, stop, err = Instrument(Multiplexed{Base: c, Front: ap, Cache: m.cache}, cfg)
	if err != nil {
		if ap != c {
			_ = ap.Close()
		}
		return nil, nil, err
	}
	// After the telemetry's hooks, which hand it the batches marked, and
	// before the client's deadline hook, which then finds the batch's
	// deadline set.
	if _, standalone := c.(*redis.Client); standalone && m.autoPipelining && m.serial && timeout > 0 {
		c.AddHook(NewBatchDeadline(timeout, timeoutErr))
	}
	return front, stop, nil
}
