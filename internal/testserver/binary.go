package testserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SkipEnv is the environment variable that turns a missing server binary
// from a test failure into a skip: ASPIREGO_SKIP_REAL_SERVERS=1.
const SkipEnv = "ASPIREGO_SKIP_REAL_SERVERS"

// RequireValkeyEnv makes [EachBinary] fail, instead of reporting "not run",
// when valkey-server is not on PATH: ASPIREGO_REQUIRE_VALKEY=1.
const RequireValkeyEnv = "ASPIREGO_REQUIRE_VALKEY"

// Server binary names understood by [Options.Binary] and [EachBinary].
const (
	Redis  = "redis-server"
	Valkey = "valkey-server"
)

// Binaries reports which of redis-server and valkey-server are on PATH, in
// that order.
func Binaries() []string {
	var found []string
	for _, b := range []string{Redis, Valkey} {
		if _, err := exec.LookPath(b); err == nil {
			found = append(found, b)
		}
	}
	return found
}

// EachBinary runs fn as a subtest named after each server flavour
// (redis-server, valkey-server). A missing redis-server fails the test as
// [Require] does; a missing valkey-server is reported as
// "not run: valkey-server not on PATH" (a skip with that message), unless
// ASPIREGO_REQUIRE_VALKEY=1 is set.
func EachBinary(t *testing.T, fn func(t *testing.T, binary string)) {
	t.Helper()
	for _, b := range []string{Redis, Valkey} {
		t.Run(b, func(t *testing.T) {
			if b == Valkey && os.Getenv(RequireValkeyEnv) != "1" {
				if _, err := exec.LookPath(b); err != nil {
					t.Skipf("not run: %s not on PATH (set %s=1 to make this a failure)", b, RequireValkeyEnv)
				}
			}
			Require(t, b)
			fn(t, b)
		})
	}
}

// Require returns the path of binary (a name looked up on PATH, or a path).
// When it is missing the test fails with a message saying what to install;
// with ASPIREGO_SKIP_REAL_SERVERS=1 it is skipped instead, except in CI
// (CI=true, as CI services set it), where a real-server test never skips.
func Require(t testing.TB, binary string) string {
	t.Helper()
	path, err := lookBinary(binary)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("testserver: %v; install it with `%s` (or `make test-deps`; set %s=1 to skip tests that need real servers)",
		err, installHint(binary), SkipEnv)
	skip, _ := strconv.ParseBool(os.Getenv(SkipEnv))
	ci, _ := strconv.ParseBool(os.Getenv(CIEnv))
	switch {
	case skip && ci:
		t.Fatal(msg + "; " + SkipEnv + " is ignored when " + CIEnv + "=true")
	case skip:
		t.Skip(msg)
	}
	t.Fatal(msg)
	return ""
}

// CIEnv is set to true by CI services; then [SkipEnv] is ignored and a
// missing server binary fails the test.
const CIEnv = "CI"

func lookBinary(binary string) (string, error) {
	if binary == "" {
		binary = Redis
	}
	path, err := exec.LookPath(binary)
	if err != nil {
		if strings.ContainsRune(binary, filepath.Separator) {
			return "", fmt.Errorf("%s is not an executable file", binary)
		}
		return "", fmt.Errorf("%s not found on PATH", binary)
	}
	return path, nil
}

func installHint(binary string) string {
	if strings.Contains(filepath.Base(binary), "valkey") {
		return "apt-get install -y valkey-server"
	}
	// Sentinels run as `redis-server --sentinel`; redis-cli comes with
	// redis-server's dependency redis-tools.
	return "apt-get install -y redis-server"
}

// cliFor returns the command-line client that goes with a server binary:
// valkey-cli next to valkey-server when present, else redis-cli.
func cliFor(t testing.TB, serverPath string) string {
	t.Helper()
	if strings.Contains(filepath.Base(serverPath), "valkey") {
		if p, err := lookBinary("valkey-cli"); err == nil {
			return p
		}
	}
	return Require(t, "redis-cli")
}

var (
	versionMu    sync.Mutex
	versionCache = map[string]int{}
	versionRE    = regexp.MustCompile(`v=(\d+)\.`)
)

// majorVersion returns the major version a server binary reports with
// --version (0 when it cannot be told).
func majorVersion(path string) int {
	versionMu.Lock()
	defer versionMu.Unlock()
	if v, ok := versionCache[path]; ok {
		return v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, path, "--version").Output()
	v := 0
	if m := versionRE.FindSubmatch(out); m != nil {
		v, _ = strconv.Atoi(string(m[1]))
	}
	versionCache[path] = v
	return v
}
