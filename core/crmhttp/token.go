package crmhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// DefaultSkew is how long before its end a token's lifetime is treated as
// over: a request authorised just before expiry may still be in flight (or
// waiting on pacing) when the token dies.
const DefaultSkew = 5 * time.Minute

// TokenFunc obtains a fresh credential. current is a copy of the credential
// being replaced (its RefreshToken is what an OAuth refresh grant sends); its
// AccessToken may be empty. Errors should be *crmerr.Error: AuthRefreshDead
// or Auth stop the run, Transient and RateLimited let the request retry.
// Any other error counts as Auth, so a broken login is never retried in a
// loop (vtenext locks the user after 5 failed logins).
type TokenFunc func(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error)

// TokenAuthConfig configures a TokenAuth.
type TokenAuthConfig struct {
	Fetch TokenFunc // required
	// Initial is the starting credential, e.g. only a RefreshToken; nil is fine.
	Initial *oauth2.Token
	// Skew: refresh this long before the token's lifetime ends; 0 means
	// DefaultSkew. It is capped at half the lifetime so short-lived tokens
	// are not refreshed on every call.
	Skew time.Duration
	// QueryParam, if set, sends the token as this query parameter (vtenext
	// "sessionName") instead of an "Authorization: Bearer" header.
	QueryParam string
	// Breaker, if set, is asked before every fetch and tripped when one is
	// refused (class Auth or AuthRefreshDead): later fetches with the same
	// Fingerprint fail at once with crmerr.LoginBlocked, without a call.
	Breaker     Breaker
	Fingerprint string // of the configured credentials; required with Breaker
	// IdleTimeout, if set, renews a credential unused this long (login
	// sessions that the server drops when idle, such as PHP sessions).
	IdleTimeout time.Duration
	// BaseURLField names the token field carrying the API base URL for the
	// session (Salesforce's instance_url), read by BaseURL.
	BaseURLField string
	Now          func() time.Time // default time.Now
	Logger       *slog.Logger     // default discards
}

// TokenAuth is an Auth for expiring credentials: OAuth access tokens and
// login sessions. It fetches on first use, again ahead of expiry (from
// ExpiresIn measured with Now, else Expiry; a token with neither lives until
// rejected, like Salesforce's) and again after Invalidate. Exactly one fetch
// is in flight at a time; concurrent callers wait and reuse its result.
type TokenAuth struct {
	fetch   TokenFunc
	skew    time.Duration
	param   string
	breaker Breaker
	fp      string
	idle    time.Duration
	urlKey  string
	now     func() time.Time
	log     *slog.Logger
	stats   atomic.Pointer[Stats]
	sem     chan struct{} // holds one token while a fetch runs

	mu        sync.Mutex // guards the fields below
	tok       *oauth2.Token
	refreshAt time.Time // zero: no expiry known
	stale     bool      // rejected by the server
	lastUse   time.Time

	testHookWait func() // called when a caller finds no valid token (tests)
}

// NewTokenAuth returns a TokenAuth that obtains credentials with cfg.Fetch.
func NewTokenAuth(cfg TokenAuthConfig) (*TokenAuth, error) {
	if cfg.Fetch == nil {
		return nil, errors.New("token auth: fetch function is nil")
	}
	if cfg.Breaker != nil && cfg.Fingerprint == "" {
		return nil, errors.New("token auth: a breaker needs the credentials' fingerprint")
	}
	a := &TokenAuth{fetch: cfg.Fetch, skew: cfg.Skew, param: cfg.QueryParam, now: cfg.Now,
		breaker: cfg.Breaker, fp: cfg.Fingerprint, idle: cfg.IdleTimeout, urlKey: cfg.BaseURLField,
		log: cfg.Logger, sem: make(chan struct{}, 1), tok: cfg.Initial}
	if a.skew == 0 {
		a.skew = DefaultSkew
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = slog.New(NewRedactingHandler(a.log.Handler()))
	return a, nil
}

// BindStats makes token fetches count in s (see StatsBinder).
func (a *TokenAuth) BindStats(s *Stats) { a.stats.Store(s) }

// String hides the credentials from %v and logs.
func (a *TokenAuth) String() string { return "TokenAuth(" + Redacted + ")" }

// Authorize puts a valid token on req, fetching one first if needed.
func (a *TokenAuth) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := a.Token(ctx)
	if err != nil {
		return err
	}
	if a.param != "" {
		q := req.URL.Query()
		q.Set(a.param, tok.AccessToken)
		req.URL.RawQuery = q.Encode()
		return nil
	}
	req.Header.Set("Authorization", tok.Type()+" "+tok.AccessToken)
	return nil
}

// Invalidate marks the token on rejected as dead, unless it was already
// replaced, and reports that a fresh one can be fetched.
func (a *TokenAuth) Invalidate(rejected *http.Request) bool {
	used := a.used(rejected)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok != nil && used != "" && a.tok.AccessToken == used {
		a.stale = true
	}
	return true
}

