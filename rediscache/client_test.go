package rediscache_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// clients is what the tests inject: the un-keyed client and two keyed ones.
type clients struct {
	fx.In
	Cache redis.UniversalClient
	Chat  redis.UniversalClient `name:"chat"`
	Jobs  redis.UniversalClient `name:"jobs"`
}

func TestClientsWriteToTheirOwnServerAndDB(t *testing.T) {
	a, b := miniredis.RunT(t), miniredis.RunT(t)
	cfg := config(t, map[string]any{
		"ConnectionStrings": map[string]any{
			"cache": miniConn(a, ""),
			"chat":  miniConn(b, ",defaultDatabase=3"),
			"jobs":  miniConn(a, ",defaultDatabase=5"),
		},
	})
	var got clients
	app := fxtest.New(t,
		fx.Supply(cfg),
		fx.Provide(rediscache.Client("cache")),
		fx.Provide(keyed.Client("chat")),
		fx.Provide(keyed.Client("jobs")),
		fx.Populate(&got),
	)
	app.RequireStart()
	defer app.RequireStop()

	ctx := context.Background()
	for _, w := range []struct {
		c   redis.UniversalClient
		key string
	}{{got.Cache, "from-cache"}, {got.Chat, "from-chat"}, {got.Jobs, "from-jobs"}} {
		if err := w.c.Set(ctx, w.key, "1", 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", w.key, err)
		}
	}
	tests := []struct {
		srv  *miniredis.Miniredis
		db   int
		want []string
	}{
		{a, 0, []string{"from-cache"}},
		{b, 3, []string{"from-chat"}},
		{a, 5, []string{"from-jobs"}},
		{b, 0, nil},
	}
	for _, tt := range tests {
		keys := tt.srv.DB(tt.db).Keys()
		if strings.Join(keys, ",") != strings.Join(tt.want, ",") {
			t.Errorf("server %s db %d holds %v, want %v", tt.srv.Addr(), tt.db, keys, tt.want)
		}
	}
	if got.Cache == got.Chat || got.Chat == got.Jobs {
		t.Error("keyed clients share an instance")
	}
}

func TestKeyedClientIsNotUnkeyed(t *testing.T) {
	srv := miniredis.RunT(t)
	app := fx.New(fx.NopLogger,
		fx.Supply(config(t, map[string]any{"ConnectionStrings:chat": miniConn(srv, "")})),
		fx.Provide(keyed.Client("chat")),
		fx.Invoke(func(redis.UniversalClient) {}),
	)
	if err := app.Err(); err == nil || !strings.Contains(err.Error(), "missing type: redis.UniversalClient") {
		t.Fatalf("un-keyed injection of a keyed-only client: err = %v", err)
	}
}

func TestPrecedenceFileEnvOption(t *testing.T) {
	file, env, code := miniredis.RunT(t), miniredis.RunT(t), miniredis.RunT(t)
	dir := t.TempDir()
	writeFile(t, dir, "appsettings.json", `{
		"ConnectionStrings": {"cache": "`+miniConn(file, "")+`", "chat": "`+miniConn(file, "")+`", "jobs": "`+miniConn(file, "")+`"}
	}`)
	t.Chdir(dir)
	// Keys are case-insensitive: the environment's spelling differs from the file's.
	t.Setenv("CONNECTIONSTRINGS__CHAT", miniConn(env, ""))
	t.Setenv("ConnectionStrings__Jobs", miniConn(env, ""))

	var got clients
	app := fxtest.New(t,
		fxmodule.Module,
		fx.Provide(rediscache.Client("cache")),
		fx.Provide(keyed.Client("chat")),
		fx.Provide(keyed.Client("jobs", settings.WithConnectionString(miniConn(code, "")))),
		fx.Populate(&got),
	)
	app.RequireStart()
	defer app.RequireStop()

	ctx := context.Background()
	got.Cache.Set(ctx, "k", "cache", 0)
	got.Chat.Set(ctx, "k", "chat", 0)
	got.Jobs.Set(ctx, "k", "jobs", 0)
	for _, tt := range []struct {
		name string
		srv  *miniredis.Miniredis
		want string
	}{{"file", file, "cache"}, {"env", env, "chat"}, {"code", code, "jobs"}} {
		if v, _ := tt.srv.Get("k"); v != tt.want {
			t.Errorf("%s server holds k=%q, want %q", tt.name, v, tt.want)
		}
	}
}

