package crmhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

func TestOAuthRefreshFormBody(t *testing.T) {
	ts := &tokenServer{expiresIn: 1800}
	var seen bearerSeen
	c, _ := oauthFixture(t, ts, func(w http.ResponseWriter, r *http.Request) { seen.add(r) }, newFakeClock(), nil, nil)
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	f := ts.form(0)
	want := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-1"}, "client_id": {"cid"}, "client_secret": {"csecret"}}
	for k, v := range want {
		if f.Get(k) != v[0] {
			t.Errorf("form %s = %q, want %q", k, f.Get(k), v[0])
		}
	}
	if got := seen.list(); len(got) != 1 || got[0] != "at-1" {
		t.Errorf("data requests carried %v", got)
	}
}

func TestOAuthConcurrentCallersShareOneRefresh(t *testing.T) {
	const callers = 20
	ts := &tokenServer{expiresIn: 1800, hold: make(chan struct{})}
	var seen bearerSeen
	c, auth := oauthFixture(t, ts, func(w http.ResponseWriter, r *http.Request) { seen.add(r) }, newFakeClock(), nil, nil)
	var waiting atomic.Int32
	auth.testHookWait = func() { // every caller found no valid token; only now may the refresh finish
		if waiting.Add(1) == callers {
			close(ts.hold)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if ts.count() != 1 {
		t.Errorf("refreshes = %d, want 1", ts.count())
	}
	for _, tok := range seen.list() {
		if tok != "at-1" {
			t.Errorf("data request carried %q", tok)
		}
	}
	if s := c.Stats().Snapshot(); s.TokenFetches != 1 || s.Calls != callers+1 {
		t.Errorf("stats = %+v, want 1 token fetch and %d calls", s, callers+1)
	}
}

func TestOAuthRefreshesAheadOfExpiry(t *testing.T) {
	clock := newFakeClock()
	ts := &tokenServer{expiresIn: 1800}
	var seen bearerSeen
	c, _ := oauthFixture(t, ts, func(w http.ResponseWriter, r *http.Request) { seen.add(r) }, clock,
		func(o *OAuthConfig) { o.Skew = 5 * time.Minute }, nil)
	call := func() {
		t.Helper()
		if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	call()
	clock.Advance(1499 * time.Second) // 1 s before 1800 s − 5 min
	call()
	clock.Advance(2 * time.Second)
	call()
	if got, want := seen.list(), []string{"at-1", "at-1", "at-2"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("tokens used %v, want %v", got, want)
	}
}

func TestOAuthSkewCappedAtHalfLifetime(t *testing.T) {
	clock := newFakeClock()
	ts := &tokenServer{expiresIn: 60}
	var seen bearerSeen
	c, _ := oauthFixture(t, ts, func(w http.ResponseWriter, r *http.Request) { seen.add(r) }, clock, nil, nil)
	for _, step := range []time.Duration{0, 29 * time.Second, 2 * time.Second} {
		clock.Advance(step)
		if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(seen.list(), ","); got != "at-1,at-1,at-2" {
		t.Errorf("tokens used %s, want a refresh only after half of a 60 s lifetime", got)
	}
}

func TestOAuthWithoutExpiresInLivesUntilRejected(t *testing.T) {
	clock := newFakeClock()
	ts := &tokenServer{} // Salesforce: no expires_in
	c, _ := oauthFixture(t, ts, func(w http.ResponseWriter, r *http.Request) {}, clock, nil, nil)
	for range 3 {
		if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		clock.Advance(48 * time.Hour)
	}
	if ts.count() != 1 {
		t.Errorf("refreshes = %d, want 1", ts.count())
	}
}

func TestOAuth401ExpiredRefreshesOnceAndReplays(t *testing.T) {
	ts := &tokenServer{expiresIn: 1800}
	var seen bearerSeen
	data := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) != `{"inputs":[]}` {
			t.Errorf("replayed body %q", body)
		}
		if seen.add(r) == "at-1" { // the server considers at-1 expired early
			w.WriteHeader(401)
			io.WriteString(w, `{"status":"error","message":"The OAuth token used to make this call expired 75 second(s) ago.","category":"EXPIRED_AUTHENTICATION"}`)
			return
		}
		io.WriteString(w, `{"status":"COMPLETE"}`)
	}
	c, _ := oauthFixture(t, ts, data, newFakeClock(), nil, func(o *Options) { o.Classifier = hubspotLike })
	var out struct{ Status string }
	if _, err := c.DoJSON(context.Background(), "POST", "/batch/update", nil, map[string][]int{"inputs": {}}, &out); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(seen.list(), ","); got != "at-1,at-2" || out.Status != "COMPLETE" {
		t.Errorf("tokens used %s, out %+v", got, out)
	}
	if s := c.Stats().Snapshot(); s.TokenFetches != 2 || s.Replays != 1 || s.Retries != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestOAuthSecond401IsAuthError(t *testing.T) {
	ts := &tokenServer{expiresIn: 1800}
	var seen bearerSeen
	data := func(w http.ResponseWriter, r *http.Request) {
		seen.add(r)
		w.WriteHeader(401)
		io.WriteString(w, `{"category":"EXPIRED_AUTHENTICATION"}`)
	}
	c, _ := oauthFixture(t, ts, data, newFakeClock(), nil, func(o *Options) { o.Classifier = hubspotLike })
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	if !errors.Is(err, crmerr.ErrAuth) {
		t.Fatalf("err = %v, want auth", err)
	}
	if len(seen.list()) != 2 || ts.count() != 2 {
		t.Errorf("data attempts %v, refreshes %d; want 2 and 2", seen.list(), ts.count())
	}
}

func TestOAuth401WithoutExpiryIsNotReplayed(t *testing.T) {
	ts := &tokenServer{expiresIn: 1800}
	var hits counter
	data := func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		w.WriteHeader(401)
		io.WriteString(w, `{"category":"INVALID_AUTHENTICATION"}`)
	}
	c, _ := oauthFixture(t, ts, data, newFakeClock(), nil, func(o *Options) { o.Classifier = hubspotLike })
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); !errors.Is(err, crmerr.ErrAuth) {
		t.Fatalf("err = %v", err)
	}
	if hits.get() != 1 || ts.count() != 1 {
		t.Errorf("hits %d, refreshes %d; want 1 and 1", hits.get(), ts.count())
	}
}

func TestOAuthDeadRefreshToken(t *testing.T) {
	tests := []struct {
		name string
		body string
		hook bool
		want error
	}{
		{"rfc invalid_grant", `{"error":"invalid_grant","error_description":"refresh token is invalid, expired or revoked","status":"BAD_REFRESH_TOKEN"}`, false, crmerr.ErrAuthRefreshDead},
		{"provider status via hook", `{"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token"}`, true, crmerr.ErrAuthRefreshDead},
		{"provider status without hook", `{"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token"}`, false, crmerr.ErrAuth},
		{"bad client", `{"error":"invalid_client","error_description":"client identifier invalid"}`, false, crmerr.ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := &tokenServer{fail: func(_ int, w http.ResponseWriter) bool {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(400)
				io.WriteString(w, tt.body)
				return true
			}}
			var hits counter
			c, _ := oauthFixture(t, ts, func(w http.ResponseWriter, r *http.Request) { hits.inc() }, newFakeClock(),
				func(o *OAuthConfig) {
					o.RefreshToken = "rt-SECRET-42"
					if tt.hook {
						o.IsDeadRefresh = func(status int, body []byte) bool {
							return status == 400 && strings.Contains(string(body), `"BAD_REFRESH_TOKEN"`)
						}
					}
				}, nil)
			status, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if ce, _ := crmerr.As(err); status != 0 || ce.Status != 400 {
				t.Errorf("status %d, error status %d; want 0 (no data response) and 400 (token endpoint)", status, ce.Status)
			}
			if tt.want == crmerr.ErrAuthRefreshDead && !strings.Contains(err.Error(), "re-authorise") {
				t.Errorf("error does not tell the admin what to do: %v", err)
			}
			if strings.Contains(err.Error(), "rt-SECRET-42") || strings.Contains(err.Error(), "csecret") {
				t.Errorf("error leaks a secret: %v", err)
			}
			if ts.count() != 1 || hits.get() != 0 {
				t.Errorf("refreshes %d, data hits %d; want 1 and 0 (never retried)", ts.count(), hits.get())
			}
		})
	}
}

