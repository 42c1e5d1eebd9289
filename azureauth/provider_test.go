package azureauth

import (
	"context"
	"encoding/base64"

	"errors"
	"fmt"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9/auth"

	"github.com/aspirego/redis/healthcheck"
	"github.com/aspirego/redis/internal/entraid"
	"github.com/aspirego/redis/internal/healthjson"
)

// quiet returns options for fast tests, logging through t.
func quiet(t *testing.T) Options {
	t.Helper()
	return Options{
		RetryMin: 20 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func newTestProvider(t *testing.T, cred *fakeCredential, o Options) *provider {
	t.Helper()
	p, err := newProvider(cred, "", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// listener records the credentials it is handed.
type listener struct {
	mu    sync.Mutex
	creds []auth.Credentials
	errs  []error
}

func (l *listener) OnNext(c auth.Credentials) {
	l.mu.Lock()
	l.creds = append(l.creds, c)
	l.mu.Unlock()
}
func (l *listener) OnError(err error) { l.mu.Lock(); l.errs = append(l.errs, err); l.mu.Unlock() }
func (l *listener) count() int        { l.mu.Lock(); defer l.mu.Unlock(); return len(l.creds) }

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestObjectID(t *testing.T) {
	exp := time.Now().Add(time.Hour)
	enc := func(s string) string {
		return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(b64(s)), "=")
	}
	tests := []struct {
		name, token, want, err string
	}{
		{"fake JWT", fakeJWT("7f3c-oid", 1, exp), "7f3c-oid", ""},
		{"padded payload", "e30." + b64(`{"oid":"x"}`) + ".sig", "x", ""},
		{"two parts", "e30." + enc(`{"oid":"y"}`), "y", ""},
		{"not a JWT", "opaque-access-key", "", "not a JWT"},
		{"bad base64", "e30.!!!.sig", "", "not base64url"},
		{"not JSON", "e30." + enc("oid") + ".sig", "", "not JSON"},
		{"no oid", "e30." + enc(`{"sub":"z"}`) + ".sig", "", "no oid claim"},
		{"oid not a string", "e30." + enc(`{"oid":5}`) + ".sig", "", "not JSON"},
	}
	for _, tt := range tests {
		got, err := objectID(tt.token)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: objectID = %q, %v; want %q, error containing %q", tt.name, got, err, tt.want, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), tt.token) {
			t.Errorf("%s: the error quotes the token: %v", tt.name, err)
		}
	}
}

func FuzzObjectID(f *testing.F) {
	f.Add(fakeJWT("oid", 1, time.Unix(0, 0)))
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		oid, err := objectID(tok)
		if (err == nil) == (oid == "") {
			t.Errorf("objectID(%q) = %q, %v", tok, oid, err)
		}
	})
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{RefreshFraction: 1}, {RefreshFraction: -0.1}, {Jitter: 1}, {RetryMin: -1},
		{RetryMin: time.Minute, RetryMax: time.Second}, {TokenTimeout: -time.Second},
	} {
		if _, err := newProvider(&fakeCredential{}, "", o); err == nil {
			t.Errorf("NewProvider accepted %+v", o)
		}
	}
	if _, err := newProvider(nil, "", Options{}); err == nil {
		t.Error("NewProvider accepted a nil credential")
	}
}

func TestRefreshTime(t *testing.T) {
	p := newTestProvider(t, &fakeCredential{}, Options{RefreshFraction: 0.7, Jitter: 0.1})
	t0 := time.Unix(1_700_000_000, 0)
	life := time.Hour
	for range 200 {
		at := p.refreshTime(t0, t0.Add(life), time.Time{})
		if off := at.Sub(t0); off < 39*time.Minute || off > 45*time.Minute {
			t.Fatalf("refresh %v after acquisition, want 42m ± 3m", off)
		}
	}
	if at := p.refreshTime(t0, t0.Add(life), t0.Add(30*time.Minute)); !at.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("an earlier RefreshOn is not honoured: %v", at.Sub(t0))
	}
	if at := p.refreshTime(t0, t0.Add(life), t0.Add(50*time.Minute)); at.Sub(t0) > 45*time.Minute {
		t.Errorf("a later RefreshOn delays the refresh: %v", at.Sub(t0))
	}
}

func TestBackoff(t *testing.T) {
	p := newTestProvider(t, &fakeCredential{}, Options{RetryMin: time.Second, RetryMax: 10 * time.Second})
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 50: 10 * time.Second} {
		for range 20 {
			if got := p.backoff(n); got < want*8/10 || got > want*12/10 {
				t.Fatalf("backoff(%d) = %v, want %v ± 20%%", n, got, want)
			}
		}
	}
}

