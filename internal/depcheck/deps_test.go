package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// lean are the packages every user of the module links, and redis-doctor,
// which a user runs from the service's module (its Entra ID part is built
// with -tags azure only).
var lean = []string{"settings", "telemetry", "healthcheck", "rediscache", "keyed", "fxmodule", "cmd/redis-doctor"}

// forbidden are the import-path prefixes the lean packages may not depend
// on, directly or not, and why (the fx wiring of OTLP is otlp.Module, so
// fxmodule links none of it). This is the module's one table of forbidden
// dependencies.
var forbidden = []struct{ prefix, why string }{
	{"go.opentelemetry.io/otel/sdk", "the OpenTelemetry SDK: only package otlp sets it up"},
	{"google.golang.org/grpc", "gRPC comes with the OTLP gRPC exporters (package otlp)"},
	{"go.opentelemetry.io/otel/exporters/", "exporters belong to package otlp"},
	{"go.opentelemetry.io/contrib/exporters/", "exporters belong to package otlp"},
	{"github.com/aspirego/redis/otlp", "package otlp is opt-in"},
	{"github.com/Azure/azure-sdk-for-go", "the Azure SDK belongs to package azureauth only"},
	{"github.com/AzureAD/", "MSAL, linked by the Azure SDK, belongs to package azureauth only"},
	{"github.com/redis/rueidis", "rueidis is an opt-in client"},
}

// violations returns, for package pkg with dependencies deps, one line per
// forbidden dependency.
func violations(pkg string, deps []string) []string {
	var out []string
	for _, d := range deps {
		for _, f := range forbidden {
			if d == strings.TrimSuffix(f.prefix, "/") || strings.HasPrefix(d, strings.TrimSuffix(f.prefix, "/")+"/") {
				out = append(out, pkg+" depends on "+d+": "+f.why)
			}
		}
	}
	return out
}

func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs go list")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	path := "github.com/aspirego/redis/" + pkg
	out, err := exec.Command("go", "list", "-deps", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", path, err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps %s listed %d packages: %s", path, len(deps), out)
	}
	return deps
}

// TestLeanDependencies runs `go list -deps` on each lean package and fails
// on any forbidden dependency, naming the dependency and the rule.
func TestLeanDependencies(t *testing.T) {
	for _, pkg := range lean {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			deps := goListDeps(t, pkg)
			for _, v := range violations(pkg, deps) {
				t.Error(v)
			}
			t.Logf("%s: %d packages", pkg, len(deps))
		})
	}
}

// TestForbiddenRuleBites: the check finds what it is meant to find: otlp
// links the SDK and gRPC, azureauth the Azure SDK and MSAL.
func TestForbiddenRuleBites(t *testing.T) {
	for _, c := range []struct {
		pkg  string
		want []string
	}{
		{"otlp", []string{"go.opentelemetry.io/otel/sdk", "google.golang.org/grpc", "go.opentelemetry.io/otel/exporters/"}},
		{"azureauth", []string{"github.com/Azure/azure-sdk-for-go", "github.com/AzureAD/"}},
	} {
		t.Run(c.pkg, func(t *testing.T) {
			t.Parallel()
			got := strings.Join(violations(c.pkg, goListDeps(t, c.pkg)), "\n")
			for _, w := range c.want {
				if !strings.Contains(got, " depends on "+strings.TrimSuffix(w, "/")) {
					t.Errorf("no violation reported for %s under %s: the rule would not bite", c.pkg, w)
				}
			}
		})
	}
}