func TestEnvironmentOnly(t *testing.T) {
	srv := miniredis.RunT(t)
	t.Chdir(t.TempDir())
	t.Setenv("ConnectionStrings__cache", miniConn(srv, ""))
	t.Setenv("Aspire__StackExchange__Redis__cache__DisableHealthChecks", "true")

	var checks []healthcheck.Check
	var rdb redis.UniversalClient
	app := fxtest.New(t,
		fx.Provide(rediscache.Client("cache")), // no fxmodule: the constructor loads config itself
		fx.Populate(&rdb),
		fx.Invoke(fx.Annotate(func(c []healthcheck.Check) { checks = c }, fx.ParamTags(`group:"health_checks"`))),
	)
	app.RequireStart()
	defer app.RequireStop()
	if err := rdb.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := srv.Get("k"); v != "v" {
		t.Errorf("server holds %q", v)
	}
	if len(checks) != 0 {
		t.Errorf("DisableHealthChecks=true from the environment, but got checks %v", checks)
	}
}

func TestHealthChecksPerClient(t *testing.T) {
	srv := miniredis.RunT(t)
	var checks []healthcheck.Check
	app := fxtest.New(t,
		fx.Supply(config(t, map[string]any{"ConnectionStrings": map[string]any{
			"cache": miniConn(srv, ""), "chat": miniConn(srv, ""), "jobs": miniConn(srv, ""),
		}})),
		fx.Provide(rediscache.Client("cache")),
		fx.Provide(keyed.Client("chat")),
		fx.Provide(keyed.Client("jobs", settings.DisableHealthChecks())),
		fx.Invoke(fx.Annotate(func(c []healthcheck.Check) { checks = c }, fx.ParamTags(`group:"health_checks"`))),
	)
	app.RequireStart()
	defer app.RequireStop()
	var names []string
	for _, c := range checks {
		names = append(names, c.Name)
	}
	want := map[string]bool{"redis_cache": true, "redis_keyed_chat": true}
	if len(names) != 2 || !want[names[0]] || !want[names[1]] {
		t.Errorf("checks = %v, want redis_cache and redis_keyed_chat", names)
	}
}

func TestReplaceConfig(t *testing.T) {
	srv := miniredis.RunT(t)
	t.Chdir(t.TempDir())
	var rdb redis.UniversalClient
	app := fxtest.New(t,
		fxmodule.Module,
		fx.Replace(config(t, map[string]any{"connectionstrings:CACHE": miniConn(srv, "")})),
		fx.Provide(rediscache.Client("cache")),
		fx.Populate(&rdb),
	)
	app.RequireStart()
	defer app.RequireStop()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING through a replaced config: %v", err)
	}
}

func TestMissingConnectionString(t *testing.T) {
	for _, provide := range []struct {
		name string
		ctor any
	}{{"rediscache", rediscache.Client("cache")}, {"keyed", keyed.Client("cache")}} {
		t.Run(provide.name, func(t *testing.T) {
			app := fx.New(fx.NopLogger,
				fx.Supply(config(t, map[string]any{})),
				fx.Provide(provide.ctor),
				fx.Invoke(fx.Annotate(func(redis.UniversalClient) {}, fx.ParamTags(map[string]string{"rediscache": ``, "keyed": `name:"cache"`}[provide.name]))),
			)
			err := app.Start(context.Background())
			if err == nil {
				t.Fatal("start succeeded without a connection string")
			}
			for _, want := range []string{
				`client "cache"`,
				"No endpoints specified. Ensure a valid connection string was provided in 'ConnectionStrings:cache' or for the 'Aspire:StackExchange:Redis:ConnectionString' configuration key.",
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if !errors.Is(err, settings.ErrNoEndpoints) {
				t.Errorf("error is not ErrNoEndpoints: %v", err)
			}
		})
	}
}

func TestDuplicateNames(t *testing.T) {
	tests := []struct {
		name  string
		opts  []fx.Option
		wants string
	}{
		{"un-keyed", []fx.Option{fx.Provide(rediscache.Client("cache")), fx.Provide(rediscache.Client("cache"))}, "rediscache.Client(cache)"},
		{"keyed", []fx.Option{fx.Provide(keyed.Client("chat")), fx.Provide(keyed.Client("chat"))}, "keyed.Client(chat)"},
		{"two un-keyed names", []fx.Option{fx.Provide(rediscache.Client("cache")), fx.Provide(rediscache.Client("other"))}, "rediscache.Client(other)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := fx.New(append(tt.opts, fx.NopLogger)...)
			if err := app.Err(); err == nil || !strings.Contains(err.Error(), tt.wants) || !strings.Contains(err.Error(), "already provided") {
				t.Fatalf("err = %v, want an 'already provided' error naming %s", err, tt.wants)
			}
		})
	}
	// One un-keyed and one keyed client of the same name are two clients.
	srv := miniredis.RunT(t)
	app := fxtest.New(t,
		fx.Supply(config(t, map[string]any{"ConnectionStrings:cache": miniConn(srv, "")})),
		fx.Provide(rediscache.Client("cache")),
		fx.Provide(keyed.Client("cache")),
		fx.Invoke(fx.Annotate(func(a, b redis.UniversalClient) {
			if a == b {
				t.Error("un-keyed and keyed clients of one name are the same instance")
			}
		}, fx.ParamTags(``, `name:"cache"`))),
	)
	app.RequireStart().RequireStop()
}

