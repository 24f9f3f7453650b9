package crmhttp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// grantServer is a token endpoint answering like Salesforce's: no
// expires_in, instance_url naming the data host. refuse, if set, answers
// the n-th request with a 400 of that error and description.
type grantServer struct {
	t        *testing.T
	instance string
	check    func(form url.Values)
	refuse   func(n int) (code, desc string, ok bool)
	rotate   bool

	mu    sync.Mutex
	forms []url.Values
}

func (g *grantServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		g.t.Error(err)
	}
	g.mu.Lock()
	g.forms = append(g.forms, r.PostForm)
	n := len(g.forms)
	g.mu.Unlock()
	if g.check != nil {
		g.check(r.PostForm)
	}
	w.Header().Set("Content-Type", "application/json")
	if g.refuse != nil {
		if code, desc, ok := g.refuse(n); ok {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":%q,"error_description":%q}`, code, desc)
			return
		}
	}
	body := fmt.Sprintf(`{"access_token":"00D!at-%d","token_type":"Bearer","instance_url":%q,"issued_at":"1717171717000"`, n, g.instance)
	if g.rotate {
		body += fmt.Sprintf(`,"refresh_token":"rt-rotated-%d"`, n)
	}
	io.WriteString(w, body+"}")
}

func (g *grantServer) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.forms)
}

