package multiplex

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/aspirego/redis/internal/instrument"
	"github.com/aspirego/redis/internal/secrettest"
	"github.com/aspirego/redis/internal/testserver"
)

// TestSecretErrorReplies: a server error reply that echoes an argument of a
// command whose arguments can hold a secret never reaches the span status
// or error.type, in a command or a batch, in every instrumentation mode
// (hooks, redisotel, multiplexed), for every password of the secret corpus.
// Redis answers a malformed ACL SETUSER modifier with
// "ERR Error in ACL SETUSER modifier '<modifier>': Syntax error" and an
// unknown HELLO option with "ERR Syntax error in HELLO option '<option>'".
func TestSecretErrorReplies(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	commands := func(pw string) [][]any {
		return [][]any{
			{"acl", "setuser", "u", "on", "<" + pw},
			{"config", "set", "maxmemory", pw},
			{"auth", "nobody", pw},
			{"hello", "3", "auth", "default", "x", pw},
		}
	}
	for _, mode := range []string{"hooks", "redisotel", "multiplexed"} {
		t.Run(mode, func(t *testing.T) {
			env := newEnv(t)
			cfg := configOf(env, "cache")
			cfg.QueryText = true
			cfg.ConnectionSetup = true // records the application's AUTH too
			cfg.Redisotel = mode == "redisotel"
			var c redis.UniversalClient
			if mode == "multiplexed" {
				base := redis.NewClient(srv.ClientOptions())
				ap, err := base.AutoPipeline()
				if err != nil {
					t.Fatal(err)
				}
				mc, stop, err := Instrument(Multiplexed{Base: base, Front: ap}, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = stop(); _ = mc.Close() })
				c = mc
			} else {
				pc := redis.NewClient(srv.ClientOptions())
				t.Cleanup(func() { _ = pc.Close() })
				stop, err := instrument.Instrument(pc, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = stop() })
				c = pc
			}
			ctx := context.Background()

			// run sends the commands with pw and returns the spans they
			// made, and all those spans show, as text.
			run := func(t *testing.T, pw string) (tracetest.SpanStubs, string) {
				t.Helper()
				env.Spans.Reset()
				for _, args := range commands(pw) {
					err := c.Do(ctx, args...).Err()
					if err == nil {
						t.Fatalf("%v succeeded", args[:2])
					}
					if args[0] == "acl" && pw == secrettest.Neutral && !strings.Contains(err.Error(), pw) {
						t.Fatalf("the server no longer echoes the modifier (%v): the test proves nothing", err)
					}
				}
				pipe := c.Pipeline()
				pipe.Get(ctx, "k")
				pipe.Do(ctx, "acl", "setuser", "u", "on", "<"+pw)
				_, _ = pipe.Exec(ctx)
				spans := env.Spans.GetSpans()
				var b strings.Builder
				for _, s := range spans {
					fmt.Fprintln(&b, s.Name, s.Status, s.Attributes, s.Events)
				}
				return spans, b.String()
			}

			_, baseline := run(t, secrettest.Neutral) // also checks that the server echoes
			for _, pw := range secrettest.Passwords {
				_, out := run(t, pw)
				secrettest.NoSecret(t, mode+" spans", out, baseline, pw, 3)
			}

			spans, _ := run(t, "s3cr3t-Hunter2-pw")
			failed := map[string]bool{}
			for _, s := range spans {
				if s.Status.Code == codes.Error {
					failed[s.Name] = true
				}
			}
			if mode == "redisotel" {
				return // redisotel does not trace these commands at all
			}
			for _, name := range []string{"ACL", "CONFIG", "AUTH", "HELLO", "PIPELINE"} {
				if !failed[name] {
					t.Errorf("no failed %s span", name)
				}
			}
			for _, name := range []string{"ACL", "HELLO"} {
				s := spanNamed(t, spans, name)
				if got := attrMap(s.Attributes)["error.type"]; got != "ERR" {
					t.Errorf("%s error.type = %v, want ERR", name, got)
				}
				if !strings.HasPrefix(s.Status.Description, "ERR (server reply not recorded") {
					t.Errorf("%s status = %q", name, s.Status.Description)
				}
			}
		})
	}
}
