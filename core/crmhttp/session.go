package crmhttp

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"golang.org/x/oauth2"
)

// Session is what a login returns: the session credential and, if the
// server says, when it ends.
type Session struct {
	Token  string
	Expiry time.Time // zero: lives until rejected (or IdleTimeout)
	// BaseURL, if the login names the API host for this session.
	BaseURL string
}

// LoginFunc logs in and returns a session. It typically makes its own
// calls through the same Client with Request.NoAuth (vtenext: getchallenge,
// then login with md5(token + accessKey)); its errors should be
// *crmerr.Error: Auth for refused credentials (which trips the breaker),
// Transient for outages.
type LoginFunc func(ctx context.Context) (Session, error)

// SessionConfig configures a session-login Auth.
type SessionConfig struct {
	Login LoginFunc // required
	// QueryParam sends the session as this query parameter (vtenext's
	// sessionName); empty sends "Authorization: Bearer".
	QueryParam string
	// Breaker and Fingerprint stop logging in after a refused login until
	// the credentials change: vtenext locks the user after five failures.
	Breaker     Breaker
	Fingerprint string
	// IdleTimeout logs in again before using a session idle this long
	// (vtenext: PHP drops idle sessions after ~24 min; 20 min is safe).
	IdleTimeout time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
}

// NewSessionAuth returns a TokenAuth that logs in with cfg.Login on first
// use, after IdleTimeout, and once more when a Verdict says the session
// was rejected (the connector's classifier sets Reauth on its
// session-expired answer); a second rejection is final. Exactly one login
// runs at a time.
func NewSessionAuth(cfg SessionConfig) (*TokenAuth, error) {
	if cfg.Login == nil {
		return nil, errors.New("session auth: login function is nil")
	}
	fetch := func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
		s, err := cfg.Login(ctx)
		if err != nil {
			return nil, err
		}
		tok := &oauth2.Token{AccessToken: s.Token, TokenType: "Bearer", Expiry: s.Expiry}
		if s.BaseURL != "" {
			tok = tok.WithExtra(map[string]any{"base_url": s.BaseURL})
		}
		return tok, nil
	}
	return NewTokenAuth(TokenAuthConfig{Fetch: fetch, QueryParam: cfg.QueryParam, Breaker: cfg.Breaker,
		Fingerprint: cfg.Fingerprint, IdleTimeout: cfg.IdleTimeout, BaseURLField: "base_url",
		Skew: time.Minute, Now: cfg.Now, Logger: cfg.Logger})
}