func TestStopClosesClients(t *testing.T) {
	srv := miniredis.RunT(t)
	var got clients
	app := fxtest.New(t,
		fx.Supply(config(t, map[string]any{"ConnectionStrings": map[string]any{
			"cache": miniConn(srv, ""), "chat": miniConn(srv, ""), "jobs": miniConn(srv, ""),
		}})),
		fx.Provide(rediscache.Client("cache"), keyed.Client("chat"), keyed.Client("jobs")),
		fx.Populate(&got),
	)
	app.RequireStart()
	for _, c := range []redis.UniversalClient{got.Cache, got.Chat, got.Jobs} {
		if err := c.Ping(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
	}
	app.RequireStop()
	for i, c := range []redis.UniversalClient{got.Cache, got.Chat, got.Jobs} {
		if err := c.Ping(context.Background()).Err(); !errors.Is(err, redis.ErrClosed) {
			t.Errorf("client %d after stop: err = %v, want redis.ErrClosed", i, err)
		}
	}
}

func TestNoDialAtConstruction(t *testing.T) {
	srv := miniredis.RunT(t)
	var rdb redis.UniversalClient
	app := fxtest.New(t,
		fx.Supply(config(t, map[string]any{"ConnectionStrings:cache": miniConn(srv, "")})),
		fx.Provide(rediscache.Client("cache")),
		fx.Populate(&rdb),
	)
	app.RequireStart()
	defer app.RequireStop()
	if n := srv.TotalConnectionCount(); n != 0 {
		t.Errorf("%d connections after start with auto-activation off (the default), want 0", n)
	}
}

func TestAutoActivation(t *testing.T) {
	srv := miniredis.RunT(t)
	tests := []struct {
		name  string
		extra string
		opts  []settings.Option
		want  bool // a connection at start
	}{
		{"default", "", nil, false},
		{"DisableAutoActivation=false", "", []settings.Option{settings.EnableAutoActivation()}, true},
		{"abortConnect=true", ",abortConnect=true", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := srv.TotalConnectionCount()
			app := fxtest.New(t,
				fx.Supply(config(t, map[string]any{"ConnectionStrings:cache": miniConn(srv, tt.extra)})),
				fx.Provide(rediscache.Client("cache", tt.opts...)),
				fx.Invoke(func(redis.UniversalClient) {}),
			)
			app.RequireStart()
			got := srv.TotalConnectionCount() > before
			app.RequireStop()
			if got != tt.want {
				t.Errorf("connected at start = %v, want %v", got, tt.want)
			}
		})
	}
}

// deadAddr returns a loopback address with nothing listening.
func deadAddr(t *testing.T) (addr string, srv *miniredis.Miniredis) {
	t.Helper()
	srv = miniredis.RunT(t)
	addr = srv.Addr()
	srv.Close()
	return addr, srv
}