func TestSubscribe(t *testing.T) {
	cred := &fakeCredential{oid: "oid-1", lifetime: 400 * time.Millisecond}
	o := quiet(t)
	o.RefreshFraction = 0.5
	p := newTestProvider(t, cred, o)

	a, b := &listener{}, &listener{}
	creds, unsubA, err := p.Subscribe(a)
	if err != nil {
		t.Fatal(err)
	}
	if user, pass := creds.BasicAuth(); user != "oid-1" || pass != cred.tokens()[0].value || creds.RawCredentials() != pass {
		t.Errorf("credentials user %q, password is the token: %t", user, pass == cred.tokens()[0].value)
	}
	if got := cred.scopes; len(got) != 1 || got[0] != Scope {
		t.Errorf("scopes %v, want [%s]", got, Scope)
	}
	// A second subscriber shares the token; a repeated one is not doubled.
	if _, _, err := p.Subscribe(b); err != nil {
		t.Fatal(err)
	}
	_, unsubA2, _ := p.Subscribe(a)
	if n := len(cred.tokens()); n != 1 {
		t.Errorf("%d tokens fetched for three subscriptions, want 1", n)
	}
	if st := p.State(); st.Connections != 2 || st.User != "oid-1" || st.Refreshes != 1 {
		t.Errorf("state %+v", st)
	}

	// Refresh at half the lifetime: both get the new token, once each.
	waitFor(t, "a refresh", 2*time.Second, func() bool { return a.count() >= 1 && b.count() >= 1 })
	if a.count() != b.count() {
		t.Errorf("a got %d tokens, b %d", a.count(), b.count())
	}
	if err := unsubA(); err != nil {
		t.Fatal(err)
	}
	if err := unsubA2(); err != nil { // a no-op
		t.Fatal(err)
	}
	if st := p.State(); st.Connections != 1 {
		t.Errorf("%d connections after unsubscribing a, want 1", st.Connections)
	}
	before := a.count()
	waitFor(t, "another refresh", 2*time.Second, func() bool { return p.State().Refreshes >= 3 })
	if a.count() != before {
		t.Error("an unsubscribed listener still gets tokens")
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Subscribe(&listener{}); !errors.Is(err, errClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
	_ = p.Close()
}

// A cached token handed back again is not a new token: nobody is told,
// and the provider asks again later.
func TestSameTokenAgain(t *testing.T) {
	exp := time.Now().Add(2 * time.Second)
	cred := &sameToken{tok: fakeJWT("o", 1, exp), exp: exp}
	p, err := newProvider(cred, "", Options{RefreshFraction: 0.01, Jitter: -1, RetryMin: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	l := &listener{}
	if _, _, err := p.Subscribe(l); err != nil {
		t.Fatal(err)
	}
	// The first refresh is due 20ms after the token was acquired; once the
	// same token comes back, the next is due halfway to its expiry.
	waitFor(t, "a second GetToken and its outcome", 5*time.Second, func() bool {
		st := p.State()
		return cred.count() >= 2 && st.NextRefresh.Sub(st.AcquiredAt) > 500*time.Millisecond
	})
	if st := p.State(); l.count() != 0 || st.Refreshes != 1 || st.LastError != nil {
		t.Errorf("listener got %d tokens, state %+v", l.count(), st)
	}
}

type sameToken struct {
	tok string
	exp time.Time
	mu  sync.Mutex
	n   int
}

func (s *sameToken) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

func (s *sameToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return azcore.AccessToken{Token: s.tok, ExpiresOn: s.exp}, nil
}

// Health: Healthy, then Degraded while refresh fails before expiry, then
// Unhealthy after it, then Healthy again when the credential recovers.
// Nothing the check or the provider prints holds a token.
func TestHealthStates(t *testing.T) {
	cred := &fakeCredential{oid: "oid-h", lifetime: 600 * time.Millisecond}
	o := quiet(t)
	o.RefreshFraction = 0.3
	p := newTestProvider(t, cred, o)
	check := p.check("cache", time.Second)
	if check.Name != "redis_cache_entra_id" || check.Name != entraid.CheckName("cache") {
		t.Errorf("check name %q", check.Name)
	}
	c, err := healthcheck.New(check)
	if err != nil {
		t.Fatal(err)
	}
	status := func() (healthcheck.Status, string) {
		rep, _, err := healthjson.Get(t.Context(), c.HealthHandler(healthcheck.WithDetails()), "")
		if err != nil {
			t.Fatal(err)
		}
		e, ok := rep.Entries[check.Name]
		if !ok {
			t.Fatal("check missing")
		}
		for _, st := range []healthcheck.Status{healthcheck.Healthy, healthcheck.Degraded} {
			if e.Status == st.String() {
				return st, e.Description
			}
		}
		return healthcheck.Unhealthy, e.Description
	}
	noToken := func(where, s string) {
		t.Helper()
		for _, tok := range cred.tokens() {
			if strings.Contains(s, tok.value) || strings.Contains(s, strings.Split(tok.value, ".")[1]) {
				t.Errorf("%s holds a token: %s", where, s)
			}
		}
	}

	if st, msg := status(); st != healthcheck.Healthy {
		t.Errorf("before the first token: %v %s", st, msg)
	}
	if _, _, err := p.Subscribe(&listener{}); err != nil {
		t.Fatal(err)
	}
	// The credential starts failing, quoting the current token in its
	// error (a badly behaved credential): the text must not show it.
	leaky := fmt.Errorf("%w (last token %s)", errCredentialDown, cred.tokens()[0].value)
	cred.setFail(leaky)
	waitFor(t, "a failed refresh", 2*time.Second, func() bool { return p.State().LastError != nil })
	st, msg := status()
	if st != healthcheck.Degraded || !strings.Contains(msg, "*azureauth.fakeCredential") || !strings.Contains(msg, "IMDS endpoint unreachable") ||
		!strings.Contains(msg, "expires at") {
		t.Errorf("refresh failing before expiry: %v %q, want Degraded naming the credential, its error and the expiry", st, msg)
	}
	noToken("the Degraded report", msg)
	if err := p.State().LastError; !errors.Is(err, errCredentialDown) || !errors.Is(err, entraid.ErrRefresh) {
		t.Errorf("LastError %v does not wrap the credential's error and entraid.ErrRefresh", err)
	}

	waitFor(t, "the token to expire", 2*time.Second, func() bool { return time.Now().After(p.State().ExpiresOn) })
	st, msg = status()
	if st != healthcheck.Unhealthy || !strings.Contains(msg, "expired at") {
		t.Errorf("after expiry: %v %q, want Unhealthy", st, msg)
	}
	noToken("the Unhealthy report", msg)
	// A new connection cannot get a token now.
	if _, _, err := p.Subscribe(&listener{}); err == nil || !strings.Contains(err.Error(), "IMDS") {
		t.Errorf("Subscribe with an expired token and a failing credential: %v", err)
	} else {
		noToken("the Subscribe error", err.Error())
	}

	// Connection attempts during the back-off do not each ask the
	// credential.
	cred.mu.Lock()
	calls := cred.calls
	cred.mu.Unlock()
	for range 50 {
		_, _, _ = p.Subscribe(&listener{})
	}
	cred.mu.Lock()
	extra := cred.calls - calls
	cred.mu.Unlock()
	if extra > 5 {
		t.Errorf("50 connection attempts with no valid token made %d GetToken calls", extra)
	}

	cred.setFail(nil)
	waitFor(t, "recovery", 2*time.Second, func() bool { return p.State().LastError == nil })
	if st, msg := status(); st != healthcheck.Healthy {
		t.Errorf("after recovery: %v %s", st, msg)
	}
	for _, s := range []string{p.String(), fmt.Sprintf("%v %+v %#v", p, p, p), fmt.Sprintf("%v %#v", p.tok, p.tok)} {
		noToken("fmt output", s)
	}
}

func TestRedactTokens(t *testing.T) {
	tok := fakeJWT("o", 7, time.Now())
	got := redactTokens("AADSTS700024: assertion " + tok + " is not valid")
	if strings.Contains(got, tok) || got != "AADSTS700024: assertion *** is not valid" {
		t.Errorf("redactTokens = %q", got)
	}
}

func b64(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }

// hangingCredential blocks until its context ends.
type hangingCredential struct{ started chan struct{} }

func (h *hangingCredential) GetToken(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
	close(h.started)
	<-ctx.Done()
	return azcore.AccessToken{}, ctx.Err()
}

// Close does not wait for a credential that hangs, and a connection
// waiting for its token gets errClosed, not a credential failure.
func TestCloseDuringFetch(t *testing.T) {
	cred := &hangingCredential{started: make(chan struct{})}
	p, err := newProvider(cred, "", Options{TokenTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := p.Subscribe(&listener{})
		done <- err
	}()
	<-cred.started
	_ = p.Close()
	select {
	case err := <-done:
		if !errors.Is(err, errClosed) {
			t.Errorf("Subscribe returned %v, want errClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Subscribe still waits 10s after Close")
	}
	if st := p.State(); st.LastError != nil {
		t.Errorf("Close recorded a refresh failure: %v", st.LastError)
	}
}
