// Command benchmark measures what this module's telemetry costs a go-redis
// client, against raw go-redis, on a redis-server it starts itself.
//
// Workload (the one in the project's performance targets): C goroutines
// share one client with PoolSize C and run N commands per trial, SET and
// GET alternating over K keys with V-byte values. Every variant has its
// own client, warmed up before measuring.
//
// A round runs raw, A, raw, B, raw, ... (the order of A, B, ... rotates
// from round to round), and each variant's throughput is divided by the
// mean of the raw trials just before and after it, so that the drift of a
// shared, noisy machine cancels out as far as it can. The table shows per
// variant the median of those ratios over the rounds and their range,
// the median throughput, client CPU time per command (getrusage of this
// process: hooks, SDK goroutines, garbage collector; not the server) and
// its median difference to the neighbouring raw trials (the cost of the
// variant in CPU time, less sensitive to a busy machine than throughput),
// and allocations and bytes per command (runtime.MemStats). All columns
// but min–max are medians over the rounds. The raw row compares
// consecutive raw trials: it shows the noise floor of the run.
//
// Variants:
//
//	raw              go-redis, no hooks
//	disabled         telemetry.Instrument with tracing and metrics disabled
//	rediscache       the client rediscache.New builds from a connection
//	                 string, tracing and metrics disabled: what a service
//	                 gets with telemetry off (its timeouts, the redirect
//	                 guard of standalone clients)
//	metrics          metrics only, SDK meter provider with a manual reader
//	tracing+metrics  SDK tracer provider (AlwaysSample, batch span
//	                 processor, discarding exporter) and the meter provider
//	no-sdk           telemetry on, no SDK installed (otel global no-ops)
//	redisotel        telemetry.Config.Redisotel with the same SDK providers
//
// Multiplexed mode (clients built by rediscache.New, docs/multiplexing.md):
//
//	ap                   AutoPipelining, telemetry off
//	ap+metrics           AutoPipelining, metrics only
//	ap+tracing+metrics   AutoPipelining, tracing (AlwaysSample) and metrics
//	rueidis-ap           rueidis, whose auto-pipelining is on by default
//	                     (the peer; no telemetry, client-side cache off)
//	csc-go-redis         go-redis's own client-side cache (ClientSideCacheConfig)
//	csc                  ClientSideCaching, telemetry off
//	csc+metrics          ClientSideCaching, metrics only
//	csc+tracing+metrics  ClientSideCaching, tracing and metrics
//	csc+hit-spans        csc+tracing+metrics, and a span for every read
//	                     served from the cache (multiplex.Multiplexed.TraceCacheHits)
//	csc-nofront          csc without GET's fast path (ClientSideCacheTTL 1h,
//	                     which turns it off): go-redis's cache alone behind
//	                     the wrapper
//	csc-nofront+metrics  csc+metrics without GET's fast path
//
// go-redis's auto-pipeliner alone, without this module's wrapper: a plain
// go-redis client with telemetry.Instrument's hooks, and the blocking face
// of its AutoPipeline (docs/benchmarks.md, "FullDuplex"):
//
//	fd                   AutoPipelineOptions.FullDuplex, telemetry off
//	fd+metrics           FullDuplex, metrics only
//	fd+tracing+metrics   FullDuplex, tracing and metrics: go-redis runs each
//	                     command's process hooks with the caller's context
//	hd+tracing+metrics   the half-duplex AutoPipeline, tracing and metrics:
//	                     the hooks see batches, one pipeline span each,
//	                     under go-redis's own context
//
// Before measuring, every variant with tracing among these and the ap*
// ones is checked for span parentage: 16 callers, each in a span of its
// own, run one command each; the line printed says how many of the
// client's spans have their caller's span as parent.
//
// -workload hot replaces SET/GET over K keys by GETs of 32 hot keys, the
// case the client-side cache is for. The p99 column is the 99th
// percentile of the command latency seen by the callers.
//
// Usage:
//
//	go run ./internal/cmd/benchmark [flags]
//
// Flags:
//
//	-n N            commands per trial (default 50000)
//	-rounds R       rounds (default 6)
//	-c C            goroutines and pool size (default 50)
//	-keys K         distinct keys (default 1024)
//	-value-size V   value size in bytes (default 3)
//	-variants list  comma-separated variants to run (default all; raw is
//	                always run, as the reference)
//	-workload w     setget (default) or hot
//	-quick          smoke test: -n 10000 -rounds 2 (a few seconds)
//	-redis-server p the server binary (default redis-server on PATH)
//	-ap-batch N, -ap-delay D, -ap-concurrency N
//	                AutoPipeliningBatchSize, AutoPipeliningFlushDelay and
//	                AutoPipeliningConcurrency of the ap* variants
//	                (default: the SDK's defaults); the fd* and hd*
//	                variants take -ap-batch and -ap-delay
//	-cpuprofile f   write a CPU profile of the measured rounds to f; its
//	                samples are labelled with the variant, to select one:
//	                go tool pprof -tagfocus variant=ap+metrics
//	-v              print every trial
//
// With the defaults it takes about one to two minutes on two cores.
package main
