package entraid

import (
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/auth"
)

// Source is a client's token provider as azureauth installs it in the
// go-redis options (StreamingCredentialsProvider).
type Source interface {
	auth.StreamingCredentialsProvider
	// State returns a snapshot of the provider.
	State() State
}

// Of returns the token provider of a client built with azureauth's
// extension, from its options, or nil when the client does not use
// Entra ID.
func Of(o *redis.UniversalOptions) Source {
	if o == nil {
		return nil
	}
	s, _ := o.StreamingCredentialsProvider.(Source)
	return s
}

// CheckName is the name of the Entra ID health check of client name.
func CheckName(name string) string { return "redis_" + name + "_entra_id" }

// ErrRefresh is matched (errors.Is) by the error of a failed token fetch,
// whose message names the credential type and the scope and never holds a
// token.
var ErrRefresh = errors.New("entra id token refresh failed")

// State is a snapshot of a token provider, for health reports and
// diagnostics. It holds no token.
type State struct {
	// CredentialType is the credential's Go type, e.g.
	// "*azidentity.DefaultAzureCredential".
	CredentialType string
	// Scope is the token scope.
	Scope string
	// User is the user name sent with the token (its oid claim), "" before
	// the first token.
	User string
	// AcquiredAt and ExpiresOn describe the current token; zero before
	// the first.
	AcquiredAt, ExpiresOn time.Time
	// NextRefresh is when the next fetch is due; zero before the first
	// connection.
	NextRefresh time.Time
	// Refreshes counts the tokens acquired.
	Refreshes int
	// Connections counts the subscribed connections.
	Connections int
	// LastError is the error of the last fetch when it failed (nil once a
	// fetch succeeds), with LastErrorAt and Failures, the number of
	// consecutive failures.
	LastError   error
	LastErrorAt time.Time
	Failures    int
}
