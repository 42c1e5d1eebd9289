package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/redis/rueidis"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/multiplex"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
	"github.com/aspirego/redis/telemetry"
)

type options struct {
	n, rounds, c, keys, valueSize int
	variants, workload            string
	quick, verbose                bool
	serverPath, cpuProfile        string
	// auto-pipelining tuning of the ap* variants (0: the SDK's defaults)
	apBatch, apConcurrency int
	apDelay                time.Duration
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 50000, "commands per trial")
	flag.IntVar(&o.rounds, "rounds", 6, "rounds")
	flag.IntVar(&o.c, "c", 50, "goroutines and pool size")
	flag.IntVar(&o.keys, "keys", 1024, "distinct keys")
	flag.IntVar(&o.valueSize, "value-size", 3, "value size in bytes")
	flag.StringVar(&o.variants, "variants", "", "comma-separated variants (default all)")
	flag.StringVar(&o.workload, "workload", "setget", "setget or hot (GETs of 32 hot keys)")
	flag.BoolVar(&o.quick, "quick", false, "smoke test: -n 10000 -rounds 2")
	flag.StringVar(&o.serverPath, "redis-server", "redis-server", "redis-server binary")
	flag.BoolVar(&o.verbose, "v", false, "print every trial")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured rounds to this file")
	flag.IntVar(&o.apBatch, "ap-batch", 0, "AutoPipeliningBatchSize of the ap* variants (0: default)")
	flag.DurationVar(&o.apDelay, "ap-delay", 0, "AutoPipeliningFlushDelay of the ap* variants")
	flag.IntVar(&o.apConcurrency, "ap-concurrency", 0, "AutoPipeliningConcurrency of the ap* variants (0: default)")
	flag.Parse()
	if o.quick {
		o.n, o.rounds = 10000, 2
	}
	if o.workload == "hot" {
		o.keys = 32
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchmark:", err)
		os.Exit(1)
	}
}

// variant is one configuration under test.
type variant struct {
	name   string
	client commander
	close  func()
	// per-round results
	tput, cpu, allocs, bytes, p99 []float64
	ratio                         []float64 // throughput / neighbouring raw throughput
	cpuDelta                      []float64 // CPU µs/op - neighbouring raw CPU µs/op
}

func run(o options) error {
	if o.n <= 0 || o.rounds <= 0 || o.c <= 0 || o.keys <= 0 || o.valueSize < 0 {
		return errors.New("-n, -rounds, -c and -keys must be positive")
	}
	if o.workload != "setget" && o.workload != "hot" {
		return fmt.Errorf("unknown -workload %q (setget or hot)", o.workload)
	}
	srv, err := startServer(o.serverPath)
	if err != nil {
		return err
	}
	defer srv.stop()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; srv.stop(); os.Exit(2) }()

	variants, err := buildVariants(o, srv.addr)
	if err != nil {
		return err
	}
	defer func() {
		for _, v := range variants {
			v.close()
		}
	}()

	keys := make([]string, o.keys)
	for i := range keys {
		keys[i] = "key:" + strconv.Itoa(i)
	}
	value := strings.Repeat("x", o.valueSize)

	printHeader(o, srv)
	for _, v := range variants {
		if !slices.Contains(parentageVariants, v.name) {
			continue
		}
		p, err := checkParentage(o, srv.addr, v.name, 16)
		if err != nil {
			return fmt.Errorf("span parentage of %s: %w", v.name, err)
		}
		fmt.Printf("parentage   %-20s %v\n", v.name, p)
	}
	if o.workload == "hot" {
		if err := variants[0].client.do(context.Background(), true, "", keys, value); err != nil {
			return err
		}
	}
	start := time.Now()
	for _, v := range variants { // warm-up: fill the pools, the caches
		var err error
		pprof.Do(context.Background(), pprof.Labels("variant", v.name), func(context.Context) {
			_, err = trial(v.client, o, keys, value, o.n/10+o.c)
		})
		if err != nil {
			return fmt.Errorf("warm-up %s: %w", v.name, err)
		}
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	raw, others := variants[0], variants[1:]
	for r := range o.rounds {
		// raw, A, raw, B, raw, ...: each variant is compared with the mean
		// of the raw trials just before and after it, which cancels most
		// of the drift of a shared machine. The order rotates per round.
		order := others
		if len(others) > 0 {
			k := r % len(others)
			order = append(slices.Clone(others[k:]), others[:k]...)
		}
		prev, err := measure(raw, o, keys, value, r)
		if err != nil {
			return err
		}
		for _, v := range order {
			m, err := measure(v, o, keys, value, r)
			if err != nil {
				return err
			}
			after, err := measure(raw, o, keys, value, r)
			if err != nil {
				return err
			}
			v.ratio = append(v.ratio, m.tput/((prev.tput+after.tput)/2))
			v.cpuDelta = append(v.cpuDelta, m.cpuUs-(prev.cpuUs+after.cpuUs)/2)
			raw.ratio = append(raw.ratio, after.tput/prev.tput)
			raw.cpuDelta = append(raw.cpuDelta, after.cpuUs-prev.cpuUs)
			prev = after
		}
	}
	printTable(variants)
	fmt.Printf("\nLoad average at the end: %s. ", loadAvg())
	fmt.Printf("Medians over %d rounds of %d commands a trial, in %s. The raw row compares consecutive raw trials: the noise floor.\n",
		o.rounds, o.n, time.Since(start).Round(time.Second))
	return nil
}

