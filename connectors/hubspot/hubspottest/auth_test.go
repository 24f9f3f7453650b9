package hubspottest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func oauthOptions() Options {
	return noLimits(Options{OAuth: &OAuthApp{ClientID: "cid", ClientSecret: "csecret",
		RefreshTokens: map[string][]string{"rt-1": nil}}})
}

func refresh(t *testing.T, s *Server, path, rt string) response {
	t.Helper()
	return form(t, s, path, url.Values{"grant_type": {"refresh_token"}, "client_id": {"cid"},
		"client_secret": {"csecret"}, "refresh_token": {rt}})
}

// accessToken refreshes rt-1 and returns the new access token.
func accessToken(t *testing.T, s *Server) string {
	t.Helper()
	r := refresh(t, s, "/oauth/v1/token", "rt-1")
	wantStatus(t, r, http.StatusOK)
	m := r.obj(t)
	return m["access_token"].(string)
}

func TestStaticTokens(t *testing.T) {
	s := newServer(t, Options{Tokens: map[string][]string{"pat-na1-good": nil}})
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: "pat-na1-good"}), http.StatusOK)

	r := call(t, s, req{path: "/crm/v3/objects/deals", token: "pat-na1-bad"})
	m := wantError(t, r, http.StatusUnauthorized, "INVALID_AUTHENTICATION")
	if !strings.HasPrefix(m["message"].(string), "Authentication credentials not found.") {
		t.Errorf("message %v", m["message"])
	}
	wantError(t, call(t, s, req{path: "/crm/v3/objects/deals", noAuth: true}), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
	// The default token only exists when nothing else is configured.
	wantError(t, get(t, s, "/crm/v3/objects/deals"), http.StatusUnauthorized, "INVALID_AUTHENTICATION")

	s.RevokeToken("pat-na1-good")
	wantError(t, call(t, s, req{path: "/crm/v3/objects/deals", token: "pat-na1-good"}), http.StatusUnauthorized, "INVALID_AUTHENTICATION")
	s.AddToken("pat-na1-new")
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: "pat-na1-new"}), http.StatusOK)
}

func TestOAuthRefreshExpiryAndCount(t *testing.T) {
	s := newServer(t, oauthOptions())
	r := refresh(t, s, "/oauth/v1/token", "rt-1")
	wantStatus(t, r, http.StatusOK)
	var tok struct {
		TokenType    string   `json:"token_type"`
		AccessToken  string   `json:"access_token"`
		RefreshToken string   `json:"refresh_token"`
		ExpiresIn    int      `json:"expires_in"`
		Scopes       []string `json:"scopes"`
	}
	r.decode(t, &tok)
	if tok.ExpiresIn != 1800 || tok.RefreshToken != "rt-1" || tok.TokenType != "bearer" {
		t.Errorf("token response %+v", tok)
	}
	if len(tok.AccessToken) < 300 {
		t.Errorf("access token only %d chars; HubSpot's can exceed 300", len(tok.AccessToken))
	}
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: tok.AccessToken}), http.StatusOK)

	s.Advance(30*time.Minute - time.Second)
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: tok.AccessToken}), http.StatusOK)
	s.Advance(76 * time.Second)
	r = call(t, s, req{path: "/crm/v3/objects/deals", token: tok.AccessToken})
	m := wantError(t, r, http.StatusUnauthorized, "EXPIRED_AUTHENTICATION")
	if m["message"] != "The OAuth token used to make this call expired 75 second(s) ago." {
		t.Errorf("message %v", m["message"])
	}
	exp := m["context"].(map[string]any)["expire time"].([]any)[0]
	if exp != "2024-06-01T00:30:00Z" {
		t.Errorf("expire time %v", exp)
	}

	// Refresh on the date-versioned endpoint; the old token stays dead.
	r = refresh(t, s, "/oauth/2026-03/token", "rt-1")
	wantStatus(t, r, http.StatusOK)
	fresh := r.obj(t)["access_token"].(string)
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: fresh}), http.StatusOK)
	if s.TokenRefreshes() != 2 {
		t.Errorf("refreshes %d, want 2", s.TokenRefreshes())
	}
	if s.Calls(RouteToken) != 2 {
		t.Errorf("token calls %d", s.Calls(RouteToken))
	}
	s.ExpireAccessTokens()
	wantError(t, call(t, s, req{path: "/crm/v3/objects/deals", token: fresh}), http.StatusUnauthorized, "EXPIRED_AUTHENTICATION")
	for _, c := range s.Log() {
		if c.Route == RouteToken && len(c.Body) > 0 {
			t.Errorf("token request body was logged: %q", c.Body)
		}
	}
}

