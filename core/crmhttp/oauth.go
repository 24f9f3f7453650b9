package crmhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/jwt"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// Grant is an OAuth 2.0 grant the client can obtain access tokens with.
type Grant int

// The grants. RefreshToken is the zero value, so older configs keep it.
const (
	// GrantRefreshToken exchanges a refresh token obtained once
	// interactively (RFC 6749 §6); the server may rotate it.
	GrantRefreshToken Grant = iota
	// GrantClientCredentials authenticates the app itself with its ID and
	// secret (RFC 6749 §4.4); no refresh token, no user.
	GrantClientCredentials
	// GrantJWTBearer signs an assertion with the app's private key
	// (RFC 7523); no secret travels, no refresh token.
	GrantJWTBearer
)

func (g Grant) String() string {
	switch g {
	case GrantClientCredentials:
		return "client credentials"
	case GrantJWTBearer:
		return "JWT bearer"
	}
	return "refresh token"
}

// reauthoriseHint is what an admin reads when the refresh token is dead.
const reauthoriseHint = "the refresh token was rejected; re-authorise the app in the CRM and " +
	"update the refresh token in the rfmsync configuration"

// refusedHint is what an admin reads when a grant's credentials are refused.
var refusedHint = map[Grant]string{
	GrantClientCredentials: "the token endpoint refused the client credentials grant: check the client ID " +
		"and secret, that the app allows this grant (a run-as user where the CRM needs one) and that the " +
		"token URL is the one the CRM requires for it",
	GrantJWTBearer: "the token endpoint refused the JWT assertion: check the client ID (issuer), the " +
		"user (subject), the audience, that the app holds the certificate of this private key, and that " +
		"the user is pre-authorised for the app",
	GrantRefreshToken: "the token endpoint refused the refresh; check client ID and secret",
}

// TokenStore keeps a rotated refresh token across restarts: a server that
// rotates (Salesforce with rotation on) invalidates the old token at once,
// so the configured one no longer works after the first refresh. Core
// supplies it (the lead keeps it in state, 0600). Keys are fingerprints
// of the configured credentials, so a token saved for old credentials is
// never used after the config changes.
type TokenStore interface {
	// LoadRefreshToken returns the token saved under key, if any.
	LoadRefreshToken(key string) (token string, ok bool, err error)
	// SaveRefreshToken stores token under key durably before it is used.
	SaveRefreshToken(key, token string) error
}

// OAuthConfig configures an OAuth 2.0 grant. Secrets here never reach
// logs, errors or String output.
type OAuthConfig struct {
	Grant        Grant
	TokenURL     string // e.g. https://api.hubapi.com/oauth/v1/token
	ClientID     string // the consumer key; the JWT issuer
	ClientSecret string // refresh (where required) and client credentials
	RefreshToken string // refresh-token grant

	// JWT bearer: Subject is the user (Salesforce username), Audience the
	// login host the assertion is for (default TokenURL), PrivateKey the
	// PEM RSA key signing it (RS256), Lifetime its exp (default 3 min,
	// Salesforce's maximum).
	Subject    string
	Audience   string
	PrivateKey []byte
	KeyID      string
	Lifetime   time.Duration

	Scopes []string // requested scopes, if the grant takes any

	// BaseURLField names the token-response field that carries the API base
	// URL for this session (Salesforce "instance_url"); TokenAuth.BaseURL
	// reads it.
	BaseURLField string

	// Store, if set, keeps rotated refresh tokens across restarts (see
	// TokenStore); a token saved for these credentials replaces
	// RefreshToken at start.
	Store TokenStore

	// Skew: refresh this long before expires_in ends; 0 means DefaultSkew.
	Skew time.Duration
	// Timeout bounds one token request; 0 means 30 s.
	Timeout time.Duration
	// Transport is the base RoundTripper for token requests; nil means a
	// transport of its own (NewTransport).
	Transport http.RoundTripper
	// OnRotate is called with the new refresh token when the server returns
	// a different one, after Store saved it. It runs while the refresh lock
	// is held and must not call back into the Auth.
	OnRotate func(refreshToken string)
	// IsDeadRefresh recognises provider-specific "refresh token is dead"
	// answers beyond RFC 6749's invalid_grant, which is always recognised;
	// e.g. HubSpot's 400 {"status":"BAD_REFRESH_TOKEN"} without an error field.
	IsDeadRefresh func(status int, body []byte) bool
	// Breaker, if set, stops logging in after a refused grant until the
	// credentials change (see Breaker).
	Breaker Breaker
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default discards
}

