package salesforcetest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

func TestRefreshTokenGrant(t *testing.T) {
	s := newServer(t, Options{})
	form := url.Values{"grant_type": {GrantRefreshToken}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "refresh_token": {DefaultRefreshToken}}
	r := tokenCall(t, s.TokenURL(), form)
	wantStatus(t, r, 200)
	m := r.obj(t)
	for _, k := range []string{"access_token", "instance_url", "id", "token_type", "issued_at", "signature", "scope"} {
		if _, ok := m[k]; !ok {
			t.Errorf("token response lacks %s: %s", k, r.body)
		}
	}
	for _, k := range []string{"expires_in", "refresh_token"} {
		if _, ok := m[k]; ok {
			t.Errorf("token response has %s (§1.4: no expiry; no rotation configured)", k)
		}
	}
	issued, ok := m["issued_at"].(string)
	if !ok || issued != "1717200000000" {
		t.Errorf("issued_at %#v, want the clock's epoch millis as a string", m["issued_at"])
	}
	mac := hmac.New(sha256.New, []byte(DefaultClientSecret))
	mac.Write([]byte(m["id"].(string) + issued))
	if m["signature"] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Errorf("signature is not HMAC-SHA256(id + issued_at)")
	}
	if !strings.HasPrefix(m["access_token"].(string), "00D000000000001!") || m["token_type"] != "Bearer" {
		t.Errorf("token %v type %v", m["access_token"], m["token_type"])
	}
	// The access token works on the instance, never on the login host.
	tok := m["access_token"].(string)
	wantStatus(t, get(t, s, tok, v+"/limits"), 200)
	wantError(t, call(t, req{method: http.MethodGet, url: s.LoginURL() + v + "/limits", token: tok}), 404, "NOT_FOUND")
	if s.TokenRefreshes() != 1 || s.TokensIssued() != 1 {
		t.Errorf("refreshes %d issued %d", s.TokenRefreshes(), s.TokensIssued())
	}
	// Token requests keep no body or query in the log: they carry secrets.
	for _, c := range s.Log() {
		if c.Route == RouteToken && (len(c.Body) > 0 || c.Query != "") {
			t.Errorf("token call logged with its secrets: %+v", c)
		}
	}

	for _, tc := range []struct {
		name       string
		change     url.Values
		code, desc string
	}{
		{"no secret", url.Values{"client_secret": {""}}, "invalid_client", "invalid client credentials"},
		{"bad client", url.Values{"client_id": {"other"}}, "invalid_client_id", "client identifier invalid"},
		{"revoked token", url.Values{"refresh_token": {"nope"}}, "invalid_grant", "expired access/refresh token"},
		{"no grant", url.Values{"grant_type": {""}}, "invalid_request", "grant type is missing"},
		{"other grant", url.Values{"grant_type": {"password"}}, "unsupported_grant_type", "grant type not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{}
			for k, vs := range form {
				f[k] = vs
			}
			for k, vs := range tc.change {
				f[k] = vs
			}
			wantTokenError(t, tokenCall(t, s.TokenURL(), f), tc.code, tc.desc)
		})
	}
}

func TestTokenErrorsCanBe401(t *testing.T) {
	s := newServer(t, Options{TokenErrors401: true})
	r := tokenCall(t, s.TokenURL(), url.Values{"grant_type": {GrantRefreshToken}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "refresh_token": {"revoked"}})
	wantStatus(t, r, http.StatusUnauthorized)
	if m := r.obj(t); m["error"] != "invalid_grant" {
		t.Errorf("body %s", r.body)
	}
}

func TestRefreshTokenRotationEndsTheOldSession(t *testing.T) {
	s := newServer(t, Options{RotateRefreshTokens: true})
	form := func(rt string) url.Values {
		return url.Values{"grant_type": {GrantRefreshToken}, "client_id": {DefaultClientID},
			"client_secret": {DefaultClientSecret}, "refresh_token": {rt}}
	}
	r := tokenCall(t, s.TokenURL(), form(DefaultRefreshToken))
	wantStatus(t, r, 200)
	m := r.obj(t)
	first, next := m["access_token"].(string), m["refresh_token"].(string)
	if next == "" || next == DefaultRefreshToken {
		t.Fatalf("rotation returned refresh token %q", next)
	}
	wantStatus(t, get(t, s, first, v+"/limits"), 200)
	wantTokenError(t, tokenCall(t, s.TokenURL(), form(DefaultRefreshToken)), "invalid_grant", "expired access/refresh token")
	r = tokenCall(t, s.TokenURL(), form(next))
	wantStatus(t, r, 200)
	second := r.obj(t)["access_token"].(string)
	wantError(t, get(t, s, first, v+"/limits"), 401, "INVALID_SESSION_ID")
	wantStatus(t, get(t, s, second, v+"/limits"), 200)
}

