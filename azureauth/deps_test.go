package azureauth

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenDeps are modules that the packages every service links must
// not pull in: a service that does not use Azure must not link the Azure
// SDK. Other heavy modules can join this table.
var forbiddenDeps = []struct {
	prefix string
	why    string
}{
	{"github.com/Azure/azure-sdk-for-go/", "the Azure SDK belongs to package azureauth only"},
	{"github.com/AzureAD/", "MSAL, linked by the Azure SDK, belongs to package azureauth only"},
}

// linkedByEveryone are the packages a service imports without choosing
// Azure.
var linkedByEveryone = []string{"settings", "telemetry", "healthcheck", "rediscache", "keyed", "fxmodule"}

func TestNoAzureSDKInCorePackages(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	const module = "github.com/aspirego/redis/"
	args := []string{"list", "-deps", "-f", "{{.ImportPath}}"}
	for _, pkg := range linkedByEveryone {
		// One go list per package, so a failure names the package.
		out, err := exec.Command(goBin, append(args, module+pkg)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s listed %d packages: %s", pkg, len(deps), out)
		}
		for _, dep := range deps {
			for _, f := range forbiddenDeps {
				if strings.HasPrefix(dep, f.prefix) {
					t.Errorf("%s links %s: %s", pkg, dep, f.why)
				}
			}
		}
	}
	// The test itself must be able to see the SDK where it belongs.
	out, err := exec.Command(goBin, append(args, module+"azureauth")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), forbiddenDeps[0].prefix) {
		t.Errorf("go list -deps azureauth does not list the Azure SDK (err %v): the test cannot detect it", err)
	}
}