// fingerprint identifies the configured credentials (never the rotated
// refresh token), for the Breaker and the TokenStore.
func (cfg *OAuthConfig) fingerprint() string {
	return Fingerprint(cfg.Grant.String(), cfg.TokenURL, cfg.ClientID, cfg.ClientSecret, cfg.RefreshToken,
		cfg.Subject, cfg.Audience, string(cfg.PrivateKey))
}

// NewOAuthRefresh returns NewOAuth for the refresh-token grant, whatever
// cfg.Grant says.
func NewOAuthRefresh(cfg OAuthConfig) (*TokenAuth, error) {
	cfg.Grant = GrantRefreshToken
	return NewOAuth(cfg)
}

// NewOAuth returns a TokenAuth whose Fetch runs cfg.Grant through
// golang.org/x/oauth2 (its own clientcredentials and jwt packages for those
// grants), with client_id and client_secret in the form body
// (AuthStyleInParams, as HubSpot requires; Salesforce accepts it too). The
// newest refresh token is kept for the next refresh and handed to
// cfg.Store. A refresh answered with invalid_grant (or IsDeadRefresh)
// fails with crmerr.AuthRefreshDead; a refused client-credentials or JWT
// grant, and other 4xx, with Auth and a message for that grant; 429 with
// RateLimited; 5xx and network errors with Transient, so the request that
// needed the token retries.
func NewOAuth(cfg OAuthConfig) (*TokenAuth, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	RegisterSecret(cfg.ClientSecret)
	RegisterSecret(cfg.RefreshToken)
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	base := cfg.Transport
	if base == nil {
		base = NewTransport(Timeouts{})
	}
	fp := cfg.fingerprint()
	initial := cfg.RefreshToken
	if cfg.Store != nil && cfg.Grant == GrantRefreshToken {
		saved, ok, err := cfg.Store.LoadRefreshToken(fp)
		if err != nil {
			return nil, fmt.Errorf("oauth: load the saved refresh token: %w", err)
		}
		if ok && saved != "" {
			RegisterSecret(saved)
			initial = saved
		}
	}

	var hc *http.Client // set below, once the TokenAuth whose Stats it counts in exists
	source := cfg.tokenSource()
	fetch := func(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
		tok, err := source(ctx, cur)
		if err != nil {
			return nil, grantError(err, cfg.Grant, cfg.IsDeadRefresh)
		}
		if cfg.Grant == GrantRefreshToken && tok.RefreshToken != "" && tok.RefreshToken != cur.RefreshToken {
			RegisterSecret(tok.RefreshToken)
			if cfg.Store != nil {
				if err := cfg.Store.SaveRefreshToken(fp, tok.RefreshToken); err != nil {
					// The old token is already dead: keep working with the new
					// one in this run, and tell the admin the next start may fail.
					cfg.logger().Error("the CRM rotated the OAuth refresh token and saving the new one failed; "+
						"this run goes on, but the next start may need a new refresh token", "error", err)
				}
			}
			if cfg.OnRotate != nil {
				cfg.OnRotate(tok.RefreshToken)
			}
		}
		return tok, nil
	}
	a, err := NewTokenAuth(TokenAuthConfig{Fetch: fetch, Initial: &oauth2.Token{RefreshToken: initial},
		Skew: cfg.Skew, Now: cfg.Now, Logger: cfg.Logger, Breaker: cfg.Breaker, Fingerprint: fp,
		BaseURLField: cfg.BaseURLField})
	if err != nil {
		return nil, err
	}
	hc = &http.Client{Timeout: cfg.Timeout, Transport: countingTransport{base: base, stats: &a.stats},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return a, nil
}

func (cfg *OAuthConfig) logger() *slog.Logger {
	if cfg.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(NewRedactingHandler(cfg.Logger.Handler()))
}

// check validates what the grant needs.
func (cfg *OAuthConfig) check() error {
	switch {
	case cfg.TokenURL == "":
		return errors.New("oauth: token URL is empty")
	case cfg.ClientID == "":
		return errors.New("oauth: client ID is empty")
	}
	if u, err := url.Parse(cfg.TokenURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("oauth: token URL must be an absolute http(s) URL")
	}
	switch cfg.Grant {
	case GrantRefreshToken:
		if cfg.RefreshToken == "" {
			return errors.New("oauth: refresh token is empty")
		}
	case GrantClientCredentials:
		if cfg.ClientSecret == "" {
			return errors.New("oauth: the client credentials grant needs a client secret")
		}
	case GrantJWTBearer:
		if cfg.Subject == "" {
			return errors.New("oauth: the JWT bearer grant needs a subject (the user)")
		}
		if len(cfg.PrivateKey) == 0 {
			return errors.New("oauth: the JWT bearer grant needs a private key")
		}
	default:
		return fmt.Errorf("oauth: unknown grant %d", int(cfg.Grant))
	}
	return nil
}

// tokenSource returns the grant's exchange.
func (cfg *OAuthConfig) tokenSource() func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
	endpoint := oauth2.Endpoint{TokenURL: cfg.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	switch cfg.Grant {
	case GrantClientCredentials:
		cc := &clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			TokenURL: cfg.TokenURL, Scopes: cfg.Scopes, AuthStyle: oauth2.AuthStyleInParams}
		return func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) { return cc.Token(ctx) }
	case GrantJWTBearer:
		life := cfg.Lifetime
		if life <= 0 {
			life = 3 * time.Minute
		}
		jc := &jwt.Config{Email: cfg.ClientID, Subject: cfg.Subject, PrivateKey: cfg.PrivateKey,
			PrivateKeyID: cfg.KeyID, Scopes: cfg.Scopes, TokenURL: cfg.TokenURL, Audience: cfg.Audience, Expires: life}
		return func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
			return jc.TokenSource(ctx).Token()
		}
	}
	conf := &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: endpoint, Scopes: cfg.Scopes}
	return func(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
		return conf.TokenSource(ctx, &oauth2.Token{RefreshToken: cur.RefreshToken}).Token()
	}
}

