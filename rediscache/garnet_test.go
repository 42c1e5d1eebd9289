package rediscache_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/aspirego/redis/internal/testserver"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

// TestGarnetHandshake connects through a fake RESP server that rejects one
// handshake command at a time with the error text Garnet (microsoft/garnet,
// CmdStrings.cs) sends for what it does not implement, and checks that the
// client and its health check still work: go-redis falls back from a
// rejected HELLO to AUTH and RESP2, and ignores a rejected CLIENT SETINFO
// or (in its auto mode) CLIENT MAINT_NOTIFICATIONS. docs/garnet.md lists
// the results.
func TestGarnetHandshake(t *testing.T) {
	const password = "garnet-pw;1"
	auto := func(o *redis.UniversalOptions) {
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeAuto}
	}
	for _, tc := range []struct {
		name      string
		reject    map[string]string
		conn      string // appended to host:port,password=...
		configure func(*redis.UniversalOptions)
		want      []string // commands the client must have sent
	}{
		{name: "everything accepted", want: []string{"HELLO", "CLIENT SETINFO"}},
		{name: "HELLO unknown", reject: map[string]string{"HELLO": testserver.GarnetUnknownCommand}, want: []string{"HELLO", "AUTH"}},
		{name: "HELLO 3 refused", reject: map[string]string{"HELLO": "NOPROTO unsupported protocol version"}, want: []string{"HELLO", "AUTH"}},
		{name: "CLIENT SETINFO unknown", reject: map[string]string{"CLIENT SETINFO": testserver.GarnetUnknownSubcommand("SETINFO")}, want: []string{"CLIENT SETINFO"}},
		{name: "CLIENT unknown", reject: map[string]string{"CLIENT": testserver.GarnetUnknownCommand}, want: []string{"CLIENT SETINFO"}},
		{name: "SELECT with a database", conn: ",defaultDatabase=2", want: []string{"SELECT"}},
		{name: "CLIENT SETNAME", conn: ",name=orders", want: []string{"CLIENT SETNAME"}},
		{name: "CLIENT SETNAME unknown", conn: ",name=orders",
			reject: map[string]string{"CLIENT SETNAME": testserver.GarnetUnknownSubcommand("SETNAME")}, want: []string{"CLIENT SETNAME"}},
		{name: "maintenance notifications unknown (auto mode)", configure: auto,
			reject: map[string]string{"CLIENT MAINT_NOTIFICATIONS": testserver.GarnetUnknownSubcommand("MAINT_NOTIFICATIONS")},
			want:   []string{"CLIENT MAINT_NOTIFICATIONS"}},
		{name: "maintenance notifications and HELLO unknown (auto mode)", configure: auto,
			reject: map[string]string{"HELLO": testserver.GarnetUnknownCommand, "CLIENT MAINT_NOTIFICATIONS": testserver.GarnetUnknownCommand},
			want:   []string{"HELLO", "AUTH"}},
		{name: "CLIENT TRACKING unknown", reject: map[string]string{"CLIENT TRACKING": testserver.GarnetUnknownSubcommand("TRACKING")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake, inst := garnetClient(t, password, tc.reject, tc.conn, tc.configure)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := inst.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatalf("SET: %v (commands seen: %v)", err, fake.Seen())
			}
			if got, err := inst.Client.Get(ctx, "k").Result(); err != nil || got != "v" {
				t.Fatalf("GET = %q, %v", got, err)
			}
			if len(inst.Checks) != 1 {
				t.Fatalf("%d checks", len(inst.Checks))
			}
			if err := inst.Checks[0].Run(ctx); err != nil {
				t.Errorf("health check: %v", err)
			}
			seen := fake.Seen()
			for _, w := range tc.want {
				if !slices.Contains(seen, w) {
					t.Errorf("the client never sent %s: %v", w, seen)
				}
			}
			t.Logf("commands: %s", strings.Join(seen, ", "))
		})
	}
}

// TestGarnetHandshakeFailures: what a server must implement. A rejected
// AUTH or SELECT cannot be worked around (the client would run
// unauthenticated or on the wrong database): commands fail with the
// server's error, and the health check reports it.
func TestGarnetHandshakeFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		reject    map[string]string
		conn      string
		configure func(*redis.UniversalOptions)
		want      string
	}{
		{name: "AUTH unknown", reject: map[string]string{"HELLO": testserver.GarnetUnknownCommand, "AUTH": testserver.GarnetUnknownCommand}, want: "unknown command"},
		{name: "SELECT unknown", reject: map[string]string{"SELECT": testserver.GarnetUnknownCommand}, conn: ",defaultDatabase=1", want: "unknown command"},
		{name: "maintenance notifications required but unknown", reject: map[string]string{"CLIENT MAINT_NOTIFICATIONS": testserver.GarnetUnknownSubcommand("MAINT_NOTIFICATIONS")},
			configure: func(o *redis.UniversalOptions) {
				o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeEnabled}
			}, want: "MAINT_NOTIFICATIONS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, inst := garnetClient(t, "pw", tc.reject, tc.conn, tc.configure)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := inst.Client.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("PING error %v, want one containing %q", err, tc.want)
			}
			if err := inst.Checks[0].Run(ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("health check error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// garnetClient builds a client of a fake Garnet that rejects the commands
// in reject, from host:port,password=...,conn, with configure applied to
// its go-redis options.
func garnetClient(t *testing.T, password string, reject map[string]string, conn string, configure func(*redis.UniversalOptions)) (*testserver.Fake, *rediscache.Instance) {
	t.Helper()
	fake := testserver.StartFake(t, testserver.FakeOptions{Password: password, Reject: reject})
	opts := []settings.Option{settings.WithConnectionString(fake.Addr + ",password=" + password + ",connectTimeout=2000,syncTimeout=2000" + conn)}
	if configure != nil {
		opts = append(opts, settings.ConfigureOptions(configure))
	}
	inst, err := rediscache.New("garnet", rediscache.Deps{Logger: quiet()}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	return fake, inst
}

// quiet is a logger for tests that do not look at the log.
func quiet() *slog.Logger {
	l, _ := newLogger()
	return l
}
