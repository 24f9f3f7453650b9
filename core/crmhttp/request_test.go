package crmhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// The classifier sees which operation an answer belongs to: the same body
// means a skipped record for one operation and a config error for another.
func TestClassifierSeesTheRequest(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"success":false,"error":{"code":"ACCESS_DENIED"}}`)
	})
	var seen []Attempt
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) {
		o.OpOf = func(r *http.Request) string { return "derived" }
		o.Classifier = func(a Attempt) Verdict {
			seen = append(seen, a)
			if a.Op == "revise" {
				return Verdict{Class: crmerr.NotFound}
			}
			return Verdict{Class: crmerr.Validation}
		}
	})
	_, errRevise := c.Do(context.Background(), &Request{Method: "POST", Path: "/webservice.php", Op: "revise"})
	_, errQuery := c.Do(context.Background(), &Request{Method: "GET", Path: "/webservice.php?sessionName=abc", Op: "query"})
	_, errOther := c.Do(context.Background(), &Request{Method: "GET", Path: "/other"})
	if crmerr.ClassOf(errRevise) != crmerr.NotFound || crmerr.ClassOf(errQuery) != crmerr.Validation {
		t.Errorf("revise: %v; query: %v", errRevise, errQuery)
	}
	if errOther == nil || len(seen) != 3 || seen[0].Method != "POST" || seen[1].Path != "/webservice.php" || seen[2].Op != "derived" {
		t.Fatalf("attempts seen: %+v", seen)
	}
	if got := c.Stats().Snapshot().ByOp; got["revise"] != 1 || got["query"] != 1 || got["derived"] != 1 {
		t.Errorf("ByOp = %v", got)
	}
}

// A NoReplay request whose session is rejected is not sent again: the
// credential is renewed for later calls and the caller learns it must
// restart from its own cursor (a Salesforce query locator died with it).
func TestNoReplayAfterReauth(t *testing.T) {
	var mu sync.Mutex
	var hits []string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		if r.Header.Get("Authorization") == "Bearer old-session-token" {
			w.WriteHeader(401)
			io.WriteString(w, `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`)
			return
		}
		io.WriteString(w, `{}`)
	})
	tokens := []string{"old-session-token", "new-session-token"}
	var fetches int
	auth, err := NewTokenAuth(TokenAuthConfig{Fetch: func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		fetches++
		return &oauth2.Token{AccessToken: tokens[min(fetches-1, 1)]}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) { o.Auth = auth })
	_, err = c.Do(context.Background(), &Request{Method: "GET", Path: "/query/01gD0000002HU6KIAW-2000", NoReplay: true})
	if !errors.Is(err, ErrSessionRenewed) || errors.Is(err, crmerr.ErrAuth) {
		t.Fatalf("err = %v, want ErrSessionRenewed", err)
	}
	if strings.Contains(err.Error(), "old-session-token") {
		t.Errorf("error leaks the token: %v", err)
	}
	if _, err := c.Do(context.Background(), &Request{Method: "GET", Path: "/query?q=restart"}); err != nil {
		t.Fatalf("the restarted query: %v", err)
	}
	if len(hits) != 2 || fetches != 2 || !strings.HasSuffix(hits[1], "new-session-token") {
		t.Errorf("hits %v, fetches %d; want the locator once, then the restart on a new session", hits, fetches)
	}
}

func TestUsageHeader(t *testing.T) {
	p := UsageHeader("Sforce-Limit-Info", "api-usage")
	tests := []struct {
		v    string
		want Reading
		ok   bool
	}{
		{"api-usage=1288/150000", Reading{Remaining: 148712, Max: 150000}, true},
		{"api-usage=18/5000; per-app-api-usage=17/250(appName=sample)", Reading{Remaining: 4982, Max: 5000}, true},
		{"api-usage=150001/150000", Reading{Remaining: 0, Max: 150000}, true},
		{"api-usage=x/150000", Reading{}, false},
		{"api-usage=5/0", Reading{}, false},
		{"", Reading{}, false},
	}
	for _, tt := range tests {
		got, ok := p(http.Header{"Sforce-Limit-Info": {tt.v}})
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: %+v %v, want %+v %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
	r := RemainingHeader("X-Daily-Remaining", "X-Daily")
	if got, ok := r(http.Header{"X-Daily-Remaining": {" 498677 "}, "X-Daily": {"500000"}}); !ok || got != (Reading{498677, 500000}) {
		t.Errorf("RemainingHeader = %+v %v", got, ok)
	}
	for _, bad := range []string{"", "-1", "lots"} {
		if _, ok := r(http.Header{"X-Daily-Remaining": {bad}}); ok {
			t.Errorf("RemainingHeader accepted %q", bad)
		}
	}
}

// The budget refuses calls once the CRM reports none left, before they
// reach the wire, names the reset, and starts again after it.
func TestBudgetFromHeaders(t *testing.T) {
	clock := newFakeClock()
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n := hits.inc()
		w.Header().Set("Sforce-Limit-Info", "api-usage="+[]string{"149998", "149999", "150000"}[min(n-1, 2)]+"/150000")
		io.WriteString(w, `{}`)
	})
	reset := clock.Now().Add(5 * time.Hour)
	b := NewBudget(BudgetConfig{Parse: UsageHeader("Sforce-Limit-Info", "api-usage"),
		NextReset: func(time.Time) time.Time { return reset }, Code: "REQUEST_LIMIT_EXCEEDED"})
	c := newTestClient(t, srv, clock, func(o *Options) { o.Budget = b })
	for i := range 3 {
		if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	ce, _ := crmerr.As(err)
	if ce == nil || ce.Class != crmerr.QuotaExhausted || !ce.ResetAt.Equal(reset) || hits.get() != 3 {
		t.Fatalf("err = %v, hits = %d; want quota exhausted before a 4th call", err, hits.get())
	}
	if left, ok := b.Remaining(clock.Now()); !ok || left != 0 {
		t.Errorf("Remaining = %d %v", left, ok)
	}
	clock.Advance(5 * time.Hour)
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil || hits.get() != 4 {
		t.Errorf("after the reset: %v, hits %d", err, hits.get())
	}
}

// Without headers, Limit calls of our own are the budget.
func TestBudgetOwnLimit(t *testing.T) {
	clock := newFakeClock()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{}`) })
	b := NewBudget(BudgetConfig{Limit: 2})
	c := newTestClient(t, srv, clock, func(o *Options) { o.Budget = b })
	for range 2 {
		if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	if !errors.Is(err, crmerr.ErrQuotaExhausted) {
		t.Fatalf("err = %v", err)
	}
	// A rolling window names no reset, so nothing pauses later runs.
	if _, pause := crmerr.PauseUntil(err, clock.Now()); pause {
		t.Errorf("a budget without a reset pauses later runs")
	}
}
