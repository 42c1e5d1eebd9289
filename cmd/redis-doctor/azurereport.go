package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/aspirego/redis/internal/connstr"
	"github.com/aspirego/redis/rediscache"
	"github.com/aspirego/redis/settings"
)

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
	host, kind := connstr.AzureEndpoint(res.Connection.Endpoints)
	on := res.Settings.AzureAuthentication
	if kind == connstr.NotAzure && !on {
		return
	}
	a := &azureReport{Kind: kind.String(), Host: host, AzureAuthentication: on}
	p := d.entra
	switch {
	case p != nil:
		a.EntraID = true
	case kind == connstr.NotAzure:
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
		d.describeEntra(a, p)
	}
	d.report.Azure = a
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
