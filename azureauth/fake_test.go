package azureauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/redis/go-redis/v9"

	"github.com/aspirego/redis/internal/entraid"
)

// fakeJWT returns a JWT-shaped token (header.payload.signature, base64url)
// whose payload carries oid, exp and a serial number.
func fakeJWT(oid string, serial int, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	payload, _ := json.Marshal(map[string]any{"oid": oid, "aud": "https://redis.azure.com", "exp": exp.Unix(), "n": serial})
	return enc(header) + "." + enc(payload) + "." + enc([]byte(fmt.Sprintf("signature-%d", serial)))
}

// fakeCredential is an azcore.TokenCredential issuing short-lived
// JWT-shaped tokens with an oid claim. It is safe for concurrent use.
type fakeCredential struct {
	oid      string
	lifetime time.Duration

	mu      sync.Mutex
	serial  int
	issued  []issuedToken
	fail    error                                 // when set, GetToken fails with it
	onIssue func(tok string, exp time.Time) error // runs before a token is returned
	scopes  []string
	calls   int
}

type issuedToken struct {
	value   string
	issued  time.Time
	expires time.Time
}

var _ azcore.TokenCredential = (*fakeCredential)(nil)

func (f *fakeCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.scopes = o.Scopes
	if err := ctx.Err(); err != nil {
		return azcore.AccessToken{}, err
	}
	if f.fail != nil {
		return azcore.AccessToken{}, f.fail
	}
	f.serial++
	exp := time.Now().Add(f.lifetime)
	tok := fakeJWT(f.oid, f.serial, exp)
	if f.onIssue != nil {
		if err := f.onIssue(tok, exp); err != nil {
			return azcore.AccessToken{}, err
		}
	}
	f.issued = append(f.issued, issuedToken{tok, exp.Add(-f.lifetime), exp})
	return azcore.AccessToken{Token: tok, ExpiresOn: exp}, nil
}

func (f *fakeCredential) setFail(err error) {
	f.mu.Lock()
	f.fail = err
	f.mu.Unlock()
}

func (f *fakeCredential) tokens() []issuedToken {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]issuedToken(nil), f.issued...)
}

// expiryOf returns when tok expires, or false for a token never issued.
func (f *fakeCredential) expiryOf(tok string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.issued {
		if t.value == tok {
			return t.expires, true
		}
	}
	return time.Time{}, false
}

var errCredentialDown = errors.New("ManagedIdentityCredential: IMDS endpoint unreachable (fake)")

// providerOf returns the token provider of a client built with the
// extension, from its options, or nil.
func providerOf(o *redis.UniversalOptions) *provider {
	p, _ := entraid.Of(o).(*provider)
	return p
}
