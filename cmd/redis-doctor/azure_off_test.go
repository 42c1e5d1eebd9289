//go:build !azure

package main

import (
	"testing"

	"github.com/aspirego/redis/internal/testserver"
)

// Without -tags azure, a client with AzureAuthentication=true is reported
// with the command that checks it, not with the library's advice to link
// azureauth.
func TestAzureAuthenticationNeedsTheAzureBuild(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	r := runDoctor(t, []string{"ConnectionStrings__cache=" + srv.Addr, "Aspire__StackExchange__Redis__cache__AzureAuthentication=true"},
		"-dir", t.TempDir(), "cache")
	want := "redis-doctor: AzureAuthentication is true, and this redis-doctor is built without Microsoft Entra ID support (the Azure SDK): " +
		"run go run -tags azure github.com/aspirego/redis/cmd/redis-doctor cache"
	if r.code != exitConfig || !contains(r.stderr, want) {
		t.Errorf("want exit %d and %q\n%s", exitConfig, want, r)
	}
}