func TestAbortConnect(t *testing.T) {
	addr, _ := deadAddr(t)
	logger, logs := newLogger()
	app := fx.New(fx.NopLogger,
		fx.Supply(logger),
		fx.Supply(config(t, map[string]any{"ConnectionStrings:cache": addr + ",password=hunter22,abortConnect=true,connectTimeout=500"})),
		fx.Provide(rediscache.Client("cache")),
		fx.Invoke(func(redis.UniversalClient) {}),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := app.Start(ctx)
	if err == nil {
		t.Fatal("start succeeded with abortConnect=true and no server")
	}
	var ce *rediscache.Error
	if !errors.As(err, &ce) || ce.Client != "cache" || !errors.Is(err, rediscache.ErrConnect) {
		t.Fatalf("err = %v, want an *Error matching ErrConnect for client cache", err)
	}
	if !strings.Contains(err.Error(), `client "cache"`) || !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the client and its target", err)
	}
	if strings.Contains(err.Error(), "hunter22") || strings.Contains(logs.String(), "hunter22") {
		t.Errorf("password leaked: error %q, logs %s", err, logs)
	}
	if !strings.Contains(logs.String(), `"msg":"redis client closed"`) {
		t.Errorf("a client whose start failed was not closed; logs: %s", logs)
	}
}

func TestStartsWhileRedisIsDown(t *testing.T) {
	addr, srv := deadAddr(t)
	logger, logs := newLogger()
	var rdb redis.UniversalClient
	app := fxtest.New(t,
		fx.Supply(logger),
		fx.Supply(config(t, map[string]any{"ConnectionStrings:cache": addr + ",setlib=false,connectTimeout=300"})),
		// Auto-activation on: the start-up PING fails, and start goes on.
		fx.Provide(rediscache.Client("cache", settings.EnableAutoActivation())),
		fx.Populate(&rdb),
	)
	app.RequireStart()
	defer app.RequireStop()
	if !strings.Contains(logs.String(), "could not connect at start") {
		t.Errorf("no warning logged for the failed start-up PING; logs: %s", logs)
	}
	if err := rdb.Ping(context.Background()).Err(); err == nil {
		t.Fatal("PING succeeded with the server down")
	}
	if err := srv.StartAddr(addr); err != nil {
		t.Fatalf("restart miniredis on %s: %v", addr, err)
	}
	if err := rdb.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET after the server came up: %v", err)
	}
}

func TestLifecycleLogs(t *testing.T) {
	srv := miniredis.RunT(t)
	srv.RequireAuth("hunter22")
	logger, logs := newLogger()
	app := fxtest.New(t,
		fx.Supply(logger),
		fx.Supply(config(t, map[string]any{"ConnectionStrings:cache": miniConn(srv, ",password=hunter22")})),
		fx.Provide(rediscache.Client("cache", settings.EnableAutoActivation())),
		fx.Invoke(func(redis.UniversalClient) {}),
	)
	app.RequireStart().RequireStop()
	out := logs.String()
	for _, want := range []string{`"msg":"redis client built"`, `"msg":"redis client connected"`, `"msg":"redis client closed"`, `"redis.client":"cache"`, srv.Addr()} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter22") {
		t.Errorf("password in logs:\n%s", out)
	}
}

func TestNewWithoutFx(t *testing.T) {
	srv := miniredis.RunT(t)
	cfg := config(t, map[string]any{"ConnectionStrings:cache": miniConn(srv, ",abortConnect=true")})
	inst, err := rediscache.New("cache", rediscache.Deps{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := inst.Client.(*redis.Client); !ok {
		t.Errorf("client is %T, want *redis.Client", inst.Client)
	}
	if len(inst.Checks) != 1 || inst.Checks[0].Name != "redis_cache" {
		t.Errorf("checks = %+v", inst.Checks)
	}
	if err := inst.Checks[0].Run(context.Background()); err != nil {
		t.Errorf("health check: %v", err)
	}
	if err := inst.Close(); err != nil {
		t.Fatal(err)
	}
	if err := inst.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := inst.Client.Ping(context.Background()).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestTopologies(t *testing.T) {
	tests := []struct {
		conn string
		want string
	}{
		{"127.0.0.1:7000", "*redis.Client"},
		{"127.0.0.1:7000,127.0.0.1:7001", "*redis.ClusterClient"},
		{"127.0.0.1:26379,serviceName=mymaster", "*redis.Client"},
	}
	for _, tt := range tests {
		inst, err := rediscache.New("cache", rediscache.Deps{}, settings.WithConnectionString(tt.conn))
		if err != nil {
			t.Fatalf("%s: %v", tt.conn, err)
		}
		if got := typeName(inst.Client); got != tt.want {
			t.Errorf("%s: client is %s, want %s", tt.conn, got, tt.want)
		}
		if err := inst.Close(); err != nil {
			t.Errorf("%s: close: %v", tt.conn, err)
		}
	}
}
