package hubspottest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestInjectedFaults(t *testing.T) {
	cases := []struct {
		fault      Fault
		html       bool
		category   string
		policy     string
		retryAfter string
	}{
		{fault: Fault{Status: 423}, category: "LOCKED"},
		{fault: Fault{Status: 429}, policy: "TEN_SECONDLY_ROLLING"},
		{fault: Fault{Status: 429, Policy: PolicyDaily}, policy: "DAILY"},
		{fault: Fault{Status: 429, Policy: PolicySecondly, RetryAfter: 1}, retryAfter: "1"},
		{fault: Fault{Status: 477}, category: "MIGRATION_IN_PROGRESS", retryAfter: "60"},
		{fault: Fault{Status: 477, RetryAfter: 3600}, category: "MIGRATION_IN_PROGRESS", retryAfter: "3600"},
		{fault: Fault{Status: 500}},
		{fault: Fault{Status: 502}, html: true},
		{fault: Fault{Status: 503}},
		{fault: Fault{Status: 503, HTML: true}, html: true},
		{fault: Fault{Status: 504}, html: true},
		{fault: Fault{Status: 524}, html: true},
		{fault: Fault{Status: 530}, html: true},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.fault.Status)+tc.policy, func(t *testing.T) {
			s := newServer(t, Options{})
			s.InjectFault(RouteList, 2, tc.fault)
			for range 2 {
				r := get(t, s, "/crm/v3/objects/deals")
				wantStatus(t, r, tc.fault.Status)
				if got := r.header.Get("Retry-After"); got != tc.retryAfter {
					t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
				}
				if tc.html {
					if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<html>") {
						t.Errorf("want HTML, got %q %s", r.header.Get("Content-Type"), r.body)
					}
					if r.header.Get("X-HubSpot-Correlation-Id") != "" {
						t.Errorf("proxy error carries a correlation ID")
					}
					continue
				}
				m := wantError(t, r, tc.fault.Status, tc.category)
				if tc.policy != "" && m["policyName"] != tc.policy {
					t.Errorf("policy %v", m["policyName"])
				}
			}
			// Other routes are unaffected, and the route heals after n.
			wantStatus(t, post(t, s, "/crm/v3/objects/deals/search", searchBody{}), http.StatusOK)
			wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusOK)
			if s.Calls(RouteList) != 3 {
				t.Errorf("list calls %d", s.Calls(RouteList))
			}
		})
	}
}

func TestFaultsOnAnyRouteAndOrder(t *testing.T) {
	s := newServer(t, Options{})
	s.InjectFault(AnyRoute, 1, Fault{Status: 502})
	s.FailNext(RouteSearch, 500)
	s.InjectFault(RouteSearch, 1, Fault{Status: 503, Body: `{"status":"error","message":"custom"}`})
	wantStatus(t, post(t, s, "/crm/v3/objects/deals/search", searchBody{}), 500)
	r := post(t, s, "/crm/v3/objects/deals/search", searchBody{})
	if r.status != 503 || string(r.body) != `{"status":"error","message":"custom"}` {
		t.Errorf("custom body %d %s", r.status, r.body)
	}
	wantStatus(t, post(t, s, "/crm/v3/objects/deals/search", searchBody{}), 502)
	wantStatus(t, post(t, s, "/crm/v3/objects/deals/search", searchBody{}), 200)
	s.InjectFault(AnyRoute, 5, Fault{Status: 500})
	s.ClearFaults()
	wantStatus(t, get(t, s, "/crm/v3/objects/deals"), 200)
}

func TestStallHoldsARequestUntilReleased(t *testing.T) {
	s := newServer(t, Options{})
	arrived, release := s.Stall(RouteSearch, 1)
	done := make(chan response, 1)
	go func() { done <- post(t, s, "/crm/v3/objects/deals/search", searchBody{}) }()
	<-arrived
	select {
	case <-done:
		t.Fatal("stalled request finished before release")
	default:
	}
	// Other routes are served while one is stalled.
	wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusOK)
	release()
	if r := <-done; r.status != http.StatusOK {
		t.Errorf("released request: %d", r.status)
	}
	// Only n requests stall.
	wantStatus(t, post(t, s, "/crm/v3/objects/deals/search", searchBody{}), http.StatusOK)
}

func TestStalledRequestEndsWhenTheClientGivesUp(t *testing.T) {
	s := newServer(t, Options{})
	arrived, _ := s.Stall(RouteList, 1)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		hr, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/crm/v3/objects/deals", nil)
		hr.Header.Set("Authorization", "Bearer "+DefaultToken)
		res, err := s.HTTPClient().Do(hr)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	<-arrived
	cancel()
	if err := <-errc; err == nil {
		t.Error("cancelled request succeeded")
	}
}

func TestSetDelay(t *testing.T) {
	s := newServer(t, Options{})
	s.SetDelay(RouteList, 30*time.Millisecond)
	start := time.Now()
	wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusOK)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("delay not applied: %v", d)
	}
	s.SetDelay(RouteList, 0)
	wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusOK)
}

func TestCallLog(t *testing.T) {
	s := newServer(t, Options{})
	var mu sync.Mutex
	var seen []int
	s.OnRequest(AnyRoute, func(n int) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, n)
	})
	get(t, s, "/crm/v3/objects/deals?limit=5")
	post(t, s, "/crm/v3/objects/deals/search", searchBody{"limit": 1})
	call(t, s, req{path: "/crm/v3/objects/deals", token: "wrong"})
	log := s.Log()
	if len(log) != 3 || log[0].Route != RouteList || log[0].Query != "limit=5" || log[1].Route != RouteSearch ||
		!strings.Contains(string(log[1].Body), `"limit":1`) || log[2].Status != http.StatusUnauthorized || log[0].At != s.Now() {
		t.Errorf("log %+v", log)
	}
	mu.Lock()
	defer mu.Unlock()
	if s.Calls(AnyRoute) != 3 || s.Calls(RouteList) != 2 || len(seen) != 3 || seen[2] != 3 {
		t.Errorf("calls %d/%d hooks %v", s.Calls(AnyRoute), s.Calls(RouteList), seen)
	}
	s.ResetCalls()
	if s.Calls(AnyRoute) != 0 || len(s.Log()) != 0 {
		t.Errorf("reset failed")
	}
}

func TestFaultAtCallIndex(t *testing.T) {
	s := newServer(t, Options{})
	s.InjectFaultAt(RouteList, 3, Fault{Status: 503})
	s.InjectFaultAt(AnyRoute, 5, Fault{Status: 500})
	want := []int{200, 200, 503, 200, 500, 200}
	for i, st := range want {
		wantStatus(t, get(t, s, "/crm/v3/objects/deals"), st)
		if got := s.Log()[i].Status; got != st {
			t.Errorf("log entry %d has status %d, want %d", i, got, st)
		}
	}
}
