//go:build azure

// The Microsoft Entra ID part of the doctor, built with -tags azure: it
// links the Azure SDK (through azureauth), which the default build leaves
// out so that `go run github.com/aspirego/redis/cmd/redis-doctor` works
// from a service's module whose go.sum does not list the SDK.

package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aspirego/redis/azureauth"
	"github.com/aspirego/redis/internal/doctorcmd"
	"github.com/aspirego/redis/internal/entraid"
	"github.com/aspirego/redis/rediscache"
)

// azureOptions are the options of the Entra ID extension the doctor
// builds clients with: a service's defaults (DefaultAzureCredential).
// Tests replace the credential.
var azureOptions = azureauth.Options{}

func azureExtension(logger *slog.Logger) rediscache.Extension {
	o := azureOptions
	o.Logger = logger
	return azureauth.Extension(o)
}

// entraProvider is a client's Entra ID token source.
type entraProvider = entraid.Source

// azureExtensions are the extensions the doctor builds clients with.
func azureExtensions(logger *slog.Logger) []rediscache.Extension {
	return []rediscache.Extension{azureExtension(logger)}
}

// entraOf returns the token source of inst's client, nil without one.
func entraOf(inst *rediscache.Instance) entraProvider {
	return entraid.Of(inst.Resolved.Connection.Options)
}

// entraUser is the user (oid) of p's token.
func entraUser(p entraProvider) string { return p.State().User }

// describeEntra fills in the token part of the Azure section.
func (d *doctor) describeEntra(a *azureReport, p entraProvider) {
	st := p.State()
	a.Credential, a.Scope, a.User, a.Refreshes = st.CredentialType, st.Scope, st.User, st.Refreshes
	if !st.ExpiresOn.IsZero() {
		a.TokenAcquired = st.AcquiredAt.UTC().Format(time.RFC3339)
		a.TokenExpires = st.ExpiresOn.UTC().Format(time.RFC3339)
		a.TokenExpiresIn = time.Until(st.ExpiresOn).Round(time.Second).String()
	}
	if !st.NextRefresh.IsZero() {
		a.NextRefresh = st.NextRefresh.UTC().Format(time.RFC3339)
	}
	if st.LastError != nil {
		a.LastRefreshError = d.scrub(st.LastError.Error())
		a.RefreshFailures = st.Failures
		d.warn("Microsoft Entra ID token refresh is failing (%d attempts): a service reports %s as Degraded until the token expires, then Unhealthy",
			st.Failures, entraid.CheckName(d.opts.name))
	}
}

// azureCommand is the command that runs the doctor with Microsoft Entra ID
// support for the client called name: this one.
func azureCommand(name string) string { return doctorcmd.Command(name, "-tags", "azure") }

// azureProblem explains a failure caused by Entra ID: no token, or a
// token the server refused.
func (d *doctor) azureProblem(step string, err error) (string, bool) {
	if errors.Is(err, entraid.ErrRefresh) {
		return fmt.Sprintf("%s: no Microsoft Entra ID token: %s; the service would fail the same way. "+
			"Check the identity the credential uses: on Azure, the managed identity (AZURE_CLIENT_ID for a user-assigned one); "+
			"locally, az login or the AZURE_* variables of EnvironmentCredential", step, d.scrub(err.Error())), true
	}
	p := d.entra
	if p == nil {
		return "", false
	}
	msg := err.Error()
	if strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "NOAUTH") || strings.Contains(msg, "NOPERM") {
		st := p.State()
		return fmt.Sprintf("%s: the server refused the Entra ID token of user %s (%s): give that identity a Redis access policy "+
			"(the cache's Authentication / Data Access Configuration, with Microsoft Entra Authentication enabled); the server said %q",
			step, or(st.User, "(unknown)"), st.CredentialType, d.scrub(msg)), true
	}
	return "", false
}
