package otlp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/internal/otlptest"
	"github.com/aspirego/redis/internal/testlog"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/otlp"
	"github.com/aspirego/redis/rediscache"
)

// TestModule: with an endpoint, otlp.Module gives the clients the SDK's
// providers, sets the otel globals when the application starts (not when
// the graph is built), exports the graph logger's records as well as
// printing them, and flushes everything when it stops.
func TestModule(t *testing.T) {
	recv := otlptest.Start(t, otlptest.Options{APIKey: "k"})
	mr := miniredis.RunT(t)
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", mr.Addr()+",setlib=false")
	// A server that is gone: go-redis logs its failed dials.
	dead := miniredis.RunT(t)
	deadAddr := dead.Addr()
	dead.Close()
	t.Setenv("ConnectionStrings__dead", deadAddr+",setlib=false,connectRetry=1,connectTimeout=200")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.Endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-otlp-api-key=k")
	t.Setenv("OTEL_SERVICE_NAME", "fx-svc")
	t.Cleanup(func() {
		otel.SetTracerProvider(tracenoop.NewTracerProvider())
		otel.SetMeterProvider(metricnoop.NewMeterProvider())
	})
	otel.SetTracerProvider(tracenoop.NewTracerProvider())
	before := otel.GetTracerProvider()

	var local testlog.Buffer
	var got struct {
		fx.In
		Providers *otlp.Providers
		Tracer    trace.TracerProvider
		Client    redis.UniversalClient
		Dead      redis.UniversalClient `name:"dead"`
		Logger    *slog.Logger
	}
	app := fxtest.New(t,
		fx.NopLogger,
		fx.Supply(slog.New(slog.NewTextHandler(&local, nil))),
		fxmodule.Module,
		otlp.Module,
		fx.Provide(rediscache.Client("cache"), keyed.Client("dead")),
		fx.Populate(&got),
	)
	if got.Providers == nil || got.Tracer != trace.TracerProvider(got.Providers.TracerProvider) {
		t.Fatalf("providers %+v, tracer provider %T", got.Providers, got.Tracer)
	}
	if otel.GetTracerProvider() != before {
		t.Error("otel globals set while building the graph")
	}
	app.RequireStart()
	if otel.GetTracerProvider() != trace.TracerProvider(got.Providers.TracerProvider) {
		t.Error("otel globals not set on start")
	}
	ctx, span := otel.Tracer("test").Start(context.Background(), "request")
	_ = got.Client.Get(ctx, "k").Err()
	got.Logger.InfoContext(ctx, "handled", slog.String("k", "v"))
	_ = got.Dead.Get(ctx, "k").Err()
	span.End()
	app.RequireStop() // flushes

	var get, req bool
	for _, s := range recv.Spans() {
		get = get || s.Name == "GET" && s.Attrs["db.system"] == "redis"
		req = req || s.Name == "request"
	}
	if !get || !req {
		t.Errorf("spans received: GET %v, request %v", get, req)
	}
	var logged bool
	for _, l := range recv.Logs() {
		if l.Body() == "handled" && len(l.TraceId) > 0 && l.Resource["service.name"] == "fx-svc" {
			logged = true
		}
	}
	if !logged {
		t.Errorf("log record not exported: %d records", len(recv.Logs()))
	}
	var lifecycle, goRedis bool
	for _, l := range recv.Logs() {
		lifecycle = lifecycle || l.Body() == "redis client built" && l.Attrs["redis.client"] == "cache"
		goRedis = goRedis || l.Attrs["logger"] == "go-redis"
	}
	if !lifecycle || !goRedis {
		t.Errorf("exported: this module's lifecycle line %v, a go-redis line %v\n%s", lifecycle, goRedis, local.String())
	}
	if !bytes.Contains([]byte(local.String()), []byte("handled")) {
		t.Errorf("log line not printed locally: %q", local.String())
	}
	if !recv.MetricNames()["db.client.operation.duration"] {
		t.Errorf("metrics received: %v", recv.MetricNames())
	}
}

// TestModuleNoEndpoint: without an endpoint nothing is built or set, and the
// graph's logger is the one supplied.
func TestModuleNoEndpoint(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "")
	logger := slog.New(slog.DiscardHandler)
	var got struct {
		fx.In
		Providers *otlp.Providers
		Logger    *slog.Logger
		Tracer    trace.TracerProvider
	}
	app := fxtest.New(t, fx.NopLogger, fx.Supply(logger), otlp.Module, fx.Populate(&got))
	app.RequireStart().RequireStop()
	if got.Providers != nil || got.Logger != logger || got.Tracer != otel.GetTracerProvider() {
		t.Errorf("providers %+v, logger changed %v, tracer %T", got.Providers, got.Logger != logger, got.Tracer)
	}
}

