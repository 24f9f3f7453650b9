package hubspottest

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// OAuthApp configures the one OAuth app whose tokens the server issues.
type OAuthApp struct {
	ClientID     string
	ClientSecret string
	// RefreshTokens maps valid refresh tokens to their scopes (nil: all).
	RefreshTokens map[string][]string
	// TokenTTL is the access-token lifetime reported as expires_in;
	// 30 minutes (1800 s, §1.2) when zero.
	TokenTTL time.Duration
	// RFCErrors adds the RFC 6749 error/error_description fields to
	// token-endpoint failures. Off by default: the older body carries only
	// status/message, so a client must key on status == BAD_REFRESH_TOKEN.
	RFCErrors bool
}

// String describes the app without its secret or tokens, so printing
// options never leaks credentials.
func (a OAuthApp) String() string {
	return fmt.Sprintf("OAuthApp{ClientID: %q, ClientSecret: <redacted>, RefreshTokens: %d, TokenTTL: %s}",
		a.ClientID, len(a.RefreshTokens), a.TokenTTL)
}

// GoString is String, for %#v.
func (a OAuthApp) GoString() string { return a.String() }

// token is what an access token (or the refresh token it came from)
// grants; its expiry and revocation live in the kit's OAuth state.
type token struct {
	oauth  bool
	scopes map[string]bool // nil: every scope
	// scopeList is the grant's scopes as given (nil: all), for responses.
	scopeList []string
	// limitKey is who the burst limit counts against: the app, so that a
	// refreshed OAuth token does not start a fresh window.
	limitKey string
}

// authState holds every credential. tokens guards itself; codes is guarded
// by Server.mu.
type authState struct {
	tokens fakekit.OAuth[token]
	codes  map[string][]string
}

func (a *authState) init(o *Options) {
	a.codes = map[string][]string{}
	for tok, scopes := range o.Tokens {
		a.tokens.AddAccess(tok, token{scopes: scopeSet(scopes), limitKey: "static:" + tok}, time.Time{})
	}
	if o.OAuth != nil {
		for rt, scopes := range o.OAuth.RefreshTokens {
			a.tokens.AddRefresh(rt, token{scopeList: scopes})
		}
	}
}

func scopeSet(scopes []string) map[string]bool {
	if scopes == nil {
		return nil
	}
	m := make(map[string]bool, len(scopes))
	for _, s := range scopes {
		m[s] = true
	}
	return m
}

// AddToken accepts a static bearer token with the given scopes (none given:
// every scope).
func (s *Server) AddToken(tok string, scopes ...string) {
	var set map[string]bool
	if len(scopes) > 0 {
		set = scopeSet(scopes)
	}
	s.auth.tokens.AddAccess(tok, token{scopes: set, limitKey: "static:" + tok}, time.Time{})
}

// RevokeToken makes an access token (static or OAuth) unknown: further calls
// get 401 INVALID_AUTHENTICATION.
func (s *Server) RevokeToken(tok string) { s.auth.tokens.Revoke(tok) }

// AddRefreshToken accepts a refresh token (none given: every scope).
func (s *Server) AddRefreshToken(rt string, scopes ...string) {
	var sc []string
	if len(scopes) > 0 {
		sc = scopes
	}
	s.auth.tokens.AddRefresh(rt, token{scopeList: sc})
}

// RevokeRefreshToken kills a refresh token, as uninstalling the app does:
// refreshing answers 400 BAD_REFRESH_TOKEN.
func (s *Server) RevokeRefreshToken(rt string) { s.auth.tokens.RevokeRefresh(rt) }

// AddAuthCode registers a one-time authorization code for the
// authorization_code grant (none given: every scope).
func (s *Server) AddAuthCode(code string, scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sc []string
	if len(scopes) > 0 {
		sc = scopes
	}
	s.auth.codes[code] = sc
}

// ExpireAccessTokens makes every OAuth access token issued so far expire at
// the clock's now, as if 30 minutes had passed.
func (s *Server) ExpireAccessTokens() {
	s.auth.tokens.ExpireWhere(s.clock.Now(), func(t token) bool { return t.oauth })
}

// TokenRefreshes counts successful refresh_token grants.
func (s *Server) TokenRefreshes() int { return s.auth.tokens.Refreshes() }

// TokensIssued counts access tokens issued by the token endpoint (both
// grants).
func (s *Server) TokensIssued() int { return s.auth.tokens.Issued() }

// requirement is a set of alternative scopes, any one of which satisfies it.
type requirement []string

// requirements lists the scopes an operation needs.
func (m *match) requirements() []requirement {
	if m.meta == nil {
		return nil
	}
	switch m.op {
	case opList, opGet, opBatchRead, opSearch:
		return []requirement{{m.meta.readScope()}}
	case opBatchUpdate, opPatch:
		return []requirement{{m.meta.writeScope()}}
	case opAssocBatchRead, opAssocGet:
		reqs := []requirement{{m.meta.readScope()}}
		if m.toMeta != nil {
			reqs = append(reqs, requirement{m.toMeta.readScope()})
		}
		return reqs
	case opPropList, opPropGet, opGroupList, opGroupGet:
		return []requirement{{m.meta.schemaReadScope(), m.meta.schemaWriteScope()}}
	case opPropCreate, opPropPatch, opGroupCreate:
		return []requirement{{m.meta.schemaWriteScope()}}
	}
	return nil
}

