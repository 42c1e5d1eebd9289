package testserver

import (
	"fmt"
	"testing"

	"github.com/aspirego/redis/internal/secrettest"
)

// TestRedactCorpus feeds the shared corpus of tricky passwords to the
// harness's log and error scrubbing, in the spellings a log or an error
// may use.
func TestRedactCorpus(t *testing.T) {
	t.Parallel()
	for _, pw := range secrettest.Passwords {
		text := func(pw string) string {
			srv := &Server{Host: "127.0.0.1", Port: 20001, Addr: "127.0.0.1:20001", opts: Options{Password: pw}}
			srv.rememberSecrets()
			return srv.redact(fmt.Sprintf("requirepass %s\nAUTH %q failed; url %s; cs %s", pw, pw, srv.URL(), srv.ConnectionString()))
		}
		secrettest.NoSecret(t, "redact", text(pw), text(secrettest.Neutral), pw, 3)
	}
}
