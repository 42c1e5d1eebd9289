package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aspirego/redis/internal/doctorcmd"
	"github.com/aspirego/redis/internal/testserver"
)

// userService is the main package of the scratch module: a service that
// uses the module the way the getting-started page does.
const userService = `package main

import (
	"go.uber.org/fx"

	"github.com/aspirego/redis/fxmodule"
	"github.com/aspirego/redis/rediscache"
)

func main() { fx.New(fxmodule.Module, fx.Provide(rediscache.Client("cache"))).Run() }
`

// TestRunFromAUsersModule runs the doctor the way the docs and the error
// hint say, from a service's module that requires this one (through a
// replace, offline: GOPROXY=off, with the go.sum that go mod tidy leaves,
// which lists no Azure SDK package): with go run, and as a tool (go get
// -tool, go tool redis-doctor).
func TestRunFromAUsersModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the doctor in a scratch module")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t, testserver.Options{Password: password})

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/service\n\ngo 1.26\n\n"+
		"require github.com/aspirego/redis v0.0.0\n\nreplace github.com/aspirego/redis => "+root+"\n")
	writeFile(t, filepath.Join(dir, "main.go"), userService)
	// What go mod tidy would fetch, from this repository's go.sum: tidy
	// keeps the entries the service needs.
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "go.sum"), string(sum))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local",
		"ConnectionStrings__cache="+srv.Addr+",password="+password)
	goCmd := func(args ...string) (string, error) {
		t.Helper()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := goCmd("mod", "tidy"); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	// A service that does not use Azure has no Azure SDK in its go.sum:
	// the doctor must build without it.
	if tidied, _ := os.ReadFile(filepath.Join(dir, "go.sum")); strings.Contains(string(tidied), "github.com/Azure/") {
		t.Errorf("the service's go.sum lists the Azure SDK: the test does not show that the doctor builds without it")
	}

	// The command the error hint prints, run from the service's module.
	hint := strings.Fields(doctorcmd.Command("cache"))
	if hint[0] != "go" {
		t.Fatalf("hint %q", hint)
	}
	for _, c := range []struct {
		name string
		args [][]string
	}{
		{"go run", [][]string{append(hint[1:len(hint)-1], "-dir", dir, "cache")}},
		{"go tool", [][]string{{"get", "-tool", doctorcmd.Package}, {"tool", "redis-doctor", "-dir", dir, "cache"}}},
	} {
		if c.name == "go tool" {
			// go get considers every build tag, so it records the Azure
			// SDK of the doctor's -tags azure build too: give it the
			// checksums it would fetch from the checksum database.
			writeFile(t, filepath.Join(dir, "go.sum"), string(sum))
		}
		var out string
		for _, args := range c.args {
			if out, err = goCmd(args...); err != nil {
				t.Errorf("%s: go %s: %v\n%s", c.name, strings.Join(args, " "), err, out)
				break
			}
		}
		if err == nil && (!contains(out, "Result: healthy") || !contains(out, "ok raw PING "+srv.Addr)) {
			t.Errorf("%s: no healthy report:\n%s", c.name, out)
		}
		if strings.Contains(out, password) {
			t.Errorf("%s: the password appears in the output", c.name)
		}
	}
}
