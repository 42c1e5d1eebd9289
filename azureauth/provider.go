package azureauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/redis/go-redis/v9/auth"

	"github.com/aspirego/redis/internal/entraid"
)

// Scope is the OAuth scope of Azure Cache for Redis and Azure Managed
// Redis tokens, the one Microsoft.Azure.StackExchangeRedis asks for.
const Scope = "https://redis.azure.com/.default"

// Defaults of [Options].
const (
	DefaultRefreshFraction = 0.75
	DefaultJitter          = 0.05
	DefaultRetryMin        = time.Second
	DefaultRetryMax        = 30 * time.Second
	DefaultTokenTimeout    = 30 * time.Second
)

// Options tune token refresh. The zero value means every default.
type Options struct {
	// Credential is used for clients whose credential was not chosen with
	// [WithCredential]. Nil means one azidentity.DefaultAzureCredential,
	// created when the first Azure client is built.
	Credential azcore.TokenCredential
	// Scope is the token's scope; "" means [Scope].
	Scope string
	// RefreshFraction is when a new token is fetched, as a fraction of the
	// current token's lifetime: 0.75 fetches a 60-minute token after 45
	// minutes. It must be in (0, 1); 0 means [DefaultRefreshFraction].
	// A token's own suggested refresh time (AccessToken.RefreshOn), when
	// earlier, wins.
	RefreshFraction float64
	// Jitter spreads refreshes of many clients and processes: the refresh
	// time moves by up to ±Jitter/2 of the lifetime. 0 means
	// [DefaultJitter]; a negative value turns it off.
	Jitter float64
	// RetryMin and RetryMax bound the back-off between failed fetches: it
	// starts at RetryMin and doubles up to RetryMax (each wait jittered by
	// ±20%). Zero means [DefaultRetryMin] / [DefaultRetryMax].
	RetryMin, RetryMax time.Duration
	// TokenTimeout bounds one GetToken call; 0 means [DefaultTokenTimeout].
	// A connection opened when there is no valid token waits for the
	// fetch (go-redis gives Subscribe no context), so this also bounds
	// how long a command can wait for a token.
	TokenTimeout time.Duration
	// Logger receives token refreshes (Debug) and failures (Warn), never a
	// token. Nil means the client's logger, or slog.Default() for
	// a provider built outside a client.
	Logger *slog.Logger
}