// TestModuleBadEnv: a variable Module cannot use fails the graph with an
// error that wraps ErrConfig and names the variable, before anything
// starts.
func TestModuleBadEnv(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
	app := fx.New(fx.NopLogger, otlp.Module, fx.Invoke(func(*otlp.Providers) {}))
	err := app.Err()
	if !errors.Is(err, otlp.ErrConfig) || !strings.Contains(err.Error(), `OTEL_EXPORTER_OTLP_PROTOCOL="http/json"`) {
		t.Fatalf("fx.New: %v, want otlp.ErrConfig naming OTEL_EXPORTER_OTLP_PROTOCOL", err)
	}
}

// stdLog sends the standard logger's output, where slog.Default() prints,
// to a buffer for the test, and restores the standard logger and slog's
// default when the test ends.
func stdLog(t *testing.T) *testlog.Buffer {
	t.Helper()
	var buf testlog.Buffer
	w, flags, def := log.Writer(), log.Flags(), slog.Default()
	log.SetOutput(&buf)
	t.Cleanup(func() {
		slog.SetDefault(def)
		log.SetOutput(w)
		log.SetFlags(flags)
		if buf.String() != "" {
			t.Logf("standard logger:\n%s", buf.String())
		}
	})
	return &buf
}

// service is a constructor of the application that logs.
type service struct{}

func newService(l *slog.Logger) (*service, error) {
	if l == nil {
		return nil, errors.New("the *slog.Logger is nil")
	}
	l.Info("service built")
	return &service{}, nil
}

// TestModuleLoggerWithoutEnv: with no OTEL_* variable and no logger in the
// graph, a constructor that takes a *slog.Logger gets slog.Default(), and
// slog's default is not changed.
func TestModuleLoggerWithoutEnv(t *testing.T) {
	otlp.ClearOTELEnv(t)
	t.Chdir(t.TempDir())
	out := stdLog(t)
	before := slog.Default()
	var got *slog.Logger
	app := fxtest.New(t,
		fx.NopLogger,
		fxmodule.Module,
		otlp.Module,
		fx.Provide(newService),
		fx.Invoke(func(*service) {}),
		fx.Populate(&got),
	)
	app.RequireStart()
	if slog.Default() != before {
		t.Error("slog.Default() changed without an endpoint")
	}
	app.RequireStop()
	if got != before {
		t.Errorf("the graph's logger is not slog.Default()")
	}
	if !strings.Contains(out.String(), "INFO service built") {
		t.Errorf("the constructor's line was not printed by slog.Default(): %q", out.String())
	}
}

// TestModuleDefaultLogger: with an endpoint, while the application runs
// slog.Default() is the exporting logger, so that records logged with
// slog's package-level functions (and the standard logger's lines) are
// printed and exported; stopping restores slog's default and the standard
// logger. Without a logger in the graph, or with slog's own default as the
// graph's logger (which, kept as it is, would call itself through the
// standard logger until it deadlocks), records are printed as text where
// the standard logger writes.
func TestModuleDefaultLogger(t *testing.T) {
	for _, tc := range []struct {
		name  string
		graph func(local io.Writer) *slog.Logger // the *slog.Logger in the graph, nil for none
		local bool                               // printed through it, not the standard logger
	}{
		{name: "no logger in the graph"},
		{name: "graph logger", graph: func(local io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(local, nil)) }, local: true},
		{name: "slog.Default() in the graph", graph: func(io.Writer) *slog.Logger { return slog.Default() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv := otlptest.Start(t, otlptest.Options{})
			logsTo(t, recv)
			t.Chdir(t.TempDir())
			std := stdLog(t)
			before, flags := slog.Default(), log.Flags()

			opts := []fx.Option{fx.NopLogger, fxmodule.Module, otlp.Module, fx.Provide(newService), fx.Invoke(func(*service) {})}
			var local testlog.Buffer
			if tc.graph != nil {
				opts = append(opts, fx.Supply(tc.graph(&local)))
			}
			printed := std
			if tc.local {
				printed = &local
			}
			var got *slog.Logger
			app := fxtest.New(t, append(opts, fx.Populate(&got))...)
			if slog.Default() != before {
				t.Fatal("slog.Default() changed while building the graph")
			}
			app.RequireStart()
			if slog.Default() != got {
				t.Error("slog.Default() is not the graph's logger while the application runs")
			}
			slog.Info("package-level", slog.Int("n", 1))
			log.Print("standard logger")
			app.RequireStop() // flushes
			if slog.Default() != before || log.Writer() != io.Writer(std) || log.Flags() != flags {
				t.Error("slog's default or the standard logger not restored on stop")
			}
			slog.Info("after stop")

			exported := map[string]bool{}
			for _, l := range recv.Logs() {
				exported[l.Body()] = true
			}
			for _, msg := range []string{"service built", "package-level", "standard logger"} {
				if !exported[msg] {
					t.Errorf("%q not exported; exported: %v", msg, exported)
				}
				if !strings.Contains(printed.String(), "msg=\""+msg+"\"") && !strings.Contains(printed.String(), "msg="+msg) {
					t.Errorf("%q not printed: %q", msg, printed.String())
				}
			}
			if !strings.Contains(std.String(), "INFO after stop") || exported["after stop"] {
				t.Errorf("after stop: printed by the previous default %v, exported %v", strings.Contains(std.String(), "after stop"), exported["after stop"])
			}
		})
	}
}

