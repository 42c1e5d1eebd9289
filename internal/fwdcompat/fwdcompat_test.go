// Package fwdcompat checks that this module keeps building, and its
// public packages' tests keep passing, on a go-redis release that only adds
// methods to its interfaces: go-redis adds commands to Cmdable in nearly
// every minor release, and a user's go.mod may pick a newer one than ours.
package fwdcompat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goRedis = "github.com/redis/go-redis/v9"

// newMethod is the command added to go-redis's Cmdable interface; its
// implementation is testdata/fwdcompat_command.go.
const newMethod = "FwdCompatEcho(ctx context.Context, message string) *StringCmd"

// tested are the packages whose tests run against the changed go-redis:
// the public ones a user's program calls commands through.
var tested = []string{"./rediscache", "./keyed", "./telemetry"}

// TestNewerGoRedis builds this module in a scratch copy whose go.mod
// replaces go-redis with a copy of the version in go.mod plus one Cmdable
// command, runs tested there (without -race: the point is the build and
// the behaviour, and the race detector would double the time), and calls
// the new command through the multiplexed client
// (testdata/fwdcompat_newcommand_test.go, copied into rediscache).
// Everything comes from the module and build caches: GOPROXY=off. The
// copies are kept in the user's cache directory (see scratchDir), so that
// only the first run on a machine compiles all of go-redis.
func TestNewerGoRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module against a changed copy of go-redis")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	root := filepath.Dir(goOut(t, "", "env", "GOMOD"))
	version := goOut(t, root, "list", "-m", "-f", "{{.Version}}", goRedis)
	src := goOut(t, root, "list", "-m", "-f", "{{.Dir}}", goRedis)
	if src == "" {
		t.Fatalf("%s %s is not in the module cache: run go mod download %s", goRedis, version, goRedis)
	}

	tmp := scratchDir(t, root)
	redisCopy := filepath.Join(tmp, "go-redis")
	copyModule(t, src, redisCopy, func(rel string) bool { return !strings.HasSuffix(rel, "_test.go") })
	addCommand(t, redisCopy, version)

	scratch := filepath.Join(tmp, "module")
	copyModule(t, root, scratch, func(string) bool { return true })
	copyFile(t, filepath.Join("testdata", "fwdcompat_newcommand_test.go"),
		filepath.Join(scratch, "rediscache", "fwdcompat_newcommand_test.go"))
	f, err := os.OpenFile(filepath.Join(scratch, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\nreplace " + goRedis + " => " + redisCopy + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	const hint = "\nA go-redis release that adds a method to its interfaces would break the build or the behaviour " +
		"for every user of this module. internal/surface.Client must get the methods it was not generated " +
		"for by promotion (its embedded laterCommands and laterMethods); see internal/surface/doc.go."
	start := time.Now()
	// go list -export compiles every package, the commands too, without
	// linking them (go build ./... would link each command and example).
	if _, errOut, err := goRun(t, scratch, "list", "-export", "./..."); errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("compiling this module against the changed go-redis did not finish before the test's deadline: "+
			"run again with a longer -timeout (the build cache then holds part of the work)\n%s", errOut)
	} else if err != nil {
		t.Fatalf("this module does not build against go-redis %s with one more Cmdable method (%s): %v\n%s%s",
			version, newMethod, err, errOut, hint)
	}
	t.Logf("compiling every package against the changed go-redis: %s", time.Since(start).Round(time.Second))
	start = time.Now()
	args := append([]string{"test", "-count=1", "-timeout=5m"}, tested...)
	out, errOut, err := goRun(t, scratch, args...)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the tests of %s against the changed go-redis did not finish before the test's deadline: "+
			"run again with a longer -timeout\n%s%s", strings.Join(tested, " "), errOut, out)
	} else if err != nil {
		t.Fatalf("the tests of %s fail against go-redis %s with one more Cmdable method (%s): %v\n%s%s%s",
			strings.Join(tested, " "), version, newMethod, err, errOut, out, hint)
	}
	t.Logf("go test %s: %s\n%s", strings.Join(tested, " "), time.Since(start).Round(time.Second), out)
}

// scratchDir returns an empty directory for the copies, the same one on
// every run from the checkout in root: the build cache keys a package by its
// directory too, so a fresh directory would compile go-redis and this module
// from scratch each time. It falls back on a temporary directory.
func scratchDir(t *testing.T, root string) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Logf("no user cache directory (%v): every run compiles go-redis", err)
		return t.TempDir()
	}
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(cache, "aspirego-redis-fwdcompat", hex.EncodeToString(sum[:6]))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatalf("emptying the scratch directory: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating the scratch directory: %v", err)
	}
	return dir
}

// addCommand adds newMethod to the Cmdable interface in dir's commands.go
// and its implementation next to it.
func addCommand(t *testing.T, dir, version string) {
	t.Helper()
	const decl = "type Cmdable interface {\n"
	path := filepath.Join(dir, "commands.go")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte(decl)) != 1 {
		t.Fatalf("go-redis %s: commands.go does not declare %q once: change addCommand in internal/fwdcompat to where Cmdable is declared now", version, strings.TrimSpace(decl))
	}
	b = bytes.Replace(b, []byte(decl), []byte(decl+"\t"+newMethod+"\n"), 1)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join("testdata", "fwdcompat_command.go"), filepath.Join(dir, "fwdcompat_command.go"))
}

// copyModule copies the module in src to dst, writable, leaving out
// hidden files and directories (.git among them), nested modules and the
// files keep rejects (by path relative to src).
func copyModule(t *testing.T, src, dst string, keep func(rel string) bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." {
				if strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") || !keep(rel) {
			return nil
		}
		copyFile(t, path, filepath.Join(dst, rel))
		return nil
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// goOut runs the go command in dir and returns its trimmed output.
func goOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errOut, err := goRun(t, dir, args...)
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return strings.TrimSpace(string(out))
}

// goRun runs the go command in dir offline, on the module and build
// caches, with the local toolchain, and returns its standard output and
// error. It is stopped a little before the test's deadline, so that the
// failure shows what it printed.
func goRun(t *testing.T, dir string, args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-time.Until(d)/20))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("stopped before the test's deadline: %w (%v)", ctx.Err(), err)
	}
	return o.Bytes(), e.Bytes(), err
}