func TestClientCredentialsGrant(t *testing.T) {
	s := newServer(t, Options{})
	form := url.Values{"grant_type": {GrantClientCredentials}, "client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}
	// login.salesforce.com refuses the flow (§1.2).
	wantTokenError(t, tokenCall(t, s.TokenURL(), form), "invalid_grant", "request not supported on this domain")
	r := tokenCall(t, s.URL()+"/services/oauth2/token", form)
	wantStatus(t, r, 200)
	if m := r.obj(t); m["refresh_token"] != nil || m["instance_url"] != s.URL() {
		t.Errorf("client credentials response %s", r.body)
	}
	// HTTP Basic carries the credentials as well.
	hr := req{method: http.MethodPost, url: s.URL() + "/services/oauth2/token", contentType: "application/x-www-form-urlencoded",
		body: "grant_type=client_credentials", header: map[string]string{"Authorization": "Basic " +
			base64.StdEncoding.EncodeToString([]byte(DefaultClientID+":"+DefaultClientSecret))}}
	wantStatus(t, call(t, hr), 200)
	form.Set("client_secret", "wrong")
	wantTokenError(t, tokenCall(t, s.URL()+"/services/oauth2/token", form), "invalid_client", "invalid client credentials")

	s2 := newServer(t, Options{NoRunAsUser: true})
	form.Set("client_secret", DefaultClientSecret)
	wantTokenError(t, tokenCall(t, s2.URL()+"/services/oauth2/token", form), "invalid_grant", "no client credentials user enabled")
}

func TestJWTBearerGrant(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, Options{JWTKey: &key.PublicKey})
	good := fakekit.JWTClaims{Iss: DefaultClientID, Sub: DefaultUsername, Aud: AudienceProduction, Exp: s.Now().Add(2 * time.Minute).Unix()}
	assert := func(k *rsa.PrivateKey, c fakekit.JWTClaims) response {
		a, err := fakekit.SignJWT(k, c)
		if err != nil {
			t.Fatal(err)
		}
		return tokenCall(t, s.TokenURL(), url.Values{"grant_type": {GrantJWTBearer}, "assertion": {a}})
	}
	r := assert(key, good)
	wantStatus(t, r, 200)
	m := r.obj(t)
	for _, k := range []string{"refresh_token", "signature", "issued_at"} {
		if _, ok := m[k]; ok {
			t.Errorf("JWT response has %s; the fake omits it so clients must not need it", k)
		}
	}
	wantStatus(t, get(t, s, m["access_token"].(string), v+"/limits"), 200)

	bad := func(change func(*fakekit.JWTClaims)) fakekit.JWTClaims { c := good; change(&c); return c }
	for _, tc := range []struct {
		name       string
		key        *rsa.PrivateKey
		claims     fakekit.JWTClaims
		code, desc string
	}{
		{"wrong key", other, good, "invalid_grant", "invalid assertion"},
		{"audience", key, bad(func(c *fakekit.JWTClaims) { c.Aud = "https://acme.my.salesforce.com" }), "invalid_grant", "audience is invalid"},
		{"exp too far", key, bad(func(c *fakekit.JWTClaims) { c.Exp = s.Now().Add(4 * time.Minute).Unix() }), "invalid_grant", "expired authorization code"},
		{"exp passed", key, bad(func(c *fakekit.JWTClaims) { c.Exp = s.Now().Unix() }), "invalid_grant", "expired authorization code"},
		{"other user", key, bad(func(c *fakekit.JWTClaims) { c.Sub = "someone@else" }), "invalid_grant", "user hasn't approved this consumer"},
		{"prn wins", key, bad(func(c *fakekit.JWTClaims) { c.Prn = "someone@else" }), "invalid_grant", "user hasn't approved this consumer"},
		{"issuer", key, bad(func(c *fakekit.JWTClaims) { c.Iss = "other" }), "invalid_client_id", "client identifier invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantTokenError(t, assert(tc.key, tc.claims), tc.code, tc.desc) })
	}
	s.opts.JWTUnapproved = true
	wantTokenError(t, assert(key, good), "invalid_grant", "user hasn't approved this consumer")
}

func TestSessionsExpireWithoutWarning(t *testing.T) {
	s := newServer(t, Options{SessionTTL: time.Hour})
	tok := login(t, s)
	s.Advance(59 * time.Minute)
	wantStatus(t, get(t, s, tok, v+"/limits"), 200)
	s.Advance(time.Minute)
	wantError(t, get(t, s, tok, v+"/limits"), 401, "INVALID_SESSION_ID")
	tok = login(t, s)
	s.ExpireSessions()
	r := get(t, s, tok, v+"/limits")
	wantError(t, r, 401, "INVALID_SESSION_ID")
	if r.header.Get("Sforce-Limit-Info") == "" {
		t.Error("401 lacks Sforce-Limit-Info")
	}
	wantError(t, get(t, s, "", v+"/limits"), 401, "INVALID_SESSION_ID")
}
