package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// lean are the packages every user of the module links.
var lean = []string{"settings", "telemetry", "healthcheck", "rediscache", "keyed", "fxmodule"}

// forbidden are the import-path prefixes none of the lean packages may
// depend on, directly or not, and why.
var forbidden = []struct{ prefix, why string }{
	{"go.opentelemetry.io/otel/sdk", "the OpenTelemetry SDK: only package otlp sets it up"},
	{"google.golang.org/grpc", "gRPC comes with the OTLP gRPC exporters (package otlp)"},
	{"go.opentelemetry.io/otel/exporters/", "exporters belong to package otlp"},
	{"go.opentelemetry.io/contrib/exporters/", "exporters belong to package otlp"},
	{"github.com/aspirego/redis/otlp", "package otlp is opt-in"},
	{"github.com/Azure/azure-sdk-for-go", "the Azure SDK is for Entra ID users only"},
	{"github.com/redis/rueidis", "rueidis is an opt-in client"},
}

// TestLeanDependencies runs `go list -deps` on each lean package and fails
// on any forbidden dependency, naming the chain's end and the rule.
func TestLeanDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	for _, pkg := range lean {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			path := "github.com/aspirego/redis/" + pkg
			out, err := exec.Command("go", "list", "-deps", path).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", path, err, out)
			}
			deps := strings.Fields(string(out))
			if len(deps) == 0 {
				t.Fatalf("go list -deps %s: no output", path)
			}
			for _, d := range deps {
				for _, f := range forbidden {
					if d == f.prefix || strings.HasPrefix(d, strings.TrimSuffix(f.prefix, "/")+"/") {
						t.Errorf("%s depends on %s: %s", pkg, d, f.why)
					}
				}
			}
			t.Logf("%s: %d packages", pkg, len(deps))
		})
	}
}

// TestForbiddenRuleBites: the check finds what it is meant to find (otlp
// links the SDK and gRPC).
func TestForbiddenRuleBites(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/aspirego/redis/otlp").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, want := range []string{"go.opentelemetry.io/otel/sdk/trace", "google.golang.org/grpc"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("otlp does not depend on %s: the rule would not bite", want)
		}
	}
}
