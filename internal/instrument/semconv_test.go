package instrument

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestParseConventions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Conventions
	}{
		{"", ConventionsAspire},
		{"http", ConventionsAspire},
		{"database", ConventionsStable},
		{" Database ", ConventionsStable},
		{"http,database", ConventionsStable},
		{"database/dup", ConventionsDup},
		{"database,database/dup", ConventionsDup}, // dup wins, whatever the order
		{"database/dup,database", ConventionsDup},
		{"databases", ConventionsAspire},
		{"http/dup, database", ConventionsStable},
	} {
		if got := parseConventions(tc.in); got != tc.want {
			t.Errorf("parseConventions(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestConventions: the default adds db.system beside the current names,
// OTEL_SEMCONV_STABILITY_OPT_IN=database leaves only the current names,
// database/dup adds the v1.24 names the migration guide maps; metrics
// always carry the current names only.
func TestConventions(t *testing.T) {
	current := []string{"db.system.name", "db.operation.name", "db.namespace", "server.address", "server.port", "db.query.text"}
	for _, tc := range []struct {
		name string
		env  string      // OTEL_SEMCONV_STABILITY_OPT_IN
		conv Conventions // Config.Conventions
		old  map[string]any
	}{
		{name: "default", old: map[string]any{"db.system": "redis"}},
		{name: "database", env: "database"},
		{name: "database/dup", env: "http,database/dup", old: map[string]any{
			"db.system": "redis", "db.operation": "SET", "db.redis.database_index": int64(2), "db.statement": "SET k ?",
		}},
		{name: "config wins over env", env: "database/dup", conv: ConventionsStable},
		{name: "config aspire", env: "database", conv: ConventionsAspire, old: map[string]any{"db.system": "redis"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(SemconvStabilityEnv, tc.env)
			env := newEnv(t)
			mr, _ := newMini(t)
			opt := testOptions(mr.Addr())
			opt.DB = 2
			c := redis.NewClient(opt)
			t.Cleanup(func() { _ = c.Close() })
			cfg := configOf(env, "cache")
			cfg.QueryText = true
			cfg.Conventions = tc.conv
			instrument(t, c, cfg)
			if err := c.Set(context.Background(), "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			got := attrMap(spanNamed(t, env.Spans.GetSpans(), "SET").Attributes)
			for _, k := range current {
				if _, ok := got[k]; !ok {
					t.Errorf("%s missing: %v", k, got)
				}
			}
			if len(got) != len(current)+len(tc.old) {
				t.Errorf("attributes %v, want the current names and %v", got, tc.old)
			}
			for k, v := range tc.old {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			m := env.Metrics(t)["db.client.operation.duration"]
			h, ok := m.Data.(metricdata.Histogram[float64])
			if !ok || len(h.DataPoints) == 0 {
				t.Fatalf("no duration data: %+v", m)
			}
			for _, dp := range h.DataPoints {
				for _, kv := range dp.Attributes.ToSlice() {
					if _, old := tc.old[string(kv.Key)]; old || kv.Key == oldDBSystem {
						t.Errorf("metric carries the old name %s", kv.Key)
					}
				}
			}
		})
	}
}

// TestConventionsOnErrors: a failed command keeps the old names too, once
// each, and its error attributes.
func TestConventionsOnErrors(t *testing.T) {
	t.Setenv(SemconvStabilityEnv, "database/dup")
	env := newEnv(t)
	_, c := newMini(t)
	instrument(t, c, configOf(env, "cache"))
	ctx := context.Background()
	_ = c.Set(ctx, "s", "v", 0).Err()
	for range 2 { // the second uses the cached outcome
		if err := c.LPush(ctx, "s", "x").Err(); err == nil {
			t.Fatal("LPUSH on a string succeeded")
		}
	}
	for _, s := range env.Spans.GetSpans() {
		if s.Name != "LPUSH" {
			continue
		}
		seen := map[string]int{}
		for _, kv := range s.Attributes {
			seen[string(kv.Key)]++
		}
		for _, k := range []string{"db.system", "db.system.name", "db.operation", "db.redis.database_index", "error.type"} {
			if seen[k] != 1 {
				t.Errorf("%s recorded %d times: %v", k, seen[k], s.Attributes)
			}
		}
	}
}

// TestDashboardPeerResolution replays how the Aspire dashboard links a
// client span to a resource (ResourceOutgoingPeerResolver with
// OtlpHelpers.GetPeerAddress in microsoft/aspire): peer.service, else
// server.address + ":" + server.port, compared case-insensitively with the
// resource's host:port, with 127.0.0.1 read as localhost.
func TestDashboardPeerResolution(t *testing.T) {
	env := newEnv(t)
	mr, _ := newMini(t)
	_, port, _ := net.SplitHostPort(mr.Addr())
	// The address as an AppHost writes it into the connection string.
	c := redis.NewClient(testOptions("localhost:" + port))
	t.Cleanup(func() { _ = c.Close() })
	instrument(t, c, configOf(env, "cache"))
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	resource := "localhost:" + port // the Redis resource's endpoint
	a := attrMap(spanNamed(t, env.Spans.GetSpans(), "PING").Attributes)
	peer, ok := a["server.address"].(string)
	if !ok {
		t.Fatalf("no server.address: %v", a)
	}
	if p, ok := a["server.port"].(int64); ok {
		peer += ":" + strconv.FormatInt(p, 10)
	}
	normalise := func(s string) string {
		for _, h := range []string{"127.0.0.1:", "host.docker.internal:", "host.containers.internal:"} {
			if len(s) >= len(h) && strings.EqualFold(s[:len(h)], h) {
				return "localhost:" + s[len(h):]
			}
		}
		return s
	}
	if !strings.EqualFold(peer, resource) && !strings.EqualFold(normalise(peer), normalise(resource)) {
		t.Errorf("peer %q does not resolve to the resource %q", peer, resource)
	}
}
