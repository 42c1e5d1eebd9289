package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aspirego/redis/azureauth"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
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

// azureReport is the Azure section: the service, and for a client with
// AzureAuthentication its Entra ID token. It never holds a token.
type azureReport struct {
	Kind                string `json:"kind"` // Azure Managed Redis, Azure Cache for Redis
	Host                string `json:"host"`
	AzureAuthentication bool   `json:"azureAuthentication"`
	EntraID             bool   `json:"entraId"`        // tokens are used
	Note                string `json:"note,omitempty"` // why not, or what to do
	Credential          string `json:"credential,omitempty"`
	Scope               string `json:"scope,omitempty"`
	User                string `json:"user,omitempty"` // the token's oid
	TokenAcquired       string `json:"tokenAcquired,omitempty"`
	TokenExpires        string `json:"tokenExpires,omitempty"`
	TokenExpiresIn      string `json:"tokenExpiresIn,omitempty"`
	NextRefresh         string `json:"nextRefresh,omitempty"`
	Refreshes           int    `json:"refreshes,omitempty"`
	LastRefreshError    string `json:"lastRefreshError,omitempty"`
	RefreshFailures     int    `json:"refreshFailures,omitempty"`
}

// describeAzure fills in the Azure section for a client on an Azure host
// or with AzureAuthentication on.
func (d *doctor) describeAzure(inst *rediscache.Instance) {
	res := inst.Resolved
	host, kind := settings.AzureEndpoint(res.Connection.Endpoints)
	on := res.Settings.AzureAuthentication
	if kind == settings.NotAzure && !on {
		return
	}
	a := &azureReport{Kind: kind.String(), Host: host, AzureAuthentication: on}
	p := azureauth.ProviderOf(res.Connection.Options)
	switch {
	case p != nil:
		a.EntraID = true
	case kind == settings.NotAzure:
		a.Kind = "none"
		a.Note = "AzureAuthentication is on, but no endpoint is an Azure Redis host: the connection's own credentials are used (as for a local container)"
	case on && res.Connection.Options.Password != "":
		a.Note = "AzureAuthentication is on, but the connection has a password (an access key): the key is used, not Entra ID; remove it to use Entra ID"
	case res.Connection.Options.Password == "":
		a.Note = "no password and AzureAuthentication is off: for Microsoft Entra ID set " + d.namedSection() + ":" + settings.AzureAuthenticationKey +
			"=true (and link azureauth in the service), or add the access key as password="
	default:
		a.Note = "authenticated with an access key (password=); Microsoft Entra ID is off"
	}
	if p != nil {
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
				st.Failures, azureauth.CheckName(d.opts.name))
		}
	}
	d.report.Azure = a
}

// azureProblem explains a failure caused by Entra ID: no token, or a
// token the server refused.
func (d *doctor) azureProblem(step string, err error) (string, bool) {
	var re *azureauth.RefreshError
	if errors.As(err, &re) {
		return fmt.Sprintf("%s: no Microsoft Entra ID token: %s; the service would fail the same way. "+
			"Check the identity the credential uses: on Azure, the managed identity (AZURE_CLIENT_ID for a user-assigned one); "+
			"locally, az login or the AZURE_* variables of EnvironmentCredential", step, d.scrub(re.Error())), true
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

func (r *report) writeAzure(w io.Writer) {
	a := r.Azure
	if a == nil {
		return
	}
	fmt.Fprintln(w, "\nAzure")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", k, v)
		}
	}
	row("service", a.Kind+" ("+or(a.Host, "no Azure host")+")")
	row("AzureAuthentication", fmt.Sprint(a.AzureAuthentication))
	if a.EntraID {
		row("authentication", "Microsoft Entra ID token")
		row("credential", a.Credential)
		row("scope", a.Scope)
		row("user (oid)", or(a.User, "(no token yet)"))
		if a.TokenExpires != "" {
			row("token expires", a.TokenExpires+" (in "+a.TokenExpiresIn+")")
		} else {
			row("token expires", "(no token)")
		}
		row("next refresh", a.NextRefresh)
		if a.LastRefreshError != "" {
			row("last refresh error", fmt.Sprintf("%s (%d attempts)", a.LastRefreshError, a.RefreshFailures))
		} else {
			row("last refresh error", "none")
		}
	}
	row("note", a.Note)
	_ = tw.Flush()
}
