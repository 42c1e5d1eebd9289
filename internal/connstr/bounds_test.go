package connstr

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aspirego/redis/internal/redact"
)

// manyPieces returns "localhost" followed by n pieces made by piece(i).
func manyPieces(n int, piece func(i int) string) string {
	var b strings.Builder
	b.WriteString("localhost")
	for i := range n {
		b.WriteByte(',')
		b.WriteString(piece(i))
	}
	return b.String()
}

// shown is everything a connection shows: String, GoString and a slog
// JSON line.
func shown(c *Connection) string {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v | %#v | ", c, c)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("c", "c", c)
	return buf.String()
}

// TestConnectionStringBoundedInput: large connection strings cost time
// linear in their length, and what they print is bounded. Before, 40,000
// unknown $NAME= pieces took 7–13 s (a quadratic duplicate check), as did
// 40,000 skipped endpoints, each of which became a logged warning; a 10 MB
// client name took seconds to redact and was printed whole;
// pool_size=2147483647 reached go-redis, whose pool sizes its structures
// by it.
func TestConnectionStringBoundedInput(t *testing.T) {
	const n = 40_000
	const maxPrinted = 8 << 10

	t.Run("unknown command-map entries", func(t *testing.T) {
		c, err := Parse(manyPieces(n, func(i int) string { return fmt.Sprintf("$X%d=", i) }))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Ignored) != n {
			t.Errorf("%d ignored; want %d", len(c.Ignored), n)
		}
		if out := shown(c); len(out) > maxPrinted || !strings.Contains(out, fmt.Sprintf("(%d more)", n-maxListed)) {
			t.Errorf("printed %d bytes; want at most %d, ending the list with a count: %.300s", len(out), maxPrinted, out)
		}
	})

	t.Run("skipped endpoints", func(t *testing.T) {
		c, err := Parse(manyPieces(n, func(i int) string { return fmt.Sprintf("h%d:x", i) }))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Warnings) != maxWarnings+1 {
			t.Fatalf("%d warnings; want %d and one that counts the rest", len(c.Warnings), maxWarnings+1)
		}
		if last := c.Warnings[maxWarnings]; !strings.Contains(last.Reason, fmt.Sprintf("%d more warnings", n-maxWarnings)) {
			t.Errorf("last warning %v", last)
		}
		if out := shown(c); len(out) > maxPrinted {
			t.Errorf("printed %d bytes; want at most %d", len(out), maxPrinted)
		}
	})

	t.Run("pieces after a password", func(t *testing.T) {
		s := "localhost,password=pw," + manyPieces(n, func(i int) string { return fmt.Sprintf("$X%d=", i) })[len("localhost,"):]
		secrets := Secrets(s)
		if len(secrets) != n+1 {
			t.Errorf("%d secrets; want %d", len(secrets), n+1)
		}
		sc := redact.NewScrubber(secrets...)
		if got := sc.Scrub("x $X17= y"); got != "x *** y" {
			t.Errorf("Scrub = %q", got)
		}
	})

	t.Run("10 MB client name", func(t *testing.T) {
		name := strings.Repeat("n", 10<<20)
		s := "localhost,password=pw,ssl=true,name=" + name
		c, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if c.Options.ClientName != name {
			t.Errorf("the client name was changed (%d bytes)", len(c.Options.ClientName))
		}
		if out := shown(c); len(out) > maxPrinted || !strings.Contains(out, "more bytes)") {
			t.Errorf("printed %d bytes; want at most %d with a count of the rest", len(out), maxPrinted)
		}
		if r := Redact(s); r != "localhost,password=***,ssl=true,name="+name {
			t.Errorf("Redact changed the name or kept the password (%d bytes)", len(r))
		}
	})

	t.Run("pool sizes", func(t *testing.T) {
		for _, p := range []string{"pool_size", "min_idle_conns", "max_idle_conns", "max_active_conns"} {
			c, err := Parse("redis://localhost?" + p + "=2147483647")
			if err != nil {
				t.Fatal(err)
			}
			o := c.Options
			got := map[string]int{"pool_size": o.PoolSize, "min_idle_conns": o.MinIdleConns, "max_idle_conns": o.MaxIdleConns, "max_active_conns": o.MaxActiveConns}[p]
			if got != maxPoolSize {
				t.Errorf("%s=2147483647 gives %d; want %d", p, got, maxPoolSize)
			}
			if len(c.Warnings) != 1 || c.Warnings[0].Key != p || !strings.Contains(c.Warnings[0].Reason, "10000 apply") {
				t.Errorf("%s: warnings %v", p, c.Warnings)
			}
			c, err = Parse("redis://localhost?" + p + "=10000")
			if err != nil || len(c.Warnings) != 0 {
				t.Errorf("%s=10000: %v, warnings %v", p, err, c.Warnings)
			}
		}
	})
}