// logsTo makes otlp.Module export logs only, to recv.
func logsTo(t *testing.T, recv *otlptest.Receiver) {
	t.Helper()
	otlp.ClearOTELEnv(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.Endpoint)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
}

// exportingApp builds an application that exports logs as the environment
// says, and returns it with its logger.
func exportingApp(t *testing.T) (*fxtest.App, *slog.Logger) {
	t.Helper()
	var l *slog.Logger
	app := fxtest.New(t, fx.NopLogger, otlp.Module, fx.Populate(&l))
	return app, l
}

// TestModuleTwoApps: with several applications in one process, the last
// one started is slog's default; stopping one puts back what it replaced
// only while its logger is the default, and hands it to the next one
// otherwise; in the end slog's default and the standard logger are as
// before, whatever the order, concurrently too (-race).
func TestModuleTwoApps(t *testing.T) {
	recv := otlptest.Start(t, otlptest.Options{})
	check := func(t *testing.T, std *testlog.Buffer, before *slog.Logger, flags int) {
		t.Helper()
		if slog.Default() != before || log.Writer() != io.Writer(std) || log.Flags() != flags {
			t.Error("slog's default or the standard logger not put back")
		}
	}
	t.Run("stopped in reverse order", func(t *testing.T) {
		logsTo(t, recv)
		std := stdLog(t)
		before, flags := slog.Default(), log.Flags()
		a, la := exportingApp(t)
		b, lb := exportingApp(t)
		a.RequireStart()
		b.RequireStart()
		if slog.Default() != lb {
			t.Error("the last application started is not slog's default")
		}
		b.RequireStop()
		if slog.Default() != la {
			t.Error("stopping the last application did not put back the first one's logger")
		}
		a.RequireStop()
		check(t, std, before, flags)
	})
	t.Run("stopped in start order", func(t *testing.T) {
		logsTo(t, recv)
		std := stdLog(t)
		before, flags := slog.Default(), log.Flags()
		a, _ := exportingApp(t)
		b, lb := exportingApp(t)
		a.RequireStart()
		b.RequireStart()
		a.RequireStop()
		if slog.Default() != lb {
			t.Error("stopping the first application changed slog's default")
		}
		b.RequireStop()
		check(t, std, before, flags)
	})
	t.Run("set by the service", func(t *testing.T) {
		logsTo(t, recv)
		stdLog(t)
		a, _ := exportingApp(t)
		a.RequireStart()
		mine := slog.New(slog.DiscardHandler)
		slog.SetDefault(mine)
		a.RequireStop()
		if slog.Default() != mine {
			t.Error("stopping the application replaced the default the service set")
		}
	})
	t.Run("built while another runs", func(t *testing.T) {
		// The second application prints as the first does but exports to
		// its own endpoint only.
		recvA, recvB := otlptest.Start(t, otlptest.Options{}), otlptest.Start(t, otlptest.Options{})
		logsTo(t, recvA)
		std := stdLog(t)
		before, flags := slog.Default(), log.Flags()
		a, _ := exportingApp(t)
		a.RequireStart()
		logsTo(t, recvB)
		b, lb := exportingApp(t)
		b.RequireStart()
		lb.Info("from b")
		b.RequireStop()
		a.RequireStop()
		check(t, std, before, flags)
		for _, l := range recvA.Logs() {
			if l.Body() == "from b" {
				t.Error("the second application's record was exported by the first")
			}
		}
		if n := len(recvB.Logs()); n != 1 || strings.Count(std.String(), "from b") != 1 {
			t.Errorf("the second application's record: exported %d times, printed %q", n, std.String())
		}
	})
	t.Run("concurrently", func(t *testing.T) {
		logsTo(t, recv)
		std := stdLog(t)
		before, flags := slog.Default(), log.Flags()
		apps := make([]*fxtest.App, 4)
		for i := range apps {
			apps[i], _ = exportingApp(t)
		}
		var wg sync.WaitGroup
		for _, app := range apps {
			wg.Go(func() {
				app.RequireStart()
				slog.Info("running")
				app.RequireStop()
			})
		}
		wg.Wait()
		check(t, std, before, flags)
	})
}