// discard is a span exporter that drops everything.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

func sdkProviders() (*sdktrace.TracerProvider, *sdkmetric.MeterProvider, func()) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discard{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	return tp, mp, func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	}
}

func buildVariants(o options, addr string) ([]*variant, error) {
	all := []string{"raw", "disabled", "rediscache", "metrics", "tracing+metrics", "no-sdk", "redisotel",
		"ap", "ap+metrics", "ap+tracing+metrics", "fd", "fd+metrics", "fd+tracing+metrics", "hd+tracing+metrics", "rueidis-ap", "csc-go-redis", "csc", "csc+metrics", "csc+tracing+metrics", "csc+hit-spans", "csc-nofront", "csc-nofront+metrics"}
	want := all
	if o.variants != "" {
		want = []string{"raw"}
		for _, v := range strings.Split(o.variants, ",") {
			v = strings.TrimSpace(v)
			if !slices.Contains(all, v) {
				return nil, fmt.Errorf("unknown variant %q (have %s)", v, strings.Join(all, ", "))
			}
			if !slices.Contains(want, v) {
				want = append(want, v)
			}
		}
	}
	var out []*variant
	for _, name := range want {
		var v *variant
		var err error
		// The goroutines a variant starts (span processors, pipeliners)
		// carry its profile label too.
		pprof.Do(context.Background(), pprof.Labels("variant", name), func(context.Context) {
			v, err = buildVariant(o, addr, name)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// buildVariant builds the variant called name.
func buildVariant(o options, addr, name string) (*variant, error) {
	switch {
	case name == "csc+hit-spans":
		return hitSpansVariant(o, addr)
	case name == "rueidis-ap":
		return rueidisVariant(o, addr)
	case strings.HasPrefix(name, "fd") || strings.HasPrefix(name, "hd"):
		tp, mp, stop := sdkProviders()
		c, closeClient, err := autoPipelineVariant(o, addr, name, tp, mp)
		if err != nil {
			stop()
			return nil, err
		}
		return &variant{name: name, client: goRedis{c}, close: func() { closeClient(); stop() }}, nil
	case name == "rediscache" || strings.HasPrefix(name, "ap") || strings.HasPrefix(name, "csc") && name != "csc-go-redis":
		return rediscacheVariant(o, addr, name)
	}
	ropts := &redis.Options{
		Addr:                     addr,
		PoolSize:                 o.c,
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	if name == "csc-go-redis" {
		ropts.Protocol = 3
		ropts.ClientSideCacheConfig = &redis.ClientSideCacheConfig{}
	}
	c := redis.NewClient(ropts)
	v := &variant{name: name, client: goRedis{c}}
	cleanups := []func(){func() { _ = c.Close() }}
	var cfg *telemetry.Config
	switch name {
	case "disabled":
		cfg = &telemetry.Config{Name: name, DisableTracing: true, DisableMetrics: true}
	case "metrics":
		_, mp, stop := sdkProviders()
		cleanups = append(cleanups, stop)
		cfg = &telemetry.Config{Name: name, MeterProvider: mp, DisableTracing: true}
	case "tracing+metrics", "redisotel":
		tp, mp, stop := sdkProviders()
		cleanups = append(cleanups, stop)
		cfg = &telemetry.Config{Name: name, TracerProvider: tp, MeterProvider: mp, Redisotel: name == "redisotel"}
	case "no-sdk":
		cfg = &telemetry.Config{Name: name}
	}
	if cfg != nil {
		stop, err := telemetry.Instrument(c, *cfg)
		if err != nil {
			return nil, err
		}
		cleanups = append(cleanups, func() { _ = stop() })
	}
	v.close = func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	return v, nil
}

// rediscacheVariant is a client built by rediscache.New: "rediscache"
// with telemetry off, the ap* and csc* variants in the multiplexed mode.
func rediscacheVariant(o options, addr, name string) (*variant, error) {
	opts := []settings.Option{
		settings.WithConnectionString(addr + ",setlib=false"),
		settings.DisableHealthChecks(),
		settings.ConfigureOptions(func(opts *redis.UniversalOptions) { opts.PoolSize = o.c }),
	}
	deps := rediscache.Deps{Logger: slog.New(slog.DiscardHandler)}
	var cleanup func()
	switch {
	case strings.HasSuffix(name, "+tracing+metrics"):
		tp, mp, stop := sdkProviders()
		deps.TracerProvider, deps.MeterProvider, cleanup = tp, mp, stop
	case strings.HasSuffix(name, "+metrics"):
		_, mp, stop := sdkProviders()
		deps.MeterProvider, cleanup = mp, stop
		opts = append(opts, settings.DisableTracing())
	default:
		opts = append(opts, settings.DisableTracing(), settings.DisableMetrics())
	}
	if strings.HasPrefix(name, "ap") {
		opts = append(opts, settings.EnableAutoPipelining(), func(s *settings.Settings) {
			s.AutoPipeliningBatchSize = o.apBatch
			s.AutoPipeliningFlushDelay = o.apDelay
			s.AutoPipeliningConcurrency = o.apConcurrency
		})
	}
	if strings.HasPrefix(name, "csc") {
		opts = append(opts, settings.EnableClientSideCaching())
	}
	if strings.HasPrefix(name, "csc-nofront") {
		// GET's fast path is off with a TTL (internal/multiplex, front.go);
		// an hour never expires within a run.
		opts = append(opts, func(s *settings.Settings) { s.ClientSideCacheTTL = time.Hour })
	}
	inst, err := rediscache.New(name, deps, opts...)
	if err != nil {
		return nil, err
	}
	if name == "rediscache" {
		if _, ok := inst.Client.(*redis.Client); !ok {
			_ = inst.Close()
			return nil, fmt.Errorf("rediscache variant: got %T, want *redis.Client", inst.Client)
		}
	}
	return &variant{name: name, client: goRedis{inst.Client}, close: func() {
		_ = inst.Close()
		if cleanup != nil {
			cleanup()
		}
	}}, nil
}

// hitSpansVariant is csc+tracing+metrics with a span for every cache hit.
func hitSpansVariant(o options, addr string) (*variant, error) {
	cache := multiplex.NewCache(0, 0)
	c := redis.NewClient(&redis.Options{
		Addr: addr, PoolSize: o.c, DisableIdentity: true, Protocol: 3, ClientSideCache: cache,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	tp, mp, stop := sdkProviders()
	front, stopTel, err := multiplex.Instrument(
		multiplex.Multiplexed{Base: c, Front: c, Cache: cache, TraceCacheHits: true},
		instrument.Config{Name: "csc+hit-spans", TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		_ = c.Close()
		stop()
		return nil, err
	}
	return &variant{name: "csc+hit-spans", client: goRedis{front}, close: func() {
		_ = front.Close()
		_ = stopTel()
		stop()
	}}, nil
}

// rueidisVariant is rueidis with its default auto-pipelining.
func rueidisVariant(o options, addr string) (*variant, error) {
	c, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:      []string{addr},
		DisableCache:     true,
		BlockingPoolSize: o.c,
	})
	if err != nil {
		return nil, fmt.Errorf("rueidis: %w", err)
	}
	return &variant{name: "rueidis-ap", client: rueidisClient{c}, close: c.Close}, nil
}

// commander runs one command of the workload: SET key value, or GET key.
// With an empty key and set, it sets every key of keys (the hot workload's
// preparation).
type commander interface {
	do(ctx context.Context, set bool, key string, keys []string, value string) error
}

type goRedis struct{ c redis.Cmdable }

func (g goRedis) do(ctx context.Context, set bool, key string, keys []string, value string) error {
	if set && key == "" {
		for _, k := range keys {
			if err := g.c.Set(ctx, k, value, 0).Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if set {
		return g.c.Set(ctx, key, value, 0).Err()
	}
	err := g.c.Get(ctx, key).Err()
	if err == redis.Nil {
		return nil
	}
	return err
}

type rueidisClient struct{ c rueidis.Client }

func (r rueidisClient) do(ctx context.Context, set bool, key string, _ []string, value string) error {
	if set {
		return r.c.Do(ctx, r.c.B().Set().Key(key).Value(value).Build()).Error()
	}
	err := r.c.Do(ctx, r.c.B().Get().Key(key).Build()).Error()
	if rueidis.IsRedisNil(err) {
		return nil
	}
	return err
}

type result struct {
	tput, cpuUs, allocs, bytes, p99 float64
}

// measure runs one trial of v and records it.
func measure(v *variant, o options, keys []string, value string, round int) (result, error) {
	var m result
	var err error
	// Profile samples carry the variant: go tool pprof -tagfocus variant=ap
	pprof.Do(context.Background(), pprof.Labels("variant", v.name), func(context.Context) {
		m, err = trial(v.client, o, keys, value, o.n)
	})
	if err != nil {
		return m, fmt.Errorf("round %d %s: %w", round+1, v.name, err)
	}
	v.tput = append(v.tput, m.tput)
	v.cpu = append(v.cpu, m.cpuUs)
	v.allocs = append(v.allocs, m.allocs)
	v.bytes = append(v.bytes, m.bytes)
	v.p99 = append(v.p99, m.p99)
	if o.verbose {
		fmt.Printf("round %d %-16s %9.0f ops/s %6.2f µs/op %5.1f allocs/op\n", round+1, v.name, m.tput, m.cpuUs, m.allocs)
	}
	return m, nil
}

// trial runs n commands and measures them.
func trial(c commander, o options, keys []string, value string, n int) (result, error) {
	ctx := context.Background()
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	t0 := time.Now()

	var next atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	lat := make([][]time.Duration, o.c)
	hot := o.workload == "hot"
	for g := range o.c {
		lat[g] = make([]time.Duration, 0, n/o.c+1)
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				var key string
				set := false
				if hot {
					key = keys[i%len(keys)]
				} else {
					key = keys[(i/2)%len(keys)]
					set = i%2 == 0
				}
				s := time.Now()
				err := c.do(ctx, set, key, keys, value)
				lat[g] = append(lat[g], time.Since(s))
				if err != nil {
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	wg.Wait()

	elapsed := time.Since(t0)
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&ms1)
	if p := firstErr.Load(); p != nil {
		return result{}, *p
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return result{
		tput:   float64(n) / elapsed.Seconds(),
		cpuUs:  float64(cpu.Microseconds()) / float64(n),
		allocs: float64(ms1.Mallocs-ms0.Mallocs) / float64(n),
		bytes:  float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(n),
		p99:    float64(all[len(all)*99/100].Microseconds()),
	}, nil
}

// cpuTime is the user+system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func printTable(vs []*variant) {
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "variant\tthroughput vs raw\tmin–max\tops/s\tCPU µs/op\tCPU µs/op vs raw\tp99 µs\tallocs/op\tB/op\t")
	for _, v := range vs {
		fmt.Fprintf(w, "%s\t%.3f\t%.3f–%.3f\t%.0f\t%.2f\t%+.2f\t%.0f\t%.1f\t%.0f\t\n",
			v.name, median(v.ratio), slices.Min(v.ratio), slices.Max(v.ratio),
			median(v.tput), median(v.cpu), median(v.cpuDelta), median(v.p99), median(v.allocs), median(v.bytes))
	}
	_ = w.Flush()
}

func printHeader(o options, srv *server) {
	fmt.Printf("date        %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Printf("machine     %d CPUs (GOMAXPROCS %d), %s, %s/%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("go          %s; %s\n", runtime.Version(), srv.version)
	fmt.Printf("load        %s (1/5/15-minute load average at start)\n", loadAvg())
	what := "SET/GET"
	if o.workload == "hot" {
		what = "GET"
	}
	fmt.Printf("workload    %d goroutines, PoolSize %d, %d commands/trial, %s over %d keys, %d-byte values, %d rounds\n",
		o.c, o.c, o.n, what, o.keys, o.valueSize, o.rounds)
}

// loadAvg is the system load average: other work on the machine makes the
// numbers noisy.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// server is the redis-server this command runs.
type server struct {
	cmd     *exec.Cmd
	addr    string
	version string
	dir     string
	once    sync.Once
}

func startServer(path string) (*server, error) {
	bin, err := exec.LookPath(path)
	if err != nil {
		return nil, fmt.Errorf("redis-server not found (%w); install it (apt-get install redis-server) or pass -redis-server", err)
	}
	ver, _ := exec.Command(bin, "--version").Output()
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "redis-bench-")
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", "")
		cmd.Stdout, cmd.Stderr = nil, nil
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting %s: %w", bin, err)
		}
		s := &server{cmd: cmd, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), version: strings.TrimSpace(string(ver)), dir: dir}
		if err := s.waitReady(); err == nil {
			return s, nil
		} else if attempt >= 3 {
			s.stop()
			return nil, err
		}
		s.stop()
	}
}

func (s *server) waitReady() error {
	c := redis.NewClient(&redis.Options{Addr: s.addr, DisableIdentity: true, MaxRetries: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(context.Background()).Err()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s did not answer: %w", s.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
		_ = os.RemoveAll(s.dir)
	})
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
