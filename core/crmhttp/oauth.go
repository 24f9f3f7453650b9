package crmhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"golang.org/x/oauth2"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// reauthoriseHint is what an admin reads when the refresh token is dead.
const reauthoriseHint = "the refresh token was rejected; re-authorise the app in the CRM and " +
	"update the refresh token in the rfmsync configuration"

// OAuthConfig configures an OAuth 2.0 refresh-token grant (RFC 6749 §6).
// Secrets here never reach logs, errors or String output.
type OAuthConfig struct {
	TokenURL     string // e.g. https://api.hubapi.com/oauth/v1/token
	ClientID     string
	ClientSecret string // may be empty where the provider allows (Salesforce, if not enforced)
	RefreshToken string
	// Skew: refresh this long before expires_in ends; 0 means DefaultSkew.
	Skew time.Duration
	// Timeout bounds one token request; 0 means 30 s.
	Timeout time.Duration
	// Transport is the base RoundTripper for token requests; nil means a
	// pooled transport of its own.
	Transport http.RoundTripper
	// OnRotate is called with the new refresh token when the server returns
	// a different one (Salesforce rotation invalidates the old one at once,
	// so persist it). It runs while the refresh lock is held and must not
	// call back into the Auth.
	OnRotate func(refreshToken string)
	// IsDeadRefresh recognises provider-specific "refresh token is dead"
	// answers beyond RFC 6749's invalid_grant, which is always recognised;
	// e.g. HubSpot's 400 {"status":"BAD_REFRESH_TOKEN"} without an error field.
	IsDeadRefresh func(status int, body []byte) bool
	Now           func() time.Time // default time.Now
	Logger        *slog.Logger     // default discards
}

// NewOAuthRefresh returns a TokenAuth whose Fetch is a refresh-token grant
// through golang.org/x/oauth2, with client_id and client_secret in the form
// body (AuthStyleInParams, as HubSpot requires; Salesforce accepts it too).
// The newest refresh token is kept for the next refresh. A refresh answered
// with invalid_grant (or IsDeadRefresh) fails with crmerr.AuthRefreshDead;
// other 4xx with Auth; 429 with RateLimited; 5xx and network errors with
// Transient, so the request that needed the token retries.
func NewOAuthRefresh(cfg OAuthConfig) (*TokenAuth, error) {
	switch {
	case cfg.TokenURL == "":
		return nil, errors.New("oauth: token URL is empty")
	case cfg.ClientID == "":
		return nil, errors.New("oauth: client ID is empty")
	case cfg.RefreshToken == "":
		return nil, errors.New("oauth: refresh token is empty")
	}
	if u, err := url.Parse(cfg.TokenURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("oauth: token URL must be an absolute http(s) URL")
	}
	RegisterSecret(cfg.ClientSecret)
	RegisterSecret(cfg.RefreshToken)
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	base := cfg.Transport
	if base == nil {
		base = cleanhttp.DefaultPooledTransport()
	}
	conf := &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}

	var hc *http.Client // set below, once the TokenAuth whose Stats it counts in exists
	fetch := func(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
		tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: cur.RefreshToken}).Token()
		if err != nil {
			return nil, refreshError(err, cfg.IsDeadRefresh)
		}
		if tok.RefreshToken != "" && tok.RefreshToken != cur.RefreshToken && cfg.OnRotate != nil {
			cfg.OnRotate(tok.RefreshToken)
		}
		return tok, nil
	}
	a, err := NewTokenAuth(TokenAuthConfig{Fetch: fetch, Initial: &oauth2.Token{RefreshToken: cfg.RefreshToken},
		Skew: cfg.Skew, Now: cfg.Now, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	hc = &http.Client{Timeout: cfg.Timeout, Transport: countingTransport{base: base, stats: &a.stats}}
	return a, nil
}

// refreshError classifies a failed refresh. It never includes the request
// form (which holds the secrets) and keeps only code and description of the body.
func refreshError(err error, isDead func(int, []byte) bool) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) { // network error or unusable answer; a cancelled caller is handled by TokenAuth
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL; keep the network cause
		}
		return &crmerr.Error{Class: crmerr.Transient, Message: "token request failed", Err: err}
	}
	status := 0
	var header http.Header
	if re.Response != nil {
		status, header = re.Response.StatusCode, re.Response.Header
	}
	e := &crmerr.Error{Status: status, Code: re.ErrorCode, Message: RedactString(re.ErrorDescription)}
	switch {
	case re.ErrorCode == "invalid_grant" || (isDead != nil && isDead(status, re.Body)):
		e.Class = crmerr.AuthRefreshDead
		e.Message = reauthoriseHint
		if re.ErrorDescription != "" {
			e.Message = fmt.Sprintf("%s (%s)", reauthoriseHint, RedactString(re.ErrorDescription))
		}
	case status == http.StatusTooManyRequests:
		e.Class = crmerr.RateLimited
		e.RetryAfter, _ = ParseRetryAfter(header.Get("Retry-After"), time.Now())
	case status >= 500:
		e.Class = crmerr.Transient
	default:
		e.Class = crmerr.Auth
		if e.Message == "" {
			e.Message = "the token endpoint refused the refresh; check client ID and secret"
		}
	}
	return e
}

// countingTransport counts token requests in the bound Stats.
type countingTransport struct {
	base  http.RoundTripper
	stats *atomic.Pointer[Stats]
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.stats.Load().addCall(nil, OpAuth)
	return t.base.RoundTrip(req)
}