func (o Options) validate() error {
	switch {
	case o.RefreshFraction < 0 || o.RefreshFraction >= 1:
		return fmt.Errorf("azureauth: RefreshFraction must be in (0, 1), got %v", o.RefreshFraction)
	case o.Jitter >= 1:
		return fmt.Errorf("azureauth: Jitter must be below 1, got %v", o.Jitter)
	case o.RetryMin < 0 || o.RetryMax < 0 || o.TokenTimeout < 0:
		return errors.New("azureauth: RetryMin, RetryMax and TokenTimeout must not be negative")
	case o.RetryMin > 0 && o.RetryMax > 0 && o.RetryMin > o.RetryMax:
		return fmt.Errorf("azureauth: RetryMin %v is above RetryMax %v", o.RetryMin, o.RetryMax)
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Scope == "" {
		o.Scope = Scope
	}
	if o.RefreshFraction == 0 {
		o.RefreshFraction = DefaultRefreshFraction
	}
	if o.Jitter == 0 {
		o.Jitter = DefaultJitter
	} else if o.Jitter < 0 {
		o.Jitter = 0
	}
	if o.RetryMin == 0 {
		o.RetryMin = DefaultRetryMin
	}
	if o.RetryMax == 0 {
		o.RetryMax = max(DefaultRetryMax, o.RetryMin)
	}
	if o.TokenTimeout == 0 {
		o.TokenTimeout = DefaultTokenTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// errClosed is returned by Subscribe after Close.
var errClosed = errors.New("azureauth: the credentials provider is closed")

// provider is a go-redis auth.StreamingCredentialsProvider that
// authenticates with Microsoft Entra ID access tokens: the user name is
// the token's object id (its oid claim) and the password is the token.
//
// Every connection subscribes when it is opened. From the first
// subscription until Close, a background goroutine fetches a new token at
// RefreshFraction of the current one's lifetime (with jitter) and hands it
// to every subscribed connection; go-redis re-authenticates each one
// (AUTH) the next time it is idle, between commands, so no command is
// interrupted. A failed fetch is retried with exponential back-off; the
// connections keep the current token meanwhile. A connection opened when
// there is no valid token fetches one first, and fails if it cannot.
//
// Printing a provider (fmt, slog) never shows a token. It is the
// entraid.Source that redis-doctor reads.
type provider struct {
	cred     azcore.TokenCredential
	credType string
	user     string // fixed user name; "" means the token's oid
	o        Options
	logger   *slog.Logger

	notifyMu sync.Mutex // serialises notifications of new tokens

	mu        sync.Mutex
	tok       *token // current token, nil before the first
	listeners map[auth.CredentialsListener]struct{}
	fetching  chan struct{} // closed when the fetch in progress ends
	fetchErr  error         // result of the last fetch, read after fetching closes
	next      time.Time     // when the loop fetches next
	lastErr   error
	lastErrAt time.Time
	failures  int // consecutive failed fetches
	refreshes int // tokens acquired
	started   bool
	closed    bool
	stop      chan struct{}
	done      chan struct{}
	cancel    context.CancelFunc // cancels a fetch in progress on Close
	ctx       context.Context
}

// newProvider returns a provider of tokens from cred for scope o.Scope.
// user, when not "", is the user name sent with every token instead of the
// token's oid claim (a connection string's user=). It fetches nothing
// before the first connection subscribes. Close it when done.
func newProvider(cred azcore.TokenCredential, user string, o Options) (*provider, error) {
	if cred == nil {
		return nil, errors.New("azureauth: the credential is nil")
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &provider{
		cred:      cred,
		credType:  credentialType(cred),
		user:      user,
		o:         o,
		logger:    o.Logger,
		listeners: make(map[auth.CredentialsListener]struct{}),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		ctx:       ctx,
		cancel:    cancel,
	}, nil
}

// credentialType names the type of cred as it is shown in health reports
// and redis-doctor, e.g. "*azidentity.DefaultAzureCredential".
func credentialType(cred azcore.TokenCredential) string { return fmt.Sprintf("%T", cred) }

// Subscribe implements auth.StreamingCredentialsProvider: it returns the
// current token, fetching one first when there is none or it expired, and
// registers listener for the next ones. Subscribing a listener again is a
// no-op; every returned function unsubscribes it.
func (p *provider) Subscribe(listener auth.CredentialsListener) (auth.Credentials, auth.UnsubscribeFunc, error) {
	if listener == nil {
		return nil, nil, errors.New("azureauth: Subscribe: nil listener")
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, nil, errClosed
	}
	tok, lastErr, next, fetching := p.tok, p.lastErr, p.next, p.fetching != nil
	p.mu.Unlock()
	if now := time.Now(); !tok.validAt(now) {
		if lastErr != nil && now.Before(next) && !fetching {
			// The last fetch failed and its back-off is not over: fail
			// fast rather than ask the identity endpoint once per
			// connection attempt. The loop retries on schedule.
			return nil, nil, fmt.Errorf("azureauth: no valid token (next attempt in %v): %w", next.Sub(now).Round(time.Millisecond), lastErr)
		}
		if _, err := p.refresh(p.ctx); err != nil {
			return nil, nil, err
		}
	}
	// Register and read the token under one lock, so that a refresh in
	// between cannot be missed.
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, nil, errClosed
	}
	p.listeners[listener] = struct{}{}
	if !p.started {
		p.started = true
		if p.next.IsZero() {
			p.next = p.tok.refreshAt
		}
		go p.loop()
	}
	unsubscribe := func() error {
		p.mu.Lock()
		delete(p.listeners, listener)
		p.mu.Unlock()
		return nil
	}
	return p.tok, unsubscribe, nil
}

// refresh fetches a token, or waits for the fetch already in progress, and
// returns the current token when it succeeds.
func (p *provider) refresh(ctx context.Context) (*token, error) {
	p.mu.Lock()
	if ch := p.fetching; ch != nil {
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.fetchErr != nil {
			return nil, p.fetchErr
		}
		return p.tok, nil
	}
	ch := make(chan struct{})
	p.fetching = ch
	p.mu.Unlock()

	tok, err := p.fetch(ctx)
	now := time.Now()

	p.mu.Lock()
	var notify []auth.CredentialsListener
	switch {
	case err != nil && p.closed:
		// Close cancelled the fetch: not a credential failure.
		err = errClosed
	case err != nil:
		p.failures++
		p.lastErr, p.lastErrAt = err, now
		p.next = now.Add(p.backoff(p.failures))
	case p.tok != nil && tok.value == p.tok.value:
		// The credential handed back its cached token (azidentity renews
		// a token only close to its expiry, or at its RefreshOn): keep it
		// and ask again halfway to its expiry.
		p.failures, p.lastErr, p.lastErrAt = 0, nil, time.Time{}
		p.next = now.Add(max(p.o.RetryMin, p.tok.expires.Sub(now)/2))
		tok = p.tok
	default:
		p.tok = tok
		p.refreshes++
		p.failures, p.lastErr, p.lastErrAt = 0, nil, time.Time{}
		p.next = tok.refreshAt
		notify = make([]auth.CredentialsListener, 0, len(p.listeners))
		for l := range p.listeners {
			notify = append(notify, l)
		}
	}
	p.fetchErr = err
	p.fetching = nil
	failures := p.failures
	expires := time.Time{}
	if p.tok != nil {
		expires = p.tok.expires
	}
	p.mu.Unlock()
	close(ch)

	if errors.Is(err, errClosed) {
		return nil, err
	}
	if err != nil {
		attrs := []any{slog.String("credential", p.credType), slog.Int("attempt", failures), slog.String("error", err.Error())}
		if !expires.IsZero() {
			attrs = append(attrs, slog.Time("token.expires", expires))
		}
		p.logger.Warn("azureauth: token refresh failed", attrs...)
		return nil, err
	}
	if notify != nil {
		p.logger.Debug("azureauth: token acquired", slog.String("credential", p.credType), slog.String("user", tok.user),
			slog.Time("expires", tok.expires), slog.Int("connections", len(notify)))
	}
	// go-redis only marks each connection for re-authentication here; the
	// AUTH runs when the connection is next idle. Notifications are
	// serialised, and a token that a later refresh replaced meanwhile is
	// not sent, so a connection never moves back to an older token.
	if notify != nil {
		p.notifyMu.Lock()
		p.mu.Lock()
		current := p.tok == tok
		p.mu.Unlock()
		if current {
			for _, l := range notify {
				l.OnNext(tok)
			}
		}
		p.notifyMu.Unlock()
	}
	return tok, nil
}

// fetch asks the credential for a token and checks it.
func (p *provider) fetch(ctx context.Context) (*token, error) {
	ctx, cancel := context.WithTimeout(ctx, p.o.TokenTimeout)
	defer cancel()
	stopOnClose := context.AfterFunc(p.ctx, cancel)
	defer stopOnClose()
	issued := time.Now()
	at, err := p.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{p.o.Scope}})
	if err != nil {
		return nil, &refreshError{credType: p.credType, scope: p.o.Scope, err: err}
	}
	fail := func(err error) error {
		return &refreshError{credType: p.credType, scope: p.o.Scope, err: err}
	}
	if at.Token == "" {
		return nil, fail(errors.New("the credential returned an empty token"))
	}
	if !at.ExpiresOn.After(issued) {
		return nil, fail(fmt.Errorf("the credential returned a token that expired at %s", at.ExpiresOn.UTC().Format(time.RFC3339)))
	}
	user := p.user
	if user == "" {
		oid, err := objectID(at.Token)
		if err != nil {
			return nil, fail(err)
		}
		user = oid
	}
	t := &token{value: at.Token, user: user, acquired: issued, expires: at.ExpiresOn}
	t.refreshAt = p.refreshTime(issued, at.ExpiresOn, at.RefreshOn)
	return t, nil
}

// refreshTime is when to fetch the next token for one acquired at
// acquired that expires at expires.
func (p *provider) refreshTime(acquired, expires, suggested time.Time) time.Time {
	life := expires.Sub(acquired)
	at := acquired.Add(time.Duration(float64(life) * p.o.RefreshFraction))
	if p.o.Jitter > 0 {
		j := (rand.Float64() - 0.5) * p.o.Jitter * float64(life)
		at = at.Add(time.Duration(j))
	}
	if !suggested.IsZero() && suggested.After(acquired) && suggested.Before(at) {
		at = suggested
	}
	if !at.Before(expires) {
		at = expires.Add(-life / 10)
	}
	return at
}

// backoff is the wait after the n-th consecutive failure.
func (p *provider) backoff(n int) time.Duration {
	d := p.o.RetryMin
	for i := 1; i < n && d < p.o.RetryMax; i++ {
		d *= 2
	}
	d = min(d, p.o.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// loop fetches tokens on schedule until Close.
func (p *provider) loop() {
	defer close(p.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		p.mu.Lock()
		wait := time.Until(p.next)
		p.mu.Unlock()
		timer.Reset(max(wait, 0))
		select {
		case <-p.stop:
			return
		case <-timer.C:
		}
		_, _ = p.refresh(p.ctx) // logged and recorded by refresh
	}
}

// Close stops the refresh goroutine and drops every subscription. Later
// Subscribe calls fail with errClosed. It is safe to call more than once.
func (p *provider) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	started := p.started
	clear(p.listeners)
	p.mu.Unlock()
	p.cancel()
	close(p.stop)
	if started {
		<-p.done
	}
	return nil
}

// State returns a snapshot of p (entraid.Source).
func (p *provider) State() entraid.State {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := entraid.State{
		CredentialType: p.credType,
		Scope:          p.o.Scope,
		Refreshes:      p.refreshes,
		Connections:    len(p.listeners),
		LastError:      p.lastErr,
		LastErrorAt:    p.lastErrAt,
		Failures:       p.failures,
	}
	if p.started {
		s.NextRefresh = p.next
	}
	if t := p.tok; t != nil {
		s.User, s.AcquiredAt, s.ExpiresOn = t.user, t.acquired, t.expires
	}
	return s
}

// String describes p without its token.
func (p *provider) String() string {
	s := p.State()
	if s.ExpiresOn.IsZero() {
		return "azureauth.Provider(" + s.CredentialType + ", no token yet)"
	}
	return "azureauth.Provider(" + s.CredentialType + ", user " + s.User + ", token expires " + s.ExpiresOn.UTC().Format(time.RFC3339) + ")"
}

// GoString is String, so that %#v shows no token either.
func (p *provider) GoString() string { return p.String() }

// LogValue is String, for slog.
func (p *provider) LogValue() slog.Value { return slog.StringValue(p.String()) }

// token is one access token as go-redis credentials.
type token struct {
	value     string
	user      string
	acquired  time.Time
	expires   time.Time
	refreshAt time.Time
}

// BasicAuth returns the user name (the oid) and the token as password.
func (t *token) BasicAuth() (string, string) { return t.user, t.value }

// RawCredentials returns the token.
func (t *token) RawCredentials() string { return t.value }

// String describes the token without its value.
func (t *token) String() string {
	return "token(user " + t.user + ", expires " + t.expires.UTC().Format(time.RFC3339) + ")"
}

// GoString is String.
func (t *token) GoString() string { return t.String() }

func (t *token) validAt(now time.Time) bool { return t != nil && now.Before(t.expires) }

// objectID reads the oid claim of a JWT without verifying it: the server
// verifies the token; the client only needs the user name.
func objectID(jwt string) (string, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) < 2 {
		return "", errors.New("the token is not a JWT, so it has no oid claim to use as the user name")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", errors.New("the token's payload is not base64url, so its oid claim cannot be read")
	}
	var claims struct {
		OID string `json:"oid"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", errors.New("the token's payload is not JSON, so its oid claim cannot be read")
	}
	if claims.OID == "" {
		return "", errors.New("the token has no oid claim, the object id Azure Redis expects as the user name")
	}
	return claims.OID, nil
}

// refreshError is a failed token fetch (errors.Is entraid.ErrRefresh). Its
// message names the credential type and the scope and never holds a
// token.
type refreshError struct {
	credType string
	scope    string
	err      error
}

func (e *refreshError) Error() string {
	return "azureauth: " + e.credType + " could not get a token for " + e.scope + ": " + redactTokens(e.err.Error())
}

// Unwrap returns the credential's error.
func (e *refreshError) Unwrap() error { return e.err }

// Is reports whether target is entraid.ErrRefresh.
func (e *refreshError) Is(target error) bool { return target == entraid.ErrRefresh }

// jwtPattern matches what looks like a JWT (header.payload[.signature]).
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?`)

// redactTokens masks JWT-shaped text, so that a credential error that
// quotes a token does not leak it.
func redactTokens(s string) string { return jwtPattern.ReplaceAllString(s, "***") }
