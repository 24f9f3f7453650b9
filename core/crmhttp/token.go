package crmhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
	Now        func() time.Time // default time.Now
	Logger     *slog.Logger     // default discards
}

// TokenAuth is an Auth for expiring credentials: OAuth access tokens and
// login sessions. It fetches on first use, again ahead of expiry (from
// ExpiresIn measured with Now, else Expiry; a token with neither lives until
// rejected, like Salesforce's) and again after Invalidate. Exactly one fetch
// is in flight at a time; concurrent callers wait and reuse its result.
type TokenAuth struct {
	fetch TokenFunc
	skew  time.Duration
	param string
	now   func() time.Time
	log   *slog.Logger
	stats atomic.Pointer[Stats]
	sem   chan struct{} // holds one token while a fetch runs

	mu        sync.Mutex // guards the fields below
	tok       *oauth2.Token
	refreshAt time.Time // zero: no expiry known
	stale     bool      // rejected by the server

	testHookWait func() // called when a caller finds no valid token (tests)
}

// NewTokenAuth returns a TokenAuth that obtains credentials with cfg.Fetch.
func NewTokenAuth(cfg TokenAuthConfig) (*TokenAuth, error) {
	if cfg.Fetch == nil {
		return nil, errors.New("token auth: fetch function is nil")
	}
	a := &TokenAuth{fetch: cfg.Fetch, skew: cfg.Skew, param: cfg.QueryParam, now: cfg.Now,
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
	if !a.refreshAt.IsZero() && !a.now().Before(a.refreshAt) {
		return nil
	}
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

	start := a.now()
	got, err := a.fetch(ctx, cur)
	a.stats.Load().addTokenFetch()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if _, ok := crmerr.As(err); !ok {
			err = &crmerr.Error{Class: crmerr.Auth, Message: "obtain credentials", Err: err}
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
	a.tok, a.refreshAt, a.stale = &tok, refreshAt, false
	a.mu.Unlock()
	a.log.Info("credential refreshed", "refresh_at", refreshAt)
	return &tok, nil
}

// GoString hides the credentials from %#v.
func (a *TokenAuth) GoString() string { return a.String() }
