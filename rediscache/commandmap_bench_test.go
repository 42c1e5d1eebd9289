package rediscache

import (
	"context"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/settings"
)

// BenchmarkCommandMap measures a GET through a client without a command
// map (no hook) and with one that disables another command (a hook that
// looks GET up and lets it through). Telemetry is off to isolate the hook.
//
//	go test ./rediscache -run '^$' -bench CommandMap -benchtime 20000x
func BenchmarkCommandMap(b *testing.B) {
	srv := miniredis.RunT(b)
	srv.Set("k", "v")
	for _, bc := range []struct {
		name string
		cm   map[string]string
	}{
		{"none", nil},
		{"FLUSHALL disabled", map[string]string{"FLUSHALL": ""}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			inst := withMap(b, srv.Addr()+",setlib=false", bc.cm, Deps{},
				settings.DisableTracing(), settings.DisableMetrics())
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := inst.Client.Get(ctx, "k").Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCommandMapHook measures the hook alone around a no-op: a
// command the map does not touch, and one it renames (and restores).
func BenchmarkCommandMapHook(b *testing.B) {
	cm, _ := newCommandMap("cache", map[string]string{"FLUSHALL": "", "SET": "MYSET"})
	run := commandMapHook{m: cm}.ProcessHook(func(context.Context, redis.Cmder) error { return nil })
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		cmd  redis.Cmder
	}{
		{"untouched", redis.NewStringCmd(ctx, "get", "k")},
		{"renamed", redis.NewStatusCmd(ctx, "set", "k", "v")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := run(ctx, bc.cmd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