// authorize checks the bearer token and its scopes (§1.3), answering 401 or
// 403 when they fall short.
func (s *Server) authorize(c *reqCtx) bool {
	h := c.r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		raw, ok = strings.CutPrefix(h, "bearer ")
	}
	now := s.clock.Now()
	sess, check := s.auth.tokens.Check(strings.TrimSpace(raw), now)
	if !ok || raw == "" || check == fakekit.TokenUnknown || check == fakekit.TokenRevoked {
		c.failWith(http.StatusUnauthorized, apiError{Category: "INVALID_AUTHENTICATION",
			Message: "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"})
		return false
	}
	snap := sess.Value
	if check == fakekit.TokenExpired {
		ago := int(now.Sub(sess.Expires) / time.Second)
		c.failWith(http.StatusUnauthorized, apiError{Category: "EXPIRED_AUTHENTICATION",
			Message: "The OAuth token used to make this call expired " + strconv.Itoa(ago) + " second(s) ago.",
			Context: map[string][]string{"expire time": {formatTime(sess.Expires)}}})
		return false
	}
	for _, req := range c.m.requirements() {
		if snap.scopes == nil || slices.ContainsFunc(req, func(sc string) bool { return snap.scopes[sc] }) {
			continue
		}
		c.failWith(http.StatusForbidden, apiError{Category: "MISSING_SCOPES",
			Message: "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
			Errors: []errorDetail{{Message: "One or more of the following scopes are required.",
				Context: map[string][]string{"requiredGranularScopes": append([]string(nil), req...)}}},
			Links: map[string]string{"scopes": "https://developers.hubspot.com/scopes"}})
		return false
	}
	c.tok = &snap
	return true
}

// tokenError is the token endpoint's failure body (§1.2).
type tokenError struct {
	Status           string `json:"status"`
	Message          string `json:"message"`
	CorrelationID    string `json:"correlationId"`
	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// handleToken serves POST /oauth/{v1,v3,2026-03}/token: form-encoded, all
// fields in the body (the query string is ignored), grant types
// refresh_token and authorization_code.
func (s *Server) handleToken(c *reqCtx) {
	app := s.opts.OAuth
	fail := func(status, msg, rfc, rfcDesc string) {
		e := tokenError{Status: status, Message: msg, CorrelationID: c.cid}
		if app != nil && app.RFCErrors {
			e.Error, e.ErrorDescription = rfc, rfcDesc
		}
		c.writeJSON(http.StatusBadRequest, e)
	}
	form := fakekit.TokenForm(c.r, c.body)
	grant := form.Get("grant_type")
	if grant != "refresh_token" && grant != "authorization_code" {
		fail("BAD_GRANT_TYPE", "missing or unknown grant type", "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
		return
	}
	badClient := func() {
		fail("BAD_CLIENT_ID", "missing or unknown client id", "invalid_client", "client_id is invalid")
	}
	badSecret := func() {
		fail("BAD_CLIENT_SECRET", "missing or invalid client secret", "invalid_client", "client_secret is invalid")
	}
	if app == nil {
		badClient()
		return
	}
	var rtName string
	var scopes []string
	switch grant {
	case "refresh_token":
		// The kit checks client, secret, then the refresh token, in
		// HubSpot's order.
		g, why := s.auth.tokens.Exchange(fakekit.App{ClientID: app.ClientID, ClientSecret: app.ClientSecret}, c.r, form, s.clock.Now())
		switch why {
		case fakekit.GrantBadClient:
			badClient()
			return
		case fakekit.GrantBadSecret:
			badSecret()
			return
		case fakekit.GrantOK:
		default:
			fail("BAD_REFRESH_TOKEN", "missing or unknown refresh token", "invalid_grant", "refresh token is invalid, expired or revoked")
			return
		}
		rtName, scopes = g.Refresh, g.From.scopeList
	case "authorization_code":
		if form.Get("client_id") != app.ClientID {
			badClient()
			return
		}
		if form.Get("client_secret") != app.ClientSecret {
			badSecret()
			return
		}
		code := form.Get("code")
		s.mu.Lock()
		sc, ok := s.auth.codes[code]
		if ok && code != "" && form.Get("redirect_uri") != "" {
			delete(s.auth.codes, code)
		}
		s.mu.Unlock()
		if code == "" || !ok || form.Get("redirect_uri") == "" {
			fail("BAD_AUTH_CODE", "missing or unknown auth code", "invalid_grant", "authorization code is invalid or expired")
			return
		}
		scopes = sc
		rtName = randomToken(27)
		s.auth.tokens.AddRefresh(rtName, token{scopeList: sc})
	}
	access := "CO" + randomToken(240)
	s.auth.tokens.Issue(access, token{oauth: true, scopes: scopeSet(scopes), scopeList: scopes,
		limitKey: "oauth:" + app.ClientID}, s.clock.Now().Add(app.TokenTTL))
	granted := scopes
	if granted == nil {
		granted = allScopes()
	}
	granted = slices.Clone(granted)
	sort.Strings(granted)
	c.writeJSON(http.StatusOK, map[string]any{
		"token_type":    "bearer",
		"access_token":  access,
		"refresh_token": rtName,
		"expires_in":    int(app.TokenTTL / time.Second),
		"hub_id":        s.opts.HubID,
		"scopes":        granted,
	})
}

// randomToken returns n random bytes in URL-safe base64; HubSpot access
// tokens are long (allow ≥300 characters, §1.2), so clients must not
// truncate them.
func randomToken(n int) string { return fakekit.RandomToken(n) }