func (a *TokenAuth) used(req *http.Request) string {
	if a.param != "" {
		return req.URL.Query().Get(a.param)
	}
	_, tok, _ := strings.Cut(req.Header.Get("Authorization"), " ")
	return tok
}

// Token returns a valid token, fetching one if needed. Callers must not
// modify it. Salesforce's connector reads instance_url with Token.Extra.
func (a *TokenAuth) Token(ctx context.Context) (*oauth2.Token, error) {
	if tok := a.valid(); tok != nil {
		return tok, nil
	}
	if a.testHookWait != nil {
		a.testHookWait()
	}
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-a.sem }()
	if tok := a.valid(); tok != nil { // another caller fetched while we waited
		return tok, nil
	}
	return a.renew(ctx)
}

func (a *TokenAuth) valid() *oauth2.Token {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok == nil || a.tok.AccessToken == "" || a.stale {
		return nil
	}
	now := a.now()
	if !a.refreshAt.IsZero() && !now.Before(a.refreshAt) {
		return nil
	}
	if a.idle > 0 && !a.lastUse.IsZero() && now.Sub(a.lastUse) >= a.idle {
		return nil
	}
	a.lastUse = now
	return a.tok
}

// renew runs one fetch. The caller holds a.sem.
func (a *TokenAuth) renew(ctx context.Context) (*oauth2.Token, error) {
	a.mu.Lock()
	cur := &oauth2.Token{}
	if a.tok != nil {
		c := *a.tok
		cur = &c
	}
	a.mu.Unlock()

	if a.breaker != nil {
		reason, tripped, err := a.breaker.Tripped(a.fp)
		if err != nil {
			return nil, fmt.Errorf("read the login breaker: %w", err)
		}
		if tripped {
			return nil, &crmerr.Error{Class: crmerr.LoginBlocked, Message: "an earlier login with these " +
				"credentials was refused, so rfmsync does not try again until they change in the " +
				"configuration (" + reason + ")"}
		}
	}
	start := a.now()
	got, err := a.fetch(ctx, cur)
	a.stats.Load().addTokenFetch()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		ce, ok := crmerr.As(err)
		if !ok {
			// No classified refusal (a truncated or undecodable answer, a
			// network error): an outage to retry, never grounds to block
			// every later login.
			ce = &crmerr.Error{Class: crmerr.Transient, Message: "obtain credentials", Err: err}
			err = ce
		}
		if a.breaker != nil && (ce.Class == crmerr.Auth || ce.Class == crmerr.AuthRefreshDead) {
			if terr := a.breaker.Trip(a.fp, RedactString(ce.Message)); terr != nil {
				a.log.Error("could not record the refused login; the next run may try again", "error", terr)
			}
		}
		a.log.Warn("credential refresh failed", "error", err)
		return nil, fmt.Errorf("refresh credentials: %w", err)
	}
	if got == nil || got.AccessToken == "" {
		return nil, &crmerr.Error{Class: crmerr.Auth, Message: "credential response carries no access token"}
	}
	tok := *got
	if tok.RefreshToken == "" {
		tok.RefreshToken = cur.RefreshToken // servers that do not rotate omit it
	}
	RegisterSecret(tok.AccessToken)
	RegisterSecret(tok.RefreshToken)
	var refreshAt time.Time
	switch {
	case tok.ExpiresIn > 0:
		life := time.Duration(tok.ExpiresIn) * time.Second
		refreshAt = start.Add(life - min(a.skew, life/2))
	case !tok.Expiry.IsZero():
		life := tok.Expiry.Sub(start)
		refreshAt = tok.Expiry.Add(-min(a.skew, max(life, 0)/2))
	}

	a.mu.Lock()
	a.tok, a.refreshAt, a.stale, a.lastUse = &tok, refreshAt, false, a.now()
	a.mu.Unlock()
	a.log.Info("credential refreshed", "refresh_at", refreshAt)
	return &tok, nil
}

// GoString hides the credentials from %#v.
func (a *TokenAuth) GoString() string { return a.String() }

// BaseURL returns the API base URL the token response named in
// TokenAuthConfig.BaseURLField (Salesforce's instance_url), fetching a
// token first if needed. It must be an absolute https URL (http only for a
// loopback test server): the credential is sent there.
func (a *TokenAuth) BaseURL(ctx context.Context) (string, error) {
	if a.urlKey == "" {
		return "", errors.New("token auth: no base URL field configured")
	}
	tok, err := a.Token(ctx)
	if err != nil {
		return "", err
	}
	raw, _ := tok.Extra(a.urlKey).(string)
	u, err := url.Parse(raw)
	if raw == "" || err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) {
		return "", &crmerr.Error{Class: crmerr.Permanent,
			Message: fmt.Sprintf("the token response carries no usable %s (want an absolute https URL)", a.urlKey)}
	}
	return strings.TrimRight(raw, "/"), nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