// The client credentials grant sends the app's ID and secret, and the data
// calls go to the instance_url of the token response with its token.
func TestClientCredentialsGrantAndInstanceURL(t *testing.T) {
	var seen bearerSeen
	data := serve(t, func(w http.ResponseWriter, r *http.Request) { seen.add(r); io.WriteString(w, `{}`) })
	g := &grantServer{t: t, instance: data.URL, check: func(f url.Values) {
		if f.Get("grant_type") != "client_credentials" || f.Get("client_id") != "cid" || f.Get("client_secret") != "cc-secret-77" {
			t.Errorf("client credentials form %v", f)
		}
	}}
	tokSrv := serve(t, g.ServeHTTP)
	auth, err := NewOAuth(OAuthConfig{Grant: GrantClientCredentials, TokenURL: tokSrv.URL + "/services/oauth2/token",
		ClientID: "cid", ClientSecret: "cc-secret-77", BaseURLField: "instance_url"})
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	c, err := New(Options{BaseURLFrom: auth.BaseURL, Auth: auth, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DoJSON(context.Background(), "GET", "/services/data/v62.0/limits", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := seen.list(); len(got) != 1 || got[0] != "00D!at-1" || g.count() != 1 {
		t.Errorf("data calls saw %v after %d token calls", got, g.count())
	}
}

// A refused grant fails with Auth and a message fitting that grant, never
// AuthRefreshDead (there is no refresh token to renew), and never retried.
func TestRefusedGrantsExplainThemselves(t *testing.T) {
	key := testKey(t)
	tests := []struct {
		grant   Grant
		code    string
		desc    string
		hint    string
		wantErr error
	}{
		{GrantClientCredentials, "invalid_grant", "no client credentials user enabled", "client credentials grant", crmerr.ErrAuth},
		{GrantJWTBearer, "invalid_grant", "user hasn't approved this consumer", "JWT assertion", crmerr.ErrAuth},
		{GrantRefreshToken, "invalid_grant", "expired access/refresh token", "re-authorise", crmerr.ErrAuthRefreshDead},
		{GrantRefreshToken, "invalid_client_id", "client identifier invalid", "client identifier invalid", crmerr.ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.grant.String()+" "+tt.code, func(t *testing.T) {
			g := &grantServer{t: t, refuse: func(int) (string, string, bool) { return tt.code, tt.desc, true }}
			tokSrv := serve(t, g.ServeHTTP)
			var hits counter
			data := serve(t, func(w http.ResponseWriter, r *http.Request) { hits.inc() })
			auth, err := NewOAuth(OAuthConfig{Grant: tt.grant, TokenURL: tokSrv.URL, ClientID: "cid",
				ClientSecret: "sec-sec-sec-1", RefreshToken: "rt-rt-rt-1", Subject: "rfm@acme.example", PrivateKey: key})
			if err != nil {
				t.Fatal(err)
			}
			c := newTestClient(t, data, newFakeClock(), func(o *Options) { o.Auth = auth })
			_, err = c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.hint) || !strings.Contains(err.Error(), tt.desc) {
				t.Fatalf("err = %v, want %v naming %q and %q", err, tt.wantErr, tt.hint, tt.desc)
			}
			if strings.Contains(err.Error(), "sec-sec-sec-1") || strings.Contains(err.Error(), "rt-rt-rt-1") {
				t.Errorf("error leaks a secret: %v", err)
			}
			if g.count() != 1 || hits.get() != 0 {
				t.Errorf("token calls %d, data calls %d; want 1, 0", g.count(), hits.get())
			}
		})
	}
}

// The JWT bearer grant signs iss/sub/aud/exp with the private key (RS256,
// exp at most 3 minutes ahead) and sends no secret.
func TestJWTBearerAssertion(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
	var claims map[string]any
	g := &grantServer{t: t, check: func(f url.Values) {
		if f.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || f.Get("client_secret") != "" {
			t.Errorf("jwt form %v", f)
		}
		parts := strings.Split(f.Get("assertion"), ".")
		if len(parts) != 3 {
			t.Fatalf("assertion has %d parts", len(parts))
		}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("assertion signature: %v", err)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if err := json.Unmarshal(raw, &claims); err != nil {
			t.Error(err)
		}
	}}
	g.instance = "https://acme.my.example"
	tokSrv := serve(t, g.ServeHTTP)
	auth, err := NewOAuth(OAuthConfig{Grant: GrantJWTBearer, TokenURL: tokSrv.URL + "/services/oauth2/token",
		ClientID: "consumer-key", Subject: "rfm@acme.example", Audience: "https://login.example", PrivateKey: pemKey,
		BaseURLField: "instance_url"})
	if err != nil {
		t.Fatal(err)
	}
	base, err := auth.BaseURL(context.Background())
	if err != nil || base != "https://acme.my.example" {
		t.Fatalf("BaseURL = %q, %v", base, err)
	}
	exp, _ := claims["exp"].(float64)
	if claims["iss"] != "consumer-key" || claims["sub"] != "rfm@acme.example" || claims["aud"] != "https://login.example" ||
		time.Until(time.Unix(int64(exp), 0)) > 3*time.Minute {
		t.Errorf("claims %v", claims)
	}
}

// A rotated refresh token is handed to the store under the configured
// credentials' fingerprint; a restart with the same config uses it, one
// with new credentials does not.
func TestRotatedRefreshTokenIsSavedAndUsedAfterRestart(t *testing.T) {
	g := &grantServer{t: t, instance: "https://x.example", rotate: true}
	tokSrv := serve(t, g.ServeHTTP)
	store := &memStore{m: map[string]string{}}
	cfg := OAuthConfig{TokenURL: tokSrv.URL, ClientID: "cid", RefreshToken: "rt-configured", Store: store}
	auth, err := NewOAuth(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	restarted, err := NewOAuth(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restarted.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg.RefreshToken = "rt-new-from-admin"
	fresh, err := NewOAuth(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent := []string{g.forms[0].Get("refresh_token"), g.forms[1].Get("refresh_token"), g.forms[2].Get("refresh_token")}
	if sent[0] != "rt-configured" || sent[1] != "rt-rotated-1" || sent[2] != "rt-new-from-admin" {
		t.Errorf("refresh tokens sent %v", sent)
	}
}

type memStore struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memStore) LoadRefreshToken(k string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok, nil
}

func (s *memStore) SaveRefreshToken(k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

// A refused login trips the breaker: the next run (a new Auth, same
// credentials) fails with LoginBlocked without calling the token endpoint;
// changed credentials log in again.
func TestBreakerBlocksLoginsUntilCredentialsChange(t *testing.T) {
	g := &grantServer{t: t, instance: "https://x.example", refuse: func(n int) (string, string, bool) {
		return "invalid_client", "invalid client credentials", n == 1
	}}
	tokSrv := serve(t, g.ServeHTTP)
	breaker := &MemoryBreaker{}
	cfg := OAuthConfig{Grant: GrantClientCredentials, TokenURL: tokSrv.URL, ClientID: "cid", ClientSecret: "wrong-secret-1", Breaker: breaker}
	for run, want := range []crmerr.Class{crmerr.Auth, crmerr.LoginBlocked, crmerr.LoginBlocked} {
		auth, err := NewOAuth(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = auth.Token(context.Background())
		if crmerr.ClassOf(err) != want {
			t.Fatalf("run %d: err = %v, want %v", run, err, want)
		}
		if want == crmerr.LoginBlocked && (!strings.Contains(err.Error(), "until they change") || !crmerr.ClassOf(err).StopsRun()) {
			t.Errorf("run %d: %v", run, err)
		}
	}
	if g.count() != 1 {
		t.Errorf("token calls %d, want 1: a tripped breaker must not log in", g.count())
	}
	cfg.ClientSecret = "right-secret-2"
	auth, _ := NewOAuth(cfg)
	if _, err := auth.Token(context.Background()); err != nil || g.count() != 2 {
		t.Errorf("new credentials: %v, token calls %d", err, g.count())
	}
}

func testKey(t *testing.T) []byte {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
}

// A token endpoint that redirects is not followed: the form carries the
// secrets, and a 307 would send it to whoever the Location names.
func TestTokenRequestNeverFollowsRedirects(t *testing.T) {
	var strangerHits counter
	stranger := serve(t, func(w http.ResponseWriter, r *http.Request) { strangerHits.inc() })
	tokSrv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, stranger.URL+"/steal", http.StatusTemporaryRedirect)
	})
	auth, err := NewOAuth(OAuthConfig{Grant: GrantClientCredentials, TokenURL: tokSrv.URL, ClientID: "cid", ClientSecret: "redirected-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Token(context.Background()); crmerr.ClassOf(err) != crmerr.Auth || strangerHits.get() != 0 {
		t.Fatalf("err = %v, stranger hits %d", err, strangerHits.get())
	}
}
