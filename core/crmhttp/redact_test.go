package crmhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRedactString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"grant_type=refresh_token&refresh_token=abc123&client_secret=s3&client_id=cid",
			"grant_type=refresh_token&refresh_token=REDACTED&client_secret=REDACTED&client_id=cid"},
		{`{"access_token": "COb4xyz", "expires_in": 1800}`, `{"access_token": "REDACTED", "expires_in": 1800}`},
		{`{"element":"{\"sessionName\":\"5f0e9c1d\",\"id\":\"3x1\"}"}`, `{"element":"{\"sessionName\":\"REDACTED\",\"id\":\"3x1\"}"}`},
		{"Authorization: Bearer pat-na1-1234", "Authorization: Bearer REDACTED"},
		{"basic dXNlcjpwYXNz", "basic REDACTED"},
		{"operation=login&username=rfm&accessKey=9f8e7d", "operation=login&username=rfm&accessKey=REDACTED"},
		{"PASSWORD: hunter2", "PASSWORD: REDACTED"},
		{"no secrets here: status=error", "no secrets here: status=error"},
	}
	for _, tt := range tests {
		if got := RedactString(tt.in); got != tt.want {
			t.Errorf("RedactString(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactURLAndHeader(t *testing.T) {
	u, _ := url.Parse("https://user:pw@crm.example.it/webservice.php?operation=query&sessionName=abc&query=SELECT")
	got := RedactURL(u)
	if strings.Contains(got, "abc") || strings.Contains(got, "pw@") || !strings.Contains(got, "operation=query") {
		t.Errorf("RedactURL = %q", got)
	}
	if u.Query().Get("sessionName") != "abc" {
		t.Error("RedactURL modified its argument")
	}
	h := http.Header{"Authorization": {"Bearer x"}, "Cookie": {"sid=1"}, "Accept": {"application/json"}}
	r := RedactHeader(h)
	if r.Get("Authorization") != Redacted || r.Get("Cookie") != Redacted || r.Get("Accept") != "application/json" {
		t.Errorf("RedactHeader = %v", r)
	}
	if h.Get("Authorization") != "Bearer x" {
		t.Error("RedactHeader modified its argument")
	}
}

func TestRedactingHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewRedactingHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	u, _ := url.Parse("https://x/y?access_token=TOK1")
	log.With("client_secret", "TOK2").Info("refresh_token=TOK3 used",
		"url", u, "header", http.Header{"Authorization": {"Bearer TOK4"}},
		"err", errors.New("echo: Bearer TOK5"), "password", "TOK6",
		slog.Group("g", "note", "sessionName=TOK7"), "ok", "visible")
	out := buf.String()
	for i := 1; i <= 7; i++ {
		if strings.Contains(out, fmt.Sprintf("TOK%d", i)) {
			t.Errorf("log leaks TOK%d: %s", i, out)
		}
	}
	if !strings.Contains(out, "visible") {
		t.Errorf("log lost a harmless attribute: %s", out)
	}
}

// TestSecretsNeverLeak provokes failures with known secrets everywhere a
// careless layer could echo them and checks errors and debug logs.
func TestSecretsNeverLeak(t *testing.T) {
	const (
		static  = "pat-na1-STATIC-SECRET"
		rt      = "rt-REFRESH-SECRET"
		csecret = "CLIENT-SECRET-VALUE"
		session = "SESSION-SECRET"
	)
	secrets := []string{static, rt, csecret, session}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []error

	// A data server that echoes our credentials back in error bodies.
	echo := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		fmt.Fprintf(w, `{"message":"bad header %s","access_token":"%s","sessionName":"%s"}`,
			r.Header.Get("Authorization"), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "),
			r.URL.Query().Get("sessionName"))
	})
	c := newTestClient(t, echo, newFakeClock(), func(o *Options) {
		o.Auth, o.Logger, o.MaxRetries = StaticBearer(static), logger, 1
	})
	_, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/x", Query: url.Values{"sessionName": {session}},
		Body: []byte("password=" + csecret)})
	errs = append(errs, err)

	// A token endpoint that rejects the refresh and echoes the form.
	tokSrv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"refresh_token=%s client_secret=%s"}`,
			r.PostForm.Get("refresh_token"), r.PostForm.Get("client_secret"))
	})
	auth, err := NewOAuthRefresh(OAuthConfig{TokenURL: tokSrv.URL, ClientID: "cid", ClientSecret: csecret,
		RefreshToken: rt, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	c2 := newTestClient(t, echo, newFakeClock(), func(o *Options) { o.Auth, o.Logger = auth, logger })
	_, err = c2.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	errs = append(errs, err)

	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error leaks %q: %v", s, err)
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("logs leak %q:\n%s", s, logs.String())
		}
		for _, v := range []any{auth, StaticBearer(static)} {
			if out := fmt.Sprintf("%v %+v %#v", v, v, v); strings.Contains(out, s) {
				t.Errorf("formatting leaks %q: %s", s, out)
			}
		}
	}
	if !strings.Contains(logs.String(), "retried") {
		t.Errorf("expected retry logs to check, got:\n%s", logs.String())
	}
}

func TestRegisteredSecretsAreRedactedAnywhere(t *testing.T) {
	tok := "pat-na1-5f0e3a1c-0000-4b7e-9d3c-abcdefabcdef"
	NewStaticBearer(tok)
	msg := "The token " + tok + " is not allowed to write property rfm_r"
	got := RedactString(msg)
	if strings.Contains(got, tok) || !strings.Contains(got, Redacted) || !strings.Contains(got, "rfm_r") {
		t.Fatalf("RedactString(%q) = %q", msg, got)
	}
	RegisterSecret("short") // too short to be a credential: ordinary words stay
	if got := RedactString("a short message"); got != "a short message" {
		t.Fatalf("short value redacted: %q", got)
	}
}