func TestOAuthRefreshFailures(t *testing.T) {
	s := newServer(t, oauthOptions())
	s.RevokeRefreshToken("rt-1")
	r := refresh(t, s, "/oauth/v1/token", "rt-1")
	wantStatus(t, r, http.StatusBadRequest)
	m := r.obj(t)
	if m["status"] != "BAD_REFRESH_TOKEN" || m["message"] != "missing or unknown refresh token" || m["correlationId"] == "" {
		t.Errorf("body %v", m)
	}
	if _, has := m["error"]; has {
		t.Errorf("legacy body must not carry RFC fields: %v", m)
	}
	r = refresh(t, s, "/oauth/v1/token", "never-issued")
	wantStatus(t, r, http.StatusBadRequest)
	if r.obj(t)["status"] != "BAD_REFRESH_TOKEN" {
		t.Errorf("unknown refresh token: %s", r.body)
	}
	r = form(t, s, "/oauth/v1/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"other"},
		"client_secret": {"csecret"}, "refresh_token": {"rt-1"}})
	if r.status != http.StatusBadRequest || r.obj(t)["status"] != "BAD_CLIENT_ID" {
		t.Errorf("bad client: %d %s", r.status, r.body)
	}
	// Fields in the query string do not count: they belong in the body.
	r = call(t, s, req{path: "/oauth/v1/token?grant_type=refresh_token&client_id=cid&client_secret=csecret&refresh_token=rt-1",
		body: "", ctype: "application/x-www-form-urlencoded", method: http.MethodPost, noAuth: true})
	wantStatus(t, r, http.StatusBadRequest)
	// JSON is not accepted either.
	r = call(t, s, req{path: "/oauth/v1/token", body: `{"grant_type":"refresh_token"}`, noAuth: true})
	wantStatus(t, r, http.StatusBadRequest)
	if s.TokenRefreshes() != 0 {
		t.Errorf("refreshes %d", s.TokenRefreshes())
	}
}

func TestOAuthRFCErrorFields(t *testing.T) {
	o := oauthOptions()
	o.OAuth.RFCErrors = true
	s := newServer(t, o)
	m := refresh(t, s, "/oauth/v3/token", "nope").obj(t)
	if m["error"] != "invalid_grant" || m["status"] != "BAD_REFRESH_TOKEN" {
		t.Errorf("body %v", m)
	}
}

func TestOAuthAuthorizationCodeGrant(t *testing.T) {
	s := newServer(t, oauthOptions())
	s.AddAuthCode("code-1", "crm.objects.deals.read")
	v := url.Values{"grant_type": {"authorization_code"}, "client_id": {"cid"}, "client_secret": {"csecret"},
		"redirect_uri": {"https://example.com/cb"}, "code": {"code-1"}}
	r := form(t, s, "/oauth/v1/token", v)
	wantStatus(t, r, http.StatusOK)
	m := r.obj(t)
	rt := m["refresh_token"].(string)
	if rt == "" || rt == "rt-1" {
		t.Errorf("refresh token %q", rt)
	}
	// Codes are single-use.
	r = form(t, s, "/oauth/v1/token", v)
	if r.status != http.StatusBadRequest || r.obj(t)["status"] != "BAD_AUTH_CODE" {
		t.Errorf("reused code: %d %s", r.status, r.body)
	}
	// The new refresh token works and keeps the code's scopes.
	r = refresh(t, s, "/oauth/v1/token", rt)
	wantStatus(t, r, http.StatusOK)
	tok := r.obj(t)["access_token"].(string)
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: tok}), http.StatusOK)
	wantError(t, call(t, s, req{path: "/crm/v3/objects/contacts", token: tok}), http.StatusForbidden, "MISSING_SCOPES")
	if s.TokensIssued() != 2 || s.TokenRefreshes() != 1 {
		t.Errorf("issued %d refreshes %d", s.TokensIssued(), s.TokenRefreshes())
	}
}

func TestMissingScopes(t *testing.T) {
	s := newServer(t, noLimits(Options{Tokens: map[string][]string{
		"reader": {"crm.objects.deals.read", "crm.objects.contacts.read"},
		"schema": {"crm.schemas.contacts.write"},
	}}))
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: "reader"}), http.StatusOK)
	r := call(t, s, req{path: "/crm/v3/objects/contacts/batch/update", token: "reader",
		body: map[string]any{"inputs": []any{}}})
	m := wantError(t, r, http.StatusForbidden, "MISSING_SCOPES")
	errs := m["errors"].([]any)
	scopes := errs[0].(map[string]any)["context"].(map[string]any)["requiredGranularScopes"].([]any)
	if len(scopes) != 1 || scopes[0] != "crm.objects.contacts.write" {
		t.Errorf("required scopes %v", scopes)
	}
	// Association reads need both sides.
	r = call(t, s, req{path: "/crm/v4/associations/deals/companies/batch/read", token: "reader",
		body: map[string]any{"inputs": []any{}}})
	wantError(t, r, http.StatusForbidden, "MISSING_SCOPES")
	// Reading property definitions is allowed with the schema write scope.
	wantStatus(t, call(t, s, req{path: "/crm/v3/properties/contacts", token: "schema"}), http.StatusOK)
	wantError(t, call(t, s, req{path: "/crm/v3/properties/companies", token: "schema"}), http.StatusForbidden, "MISSING_SCOPES")
}

func TestOptionsNeverPrintSecrets(t *testing.T) {
	o := Options{Tokens: map[string][]string{"pat-na1-secret-token": nil},
		OAuth: &OAuthApp{ClientID: "cid", ClientSecret: "client-secret-value", RefreshTokens: map[string][]string{"refresh-secret": nil}}}
	for _, out := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o), fmt.Sprint(*o.OAuth)} {
		for _, secret := range []string{"pat-na1-secret-token", "client-secret-value", "refresh-secret"} {
			if strings.Contains(out, secret) {
				t.Errorf("%q leaks %q", out, secret)
			}
		}
	}
}
