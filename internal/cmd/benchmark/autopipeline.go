package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
	"github.com/aspirego/redis/telemetry"
)

// autoPipelineVariant builds the fd* and hd* variants: a plain go-redis
// client with telemetry.Instrument's hooks (as a client without
// multiplexing has them), and its auto-pipeliner in front, full-duplex
// (fd*) or half-duplex (hd*). The hooks are on the client, which the
// auto-pipeliner runs its commands through.
func autoPipelineVariant(o options, addr, name string, tp trace.TracerProvider, mp metric.MeterProvider) (redis.UniversalClient, func(), error) {
	apo := redis.DefaultBlockingAutoPipelineOptions() // the wrapper's defaults too
	if o.apBatch > 0 {
		apo.MaxBatchSize = o.apBatch
	}
	apo.MaxFlushDelay = o.apDelay
	apo.FullDuplex = strings.HasPrefix(name, "fd")
	c := redis.NewClient(&redis.Options{
		Addr:                     addr,
		PoolSize:                 o.c,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	cfg := telemetry.Config{Name: name, TracerProvider: tp, MeterProvider: mp}
	switch {
	case strings.HasSuffix(name, "+tracing+metrics"):
	case strings.HasSuffix(name, "+metrics"):
		cfg.DisableTracing = true
	default:
		cfg.DisableTracing, cfg.DisableMetrics = true, true
	}
	stop, err := telemetry.Instrument(c, cfg)
	if err != nil {
		_ = c.Close()
		return nil, nil, err
	}
	ap, err := c.AutoPipelineWithOptions(apo)
	if err != nil {
		_ = stop()
		_ = c.Close()
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return ap, func() {
		_ = ap.Close()
		_ = c.Close()
		_ = stop()
	}, nil
}

// parentage is what checkParentage found.
type parentage struct {
	callers int // callers, one command each
	spans   int // the client's spans
	// parented is how many callers have exactly one client span as child
	parented int
}

func (p parentage) String() string {
	return fmt.Sprintf("%d callers, %d client spans, %d callers with their command's span as child", p.callers, p.spans, p.parented)
}

// parentageVariants are the variants whose span parentage is checked.
var parentageVariants = []string{"ap+tracing+metrics", "fd+tracing+metrics", "hd+tracing+metrics"}

// checkParentage builds a client of variant name with a recording tracer
// provider and runs callers concurrent callers, each in a span of its own
// and running one SET; it reports how many callers got their command's
// span as child.
func checkParentage(o options, addr, name string, callers int) (parentage, error) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	_, mp, stopMetrics := sdkProviders()
	defer stopMetrics()

	var c redis.Cmdable
	switch {
	case strings.HasPrefix(name, "ap"):
		inst, err := rediscache.New(name, rediscache.Deps{Logger: slog.New(slog.DiscardHandler), TracerProvider: tp, MeterProvider: mp},
			settings.WithConnectionString(addr+",setlib=false"),
			settings.DisableHealthChecks(),
			settings.EnableAutoPipelining(),
			settings.ConfigureOptions(func(opts *redis.UniversalOptions) { opts.PoolSize = o.c }))
		if err != nil {
			return parentage{}, err
		}
		defer func() { _ = inst.Close() }()
		c = inst.Client
	default:
		ap, closeAP, err := autoPipelineVariant(o, addr, name, tp, mp)
		if err != nil {
			return parentage{}, err
		}
		defer closeAP()
		c = ap
	}
	// Connect first, outside any caller's span.
	if err := c.Ping(context.Background()).Err(); err != nil {
		return parentage{}, err
	}
	rec.Reset()

	tracer := tp.Tracer("benchmark")
	ids := make([]trace.SpanID, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			ctx, span := tracer.Start(context.Background(), "caller")
			ids[i] = span.SpanContext().SpanID()
			errs[i] = c.Set(ctx, fmt.Sprintf("parentage:%d", i), "v", 0).Err()
			span.End()
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return parentage{}, err
		}
	}
	_ = tp.ForceFlush(context.Background())

	children := map[trace.SpanID]int{}
	p := parentage{callers: callers}
	for _, s := range rec.Ended() {
		if s.Name() == "caller" {
			continue
		}
		p.spans++
		children[s.Parent().SpanID()]++
	}
	for _, id := range ids {
		if children[id] == 1 {
			p.parented++
		}
	}
	return p, nil
}
