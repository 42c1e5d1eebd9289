package rediscache_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/fx"

	"github.com/aspirego/redis/keyed"
	"github.com/aspirego/redis/rediscache"
)

// BenchmarkNew measures resolving a client's settings from configuration
// and building it, without dialing (target: 50 µs).
func BenchmarkNew(b *testing.B) {
	cfg, err := settingsConfig(map[string]any{
		"ConnectionStrings:cache": "127.0.0.1:6379,password=secret,ssl=false,abortConnect=false,connectTimeout=2000",
		"Aspire:StackExchange:Redis:cache:ConfigurationOptions:SyncTimeout": 1000,
	})
	if err != nil {
		b.Fatal(err)
	}
	deps := rediscache.Deps{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	b.ReportAllocs()
	for b.Loop() {
		inst, err := rediscache.New("cache", deps)
		if err != nil {
			b.Fatal(err)
		}
		_ = inst.Close()
	}
}

// BenchmarkFxStartStop measures an fx application with three clients on
// miniredis, from fx.New to Stop (target: 20 ms).
func BenchmarkFxStartStop(b *testing.B) {
	srv := miniredis.RunT(b)
	conn := srv.Addr() + ",setlib=false"
	cfg, err := settingsConfig(map[string]any{"ConnectionStrings": map[string]any{"cache": conn, "chat": conn, "jobs": conn}})
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		app := fx.New(fx.NopLogger,
			fx.Supply(cfg, logger),
			fx.Provide(rediscache.Client("cache"), keyed.Client("chat"), keyed.Client("jobs")),
			fx.Invoke(fx.Annotate(func(a, c, j redis.UniversalClient) {}, fx.ParamTags(``, `name:"chat"`, `name:"jobs"`))),
		)
		if err := app.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if err := app.Stop(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