func TestOAuthTokenEndpointOutageIsRetried(t *testing.T) {
	ts := &tokenServer{expiresIn: 1800, fail: func(n int, w http.ResponseWriter) bool {
		if n == 1 {
			w.WriteHeader(503)
			io.WriteString(w, "<html>maintenance</html>")
			return true
		}
		return false
	}}
	clock := newFakeClock()
	var seen bearerSeen
	c, _ := oauthFixture(t, ts, func(w http.ResponseWriter, r *http.Request) { seen.add(r) }, clock, nil, nil)
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if ts.count() != 2 || strings.Join(seen.list(), ",") != "at-2" || len(clock.Sleeps()) != 1 {
		t.Errorf("refreshes %d, tokens %v, sleeps %v", ts.count(), seen.list(), clock.Sleeps())
	}
}

func TestOAuthKeepsRotatedRefreshToken(t *testing.T) {
	ts := &tokenServer{expiresIn: 1800, rotateTo: "rt-2"}
	var rotated []string
	data := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer at-1" {
			w.WriteHeader(401) // DefaultClassifier: any 401 asks for one refresh
		}
	}
	c, auth := oauthFixture(t, ts, data, newFakeClock(),
		func(o *OAuthConfig) { o.OnRotate = func(rt string) { rotated = append(rotated, rt) } }, nil)
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if ts.form(0).Get("refresh_token") != "rt-1" || ts.form(1).Get("refresh_token") != "rt-2" {
		t.Errorf("refresh tokens sent: %q then %q", ts.form(0).Get("refresh_token"), ts.form(1).Get("refresh_token"))
	}
	if len(rotated) != 1 || rotated[0] != "rt-2" {
		t.Errorf("OnRotate calls %v, want [rt-2] once", rotated)
	}
	tok, err := auth.Token(context.Background())
	if err != nil || tok.RefreshToken != "rt-2" || tok.Extra("hub_id") == nil {
		t.Errorf("Token() = %+v, %v", tok, err)
	}
}
