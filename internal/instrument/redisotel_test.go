package instrument

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/untraced"
)

func TestRedisotelMode(t *testing.T) {
	env := newEnv(t)
	_, c := newMini(t)
	cfg := configOf(env, "cache")
	cfg.Redisotel = true
	stop := instrument(t, c, cfg)
	ctx := context.Background()

	if err := c.Set(ctx, "k", "secret-value", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(untraced.Context(ctx)).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pipelined(untraced.Context(ctx), func(p redis.Pipeliner) error { p.Ping(ctx); return nil }); err != nil {
		t.Fatal(err)
	}

	spans := env.Spans.GetSpans()
	for _, s := range spans {
		for _, kv := range s.Attributes {
			if kv.Key == "db.statement" || strings.HasPrefix(string(kv.Key), "code.") {
				t.Errorf("span %s has %s", s.Name, kv.Key)
			}
			if strings.Contains(kv.Value.String(), "secret-value") {
				t.Errorf("span %s records a value: %s=%s", s.Name, kv.Key, kv.Value.String())
			}
		}
		if s.Name == "ping" || strings.HasPrefix(s.Name, "redis.pipeline") {
			t.Errorf("untraced command traced: %s", s.Name)
		}
	}
	spanNamed(t, spans, "set")

	m := env.Metrics(t)
	if _, ok := m["db.client.connections.usage"]; !ok {
		t.Errorf("no redisotel pool metrics: %v", m)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// redisotel unregisters its callbacks from a goroutine once stop closes
	// its channel; goleak in TestMain checks that goroutine ends.
}
