package crmhttp

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// tokenServer is a fake OAuth token endpoint that checks the refresh form
// and answers with access tokens at-1, at-2, …
type tokenServer struct {
	t         *testing.T
	mu        sync.Mutex
	forms     []url.Values
	expiresIn int    // 0 omits expires_in (Salesforce)
	rotateTo  string // refresh token to return, "" omits it
	fail      func(n int, w http.ResponseWriter) bool
	hold      chan struct{} // if set, each refresh waits for it
}

func (ts *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		ts.t.Errorf("token request content type %q", ct)
	}
	if r.Header.Get("Authorization") != "" {
		ts.t.Error("client credentials sent in a header, want form body (AuthStyleInParams)")
	}
	if err := r.ParseForm(); err != nil {
		ts.t.Error(err)
	}
	if len(r.URL.RawQuery) > 0 {
		ts.t.Errorf("token request has a query string %q", r.URL.RawQuery)
	}
	ts.mu.Lock()
	ts.forms = append(ts.forms, r.PostForm)
	n := len(ts.forms)
	ts.mu.Unlock()
	if ts.hold != nil {
		select {
		case <-ts.hold:
		case <-time.After(10 * time.Second):
			ts.t.Error("refresh held too long")
		}
	}
	if ts.fail != nil && ts.fail(n, w) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	body := fmt.Sprintf(`{"token_type":"bearer","access_token":"at-%d","hub_id":1`, n)
	if ts.expiresIn > 0 {
		body += fmt.Sprintf(`,"expires_in":%d`, ts.expiresIn)
	}
	if ts.rotateTo != "" {
		body += fmt.Sprintf(`,"refresh_token":%q`, ts.rotateTo)
	}
	io.WriteString(w, body+"}")
}

func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.forms)
}

func (ts *tokenServer) form(i int) url.Values {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.forms[i]
}

// oauthFixture wires a token server, an OAuth auth and a client against data.
func oauthFixture(t *testing.T, ts *tokenServer, data http.HandlerFunc, clock *fakeClock,
	cfg func(*OAuthConfig), opts func(*Options)) (*Client, *TokenAuth) {
	t.Helper()
	ts.t = t
	tokSrv := serve(t, ts.ServeHTTP)
	oc := OAuthConfig{TokenURL: tokSrv.URL + "/oauth/v1/token", ClientID: "cid", ClientSecret: "csecret",
		RefreshToken: "rt-1", Now: clock.Now}
	if cfg != nil {
		cfg(&oc)
	}
	auth, err := NewOAuthRefresh(oc)
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, serve(t, data), clock, func(o *Options) {
		o.Auth = auth
		if opts != nil {
			opts(o)
		}
	})
	return c, auth
}

// bearerSeen records the Authorization header of every data request.
type bearerSeen struct {
	mu   sync.Mutex
	seen []string
}

func (b *bearerSeen) add(r *http.Request) string {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, tok)
	return tok
}

func (b *bearerSeen) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.seen...)
}

// hubspotLike wraps DefaultClassifier the way a connector does: only an
// EXPIRED_AUTHENTICATION 401 asks for a refresh.
func hubspotLike(a Attempt) Verdict {
	s, b := a.Status, a.Body
	_, _ = s, b
	v := DefaultClassifier(a)
	if s == http.StatusUnauthorized {
		v.Reauth = strings.Contains(string(b), "EXPIRED_AUTHENTICATION")
	}
	return v
}
