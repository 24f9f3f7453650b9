package crmhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

func TestStaticBearerIsNotReplayed(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		if r.Header.Get("Authorization") != "Bearer pat-na1-x" {
			t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
		}
		w.WriteHeader(401)
	})
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) { o.Auth = StaticBearer("pat-na1-x") })
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); !errors.Is(err, crmerr.ErrAuth) || hits.get() != 1 {
		t.Fatalf("err = %v, hits = %d", err, hits.get())
	}
}

func TestTokenAuthLoginSessionInQuery(t *testing.T) {
	// The vtenext shape: a login through the same client (NoAuth) yields a
	// sessionName sent as a query parameter; a 200 body saying the session is
	// invalid triggers one re-login and a replay.
	var logins counter
	var c *Client
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch q.Get("operation") {
		case "login":
			if q.Has("sessionName") {
				t.Error("login carried a sessionName")
			}
			fmt.Fprintf(w, `{"success":true,"result":{"sessionName":"sess-%d"}}`, logins.inc())
		case "query":
			if q.Get("sessionName") != "sess-2" {
				io.WriteString(w, `{"success":false,"error":{"code":"INVALID_SESSIONID","message":"Session Identifier provided is Invalid"}}`)
				return
			}
			io.WriteString(w, `{"success":true,"result":[]}`)
		}
	})
	auth, err := NewTokenAuth(TokenAuthConfig{QueryParam: "sessionName",
		Fetch: func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
			resp, err := c.Do(ctx, &Request{Method: "POST", Path: "/webservice.php",
				Query: url.Values{"operation": {"login"}}, NoAuth: true})
			if err != nil {
				return nil, err
			}
			var out struct{ Result struct{ SessionName string } }
			if err := json.Unmarshal(resp.Body, &out); err != nil {
				return nil, err
			}
			return &oauth2.Token{AccessToken: out.Result.SessionName}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	c = newTestClient(t, srv, newFakeClock(), func(o *Options) {
		o.Auth = auth
		o.Classifier = func(a Attempt) Verdict {
			s, b := a.Status, a.Body
			_, _ = s, b
			if strings.Contains(string(b), "INVALID_SESSIONID") {
				return Verdict{Class: crmerr.Auth, Code: "INVALID_SESSIONID", Reauth: true}
			}
			return DefaultClassifier(a)
		}
	})
	if _, err := c.DoJSON(context.Background(), "GET", "/webservice.php", url.Values{"operation": {"query"}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if logins.get() != 2 {
		t.Errorf("logins = %d, want 2", logins.get())
	}
	if s := c.Stats().Snapshot(); s.TokenFetches != 2 || s.Replays != 1 || s.Calls != 4 {
		t.Errorf("stats = %+v, want 2 logins, 1 replay, 4 calls", s)
	}
}
