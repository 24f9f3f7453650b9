package hubspottest

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestBurstWindowHeadersAnd429(t *testing.T) {
	s := newServer(t, Options{BurstLimit: 3})
	for i := range 3 {
		r := get(t, s, "/crm/v3/objects/deals")
		wantStatus(t, r, http.StatusOK)
		h := r.header
		if h.Get("X-HubSpot-RateLimit-Max") != "3" || h.Get("X-HubSpot-RateLimit-Remaining") != strconv.Itoa(2-i) ||
			h.Get("X-HubSpot-RateLimit-Interval-Milliseconds") != "10000" {
			t.Errorf("call %d headers %v", i, h)
		}
		if h.Get("X-HubSpot-RateLimit-Daily") != "250000" || h.Get("X-HubSpot-RateLimit-Daily-Remaining") != strconv.Itoa(250000-1-i) {
			t.Errorf("call %d daily headers %v", i, h)
		}
		if h.Get("X-HubSpot-RateLimit-Secondly") == "" {
			t.Errorf("deprecated secondly headers missing")
		}
		s.Advance(time.Second)
	}
	r := get(t, s, "/crm/v3/objects/deals")
	m := wantError(t, r, http.StatusTooManyRequests, "")
	if m["policyName"] != "TEN_SECONDLY_ROLLING" || m["errorType"] != "RATE_LIMIT" ||
		m["message"] != "You have reached your ten_secondly_rolling limit." ||
		m["groupName"] != "publicapi:private_app-api-calls-ten-secondly:26892217:1234567" {
		t.Errorf("429 body %v", m)
	}
	if r.header.Get("Retry-After") != "" {
		t.Errorf("Retry-After sent by default")
	}
	if r.header.Get("X-HubSpot-RateLimit-Remaining") != "0" {
		t.Errorf("remaining on 429: %q", r.header.Get("X-HubSpot-RateLimit-Remaining"))
	}
	// The first call leaves the rolling window 10 s after it was made.
	s.Advance(7 * time.Second)
	wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusOK)
	wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusTooManyRequests)
	if s.DailyUsed() != 4 {
		t.Errorf("daily used %d (429s must not count)", s.DailyUsed())
	}
	// Search and association reads do not use the burst window.
	wantStatus(t, post(t, s, "/crm/v3/objects/deals/search", searchBody{}), http.StatusOK)
	wantStatus(t, post(t, s, "/crm/v4/associations/deals/contacts/batch/read", assocInputs()), http.StatusOK)
}

func TestRetryAfterOption(t *testing.T) {
	s := newServer(t, Options{BurstLimit: 1, RetryAfter429: 10})
	get(t, s, "/crm/v3/objects/deals")
	r := get(t, s, "/crm/v3/objects/deals")
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "10" {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
}

func TestDailyLimitResetsAtAccountMidnight(t *testing.T) {
	zone := time.FixedZone("UTC+2", 2*3600)
	s := newServer(t, Options{DailyLimit: 2, BurstLimit: -1, TimeZone: zone,
		Start: time.Date(2024, 6, 1, 21, 0, 0, 0, time.UTC)})
	wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusOK)
	wantStatus(t, post(t, s, "/crm/v3/objects/deals/search", searchBody{}), http.StatusOK)
	r := get(t, s, "/crm/v3/objects/deals")
	m := wantError(t, r, http.StatusTooManyRequests, "")
	if m["policyName"] != "DAILY" || m["message"] != "You have reached your daily limit." || m["requestId"] == nil {
		t.Errorf("daily body %v", m)
	}
	// 22:00 UTC is midnight in the account's zone.
	s.SetNow(time.Date(2024, 6, 1, 22, 0, 0, 0, time.UTC))
	wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusOK)
	if s.DailyUsed() != 1 {
		t.Errorf("daily used %d after reset", s.DailyUsed())
	}
}

func TestOAuthLimitsPerAppWithoutDailyHeaders(t *testing.T) {
	o := oauthOptions()
	o.BurstLimit = 2
	o.DailyLimit = 0
	s := newServer(t, o)
	tok := accessToken(t, s)
	r := call(t, s, req{path: "/crm/v3/objects/deals", token: tok})
	wantStatus(t, r, http.StatusOK)
	if r.header.Get("X-HubSpot-RateLimit-Daily") != "" || r.header.Get("X-HubSpot-RateLimit-Max") != "2" {
		t.Errorf("OAuth headers %v", r.header)
	}
	// A refreshed token shares the app's window.
	tok2 := accessToken(t, s)
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: tok2}), http.StatusOK)
	r = call(t, s, req{path: "/crm/v3/objects/deals", token: tok2})
	m := wantError(t, r, http.StatusTooManyRequests, "")
	if m["groupName"] != "publicapi:oauth-api-calls-ten-secondly:26892217:1234567" {
		t.Errorf("groupName %v", m["groupName"])
	}
}

func TestStaticTokensHaveSeparateWindows(t *testing.T) {
	s := newServer(t, Options{BurstLimit: 1, Tokens: map[string][]string{"a": nil, "b": nil}})
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: "a"}), http.StatusOK)
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: "b"}), http.StatusOK)
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: "a"}), http.StatusTooManyRequests)
	s.ResetLimits()
	wantStatus(t, call(t, s, req{path: "/crm/v3/objects/deals", token: "a"}), http.StatusOK)
}

func TestAssociationReadsHaveTheirOwnWindow(t *testing.T) {
	s := newServer(t, Options{AssociationBurst: 2})
	for range 2 {
		wantStatus(t, post(t, s, "/crm/v4/associations/deals/contacts/batch/read", assocInputs()), http.StatusOK)
	}
	r := post(t, s, "/crm/v4/associations/deals/contacts/batch/read", assocInputs())
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("X-HubSpot-RateLimit-Remaining") != "" {
		t.Errorf("association 429 carries headers")
	}
	wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusOK)
}

func TestTickPerRequestMovesTheClock(t *testing.T) {
	s := newServer(t, Options{BurstLimit: 10, TickPerRequest: time.Second})
	start := s.Now()
	for range 25 {
		wantStatus(t, get(t, s, "/crm/v3/objects/deals"), http.StatusOK)
	}
	if got := s.Now().Sub(start); got != 25*time.Second {
		t.Errorf("clock moved %v", got)
	}
}

func TestRealTimeClock(t *testing.T) {
	s := newServer(t, Options{RealTime: true})
	if d := time.Since(s.Now()); d < -time.Second || d > time.Second {
		t.Errorf("real-time clock off by %v", d)
	}
	s.Advance(time.Hour)
	if d := s.Now().Sub(time.Now()); d < 59*time.Minute {
		t.Errorf("advance ignored in real-time mode: %v", d)
	}
	s.SetNow(DefaultStart)
	if d := s.Now().Sub(DefaultStart); d < 0 || d > time.Second {
		t.Errorf("SetNow in real-time mode: %v", d)
	}
}