// grantError classifies a failed token request. It never includes the
// request form (which holds the secrets) and keeps only code and
// description of the body.
func grantError(err error, grant Grant, isDead func(int, []byte) bool) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) { // network error or unusable answer; a cancelled caller is handled by TokenAuth
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL; keep the network cause
		}
		if strings.Contains(err.Error(), "private key") || strings.Contains(err.Error(), "key is invalid") {
			return &crmerr.Error{Class: crmerr.Auth, Message: "the JWT private key cannot be read: want a PEM RSA key"}
		}
		return &crmerr.Error{Class: crmerr.Transient, Message: "token request failed", Err: errors.New(RedactString(err.Error()))}
	}
	status := 0
	var header http.Header
	if re.Response != nil {
		status, header = re.Response.StatusCode, re.Response.Header
	}
	code, desc := re.ErrorCode, re.ErrorDescription
	if code == "" { // the jwt package leaves the body unparsed
		var body struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		if json.Unmarshal(re.Body, &body) == nil {
			code, desc = body.Error, body.ErrorDescription
		}
	}
	e := &crmerr.Error{Status: status, Code: code, Message: RedactString(desc)}
	withDesc := func(hint string) string {
		if desc != "" {
			return fmt.Sprintf("%s (%s)", hint, RedactString(desc))
		}
		return hint
	}
	switch {
	case grant == GrantRefreshToken && (code == "invalid_grant" || (isDead != nil && isDead(status, re.Body))):
		e.Class = crmerr.AuthRefreshDead
		e.Message = withDesc(reauthoriseHint)
	case status == http.StatusTooManyRequests:
		e.Class = crmerr.RateLimited
		e.RetryAfter, _ = ParseRetryAfter(header.Get("Retry-After"), time.Now())
	case status >= 500:
		e.Class = crmerr.Transient
	default:
		e.Class = crmerr.Auth
		if grant != GrantRefreshToken || e.Message == "" {
			e.Message = withDesc(refusedHint[grant])
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
