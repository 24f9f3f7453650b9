package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

const (
	testClientSecret = "cs-TOPSECRET-4f1e"
	testRefreshToken = "rt-TOPSECRET-9a2b"
)

// oauthFake is a fake with one OAuth app and refresh token.
func oauthFake(t *testing.T, rfcErrors bool) *hubspottest.Server {
	return newFake(t, hubspottest.Options{OAuth: &hubspottest.OAuthApp{ClientID: "cid", ClientSecret: testClientSecret,
		RefreshTokens: map[string][]string{testRefreshToken: nil}, RFCErrors: rfcErrors}})
}

func oauthSection(extra map[string]any) map[string]any {
	s := map[string]any{"oauth": map[string]any{"client_id": "cid", "client_secret": testClientSecret, "refresh_token": testRefreshToken}}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

// seedDeals creates n won deals modified an hour ago.
func seedDeals(s *hubspottest.Server, n int) []string {
	at := s.Now().Add(-48 * time.Hour)
	ids := s.CreateMany(hubspottest.Deals, n, func(i int) hubspottest.Props {
		return wonDeal(fmt.Sprintf("%d.00", 10+i), at)
	})
	s.Advance(time.Hour)
	return ids
}

func TestOAuthRefreshMidRun(t *testing.T) {
	s := oauthFake(t, false)
	seedDeals(s, 1000)
	// Search 2 finds its token expired (a 401 EXPIRED_AUTHENTICATION: one
	// refresh, one replay); before search 4, 26 minutes pass, so the token
	// is refreshed ahead of its 30-minute life without any 401.
	s.OnRequest(hubspottest.RouteSearch, func(n int) {
		switch n {
		case 2:
			s.ExpireAccessTokens()
		case 4:
			s.Advance(26 * time.Minute)
		}
	})
	var logs logBuffer
	c := build(t, connectOpts(t, s, s.URL(), oauthSection(map[string]any{"page_size": 100, "read_batch": 100, "first_pull": FirstPullSearch})), &logs)
	recs, _, _ := pull(t, c, SourceDeals, nil, s.Now())
	if len(byID(t, recs)) != 1000 {
		t.Fatalf("read %d records, want 1000", len(recs))
	}
	if got := s.TokenRefreshes(); got != 3 {
		t.Errorf("%d refreshes, want 3 (first use, after the 401, ahead of expiry)", got)
	}
	st := c.Stats()
	if st.Replays != 1 || st.TokenFetches != 3 || c.Calls()[KindToken] != 3 {
		t.Errorf("stats %+v, calls %v; want 1 replay and 3 token calls", st, c.Calls())
	}
	if out := logs.String(); strings.Contains(out, "TOPSECRET") || !strings.Contains(out, "credential") {
		t.Errorf("logs leak a secret or say nothing about the refresh:\n%s", out)
	}
}

func TestDeadRefreshTokenStopsTheRun(t *testing.T) {
	for _, rfc := range []bool{false, true} {
		t.Run(fmt.Sprintf("rfc_errors=%v", rfc), func(t *testing.T) {
			s := oauthFake(t, rfc)
			seedDeals(s, 10)
			var logs logBuffer
			c := build(t, connectOpts(t, s, s.URL(), oauthSection(map[string]any{"page_size": 5, "read_batch": 5})), &logs)
			p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
			if err != nil || len(p.Records) != 5 {
				t.Fatalf("first page: %v", err)
			}
			// The app is uninstalled mid-run; the access token then expires.
			s.RevokeRefreshToken(testRefreshToken)
			s.ExpireAccessTokens()
			_, err = c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Cursor: p.Cursor, Now: s.Now()})
			if !errors.Is(err, crmerr.ErrAuthRefreshDead) || !crmerr.ClassOf(err).StopsRun() {
				t.Fatalf("error %v, want a run-stopping dead refresh token", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "re-authorise the app") || strings.Contains(msg, "TOPSECRET") {
				t.Errorf("message %q must tell the admin to re-authorise and hide secrets", msg)
			}
			if n := s.Calls(hubspottest.RouteToken); n != 2 {
				t.Errorf("%d token calls, want 2: the dead refresh is not retried", n)
			}
			if strings.Contains(logs.String(), "TOPSECRET") {
				t.Errorf("logs leak a secret:\n%s", logs.String())
			}
		})
	}
}

func TestBadClientSecretIsAuth(t *testing.T) {
	s := oauthFake(t, false)
	sec := oauthSection(nil)
	sec["oauth"].(map[string]any)["client_secret"] = "wrong-TOPSECRET"
	c := connect(t, s, sec)
	_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
	if !errors.Is(err, crmerr.ErrAuth) || strings.Contains(err.Error(), "TOPSECRET") || s.Calls(hubspottest.RouteToken) != 1 {
		t.Errorf("error %v after %d token calls", err, s.Calls(hubspottest.RouteToken))
	}
}

func TestAuthFailuresAreNotRetried(t *testing.T) {
	t.Run("530", func(t *testing.T) {
		s := newFake(t, hubspottest.Options{})
		s.FailNext(hubspottest.RouteSearch, 530)
		_, err := connect(t, s, searchFirst).ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
		if !errors.Is(err, crmerr.ErrAuth) || s.Calls(hubspottest.AnyRoute) != 1 {
			t.Errorf("error %v after %d calls, want auth after 1", err, s.Calls(hubspottest.AnyRoute))
		}
	})
	t.Run("403 missing scopes", func(t *testing.T) {
		s := newFake(t, hubspottest.Options{})
		s.AddToken("pat-na1-contacts-only", "crm.objects.contacts.read", "crm.objects.contacts.write")
		c := connect(t, s, map[string]any{"token": "pat-na1-contacts-only"})
		_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
		if !errors.Is(err, crmerr.ErrAuth) || !strings.Contains(err.Error(), "crm.objects.deals.read") || s.Calls(hubspottest.AnyRoute) != 1 {
			t.Errorf("error %v after %d calls, want auth naming the scope after 1", err, s.Calls(hubspottest.AnyRoute))
		}
	})
	t.Run("401 unknown token", func(t *testing.T) {
		s := newFake(t, hubspottest.Options{})
		c := connect(t, s, map[string]any{"token": "pat-na1-TOPSECRET-revoked"})
		_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
		if !errors.Is(err, crmerr.ErrAuth) || strings.Contains(err.Error(), "TOPSECRET") || s.Calls(hubspottest.AnyRoute) != 1 {
			t.Errorf("error %v after %d calls", err, s.Calls(hubspottest.AnyRoute))
		}
	})
}

func TestDailyLimitStopsUntilReset(t *testing.T) {
	s := newFake(t, hubspottest.Options{})
	seedDeals(s, 3)
	s.InjectFault(hubspottest.RouteSearch, 1, hubspottest.Fault{Status: http.StatusTooManyRequests, Policy: hubspottest.PolicyDaily})
	c := connect(t, s, map[string]any{"limits": map[string]any{"daily_reset_timezone": "America/New_York"}, "first_pull": FirstPullSearch})
	_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
	ce, ok := crmerr.As(err)
	ny, _ := time.LoadLocation("America/New_York")
	if !ok || ce.Class != crmerr.QuotaExhausted || !ce.ResetAt.Equal(nextDailyReset(s.Now(), ny)) {
		t.Fatalf("error %v, want quota exhausted until the next New York midnight", err)
	}
	if ce.ResetAt.In(ny).Hour() != 0 || !ce.ResetAt.After(s.Now()) || s.Calls(hubspottest.AnyRoute) != 1 {
		t.Errorf("reset at %v, %d calls", ce.ResetAt, s.Calls(hubspottest.AnyRoute))
	}
}

func TestDailyHeadersAndGuard(t *testing.T) {
	// Search and association reads carry no rate-limit headers (§6); list
	// calls do. Once HubSpot says nothing is left today, the connector
	// stops without spending a call on a DAILY 429.
	s := newFake(t, hubspottest.Options{DailyLimit: 3})
	for i := 0; i < 10; i++ {
		s.Archive(hubspottest.Deals, s.CreateDeal(wonDeal("1", s.Now())))
	}
	c := connect(t, s, map[string]any{"list_page_size": 2})
	if _, known := c.DailyRemaining(); known {
		t.Error("quota known before any call")
	}
	var cur []byte
	var err error
	for i := 0; i < 4 && err == nil; i++ {
		var p connector.Page
		p, err = c.ReadDeletedPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Cursor: cur, Now: s.Now()})
		cur = p.Cursor
		if left, known := c.DailyRemaining(); err == nil && (!known || left != int64(2-i)) {
			t.Errorf("after call %d: %d left (%v), want %d", i+1, left, known, 2-i)
		}
	}
	ce, ok := crmerr.As(err)
	if !ok || ce.Class != crmerr.QuotaExhausted || !ce.ResetAt.Equal(nextDailyReset(s.Now(), time.UTC)) {
		t.Fatalf("error %v, want the quota to stop the run until midnight", err)
	}
	if s.Calls(hubspottest.AnyRoute) != 3 {
		t.Errorf("%d calls arrived, want 3: the 4th was not sent", s.Calls(hubspottest.AnyRoute))
	}
	s.Advance(24 * time.Hour)
	if _, known := c.DailyRemaining(); known {
		t.Error("yesterday's quota still reported after the reset")
	}
}

func TestOwnDailyBudget(t *testing.T) {
	// Without daily headers (OAuth, search), limits.daily caps the calls
	// this connector makes in one account day.
	s := newFake(t, noLimits(hubspottest.Options{}))
	seedDeals(s, 10)
	c := connect(t, s, map[string]any{"read_batch": 1, "page_size": 1, "limits": map[string]any{"daily": 3}, "first_pull": FirstPullSearch})
	var cur []byte
	var err error
	for i := 0; i < 3 && err == nil; i++ {
		var p connector.Page
		p, err = c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Cursor: cur, Now: s.Now()})
		cur = p.Cursor
	}
	if !errors.Is(err, crmerr.ErrQuotaExhausted) || s.Calls(hubspottest.AnyRoute) != 3 {
		t.Errorf("error %v after %d calls, want quota exhausted after 3", err, s.Calls(hubspottest.AnyRoute))
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	s := newFake(t, hubspottest.Options{})
	ids := seedDeals(s, 3)
	s.InjectFault(hubspottest.RouteSearch, 1, hubspottest.Fault{Status: 423})
	s.InjectFault(hubspottest.RouteSearch, 1, hubspottest.Fault{Status: 524})
	s.InjectFault(hubspottest.RouteAssociations, 1, hubspottest.Fault{Status: http.StatusTooManyRequests, Policy: hubspottest.PolicySecondly})
	s.InjectFault(hubspottest.RouteAssociations, 1, hubspottest.Fault{Status: 477, RetryAfter: 30})
	start := s.Now()
	c := connect(t, s, searchFirst)
	recs, _, _ := pull(t, c, SourceDeals, nil, s.Now())
	if len(recs) != len(ids) {
		t.Fatalf("read %d records", len(recs))
	}
	if st := c.Stats(); st.Retries != 4 {
		t.Errorf("%d retries, want 4", st.Retries)
	}
	// 2 s for the lock, a backoff for the 524, 1 s for search's secondly
	// limit, 30 s for the migration: all on the fake clock.
	if waited := s.Now().Sub(start); waited < 33*time.Second || waited > 40*time.Second {
		t.Errorf("waited %v on the fake clock", waited)
	}
}

// A 477 asking for 6 h is a bounded wait inside the run (issue 11): one
// capped wait, then the read goes on; a migration that lasts fails the
// call as transient after the retry budget and pauses no later run.
func TestLongMigrationIsABoundedWait(t *testing.T) {
	s := newFake(t, hubspottest.Options{})
	s.InjectFault(hubspottest.RouteSearch, 1, hubspottest.Fault{Status: 477, RetryAfter: 6 * 3600})
	start := s.Now()
	if _, err := connect(t, s, searchFirst).ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()}); err != nil {
		t.Fatalf("one 477 ended the read: %v", err)
	}
	if waited := s.Now().Sub(start); waited > 2*time.Minute {
		t.Errorf("waited %v for one 477, want at most the 1m cap (plus pacing)", waited)
	}

	s.InjectFault(hubspottest.RouteSearch, 1000, hubspottest.Fault{Status: 477, RetryAfter: 6 * 3600})
	start = s.Now()
	_, err := connect(t, s, searchFirst).ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
	if crmerr.ClassOf(err) != crmerr.RateLimited || !crmerr.ClassOf(err).RetryRunSoon() {
		t.Fatalf("error %v, want rate limited (retry the run soon)", err)
	}
	if _, pause := crmerr.PauseUntil(err, s.Now()); pause {
		t.Errorf("a 477 Retry-After pauses later runs: %v", err)
	}
	if spent := s.Now().Sub(start); spent > crmhttp.DefaultRetryBudget+time.Minute {
		t.Errorf("the call spent %v, over its retry budget", spent)
	}
}

func TestDateVersionedPaths(t *testing.T) {
	s := oauthFake(t, false)
	contact := s.CreateContact(hubspottest.Props{"email": "v@example.com"})
	deal := s.CreateDeal(wonDeal("5", s.Now()))
	s.AssociateDealContact(deal, contact)
	s.Archive(hubspottest.Deals, s.CreateDeal(wonDeal("6", s.Now())))
	s.Advance(time.Hour)
	c := connect(t, s, oauthSection(map[string]any{"api_version": "2026-03"}))
	recs, _, _ := pull(t, c, SourceDeals, nil, s.Now())
	if len(recs) != 1 || recs[0].Customer.ID != contact {
		t.Fatalf("records %+v", recs)
	}
	ctx := context.Background()
	if _, err := c.ReadDeletedPage(ctx, connector.ReadRequest{Source: SourceDeals, Now: s.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnsureFields(ctx, testSpecs[:1], true); err != nil {
		t.Fatal(err)
	}
	res, err := c.WriteBatch(ctx, []connector.Update{{Key: recs[0].Customer, Fields: map[string]string{"rfm_r": "5"}}})
	if err != nil || len(res.Accepted) != 1 {
		t.Fatalf("write: %+v, %v", res, err)
	}
	for _, call := range s.Log() {
		ok := false
		for _, prefix := range []string{"/crm/objects/2026-03/", "/crm/associations/2026-03/", "/crm/properties/2026-03/", "/oauth/2026-03/token"} {
			ok = ok || strings.HasPrefix(call.Path, prefix)
		}
		if !ok || call.Status >= 300 && call.Status != http.StatusNotFound {
			t.Errorf("%s %s answered %d", call.Method, call.Path, call.Status)
		}
	}
}

// With core's breaker (connector.Env.Breaker), a dead refresh token is
// sent once: later runs with the same OAuth keys fail with LoginBlocked and
// no token call, until the configured refresh token changes.
func TestDeadRefreshTokenTripsTheBreaker(t *testing.T) {
	s := oauthFake(t, false)
	s.RevokeRefreshToken(testRefreshToken)
	breaker := &crmhttp.MemoryBreaker{}
	run := func(sec map[string]any) error {
		o := connectOpts(t, s, s.URL(), sec)
		conn, err := o.New(connector.Env{Breaker: breaker})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, err = conn.(*Connector).ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
		return err
	}
	if err := run(oauthSection(nil)); !errors.Is(err, crmerr.ErrAuthRefreshDead) {
		t.Fatalf("first run: %v", err)
	}
	for range 3 {
		if err := run(oauthSection(nil)); !errors.Is(err, crmerr.ErrLoginBlocked) || !strings.Contains(err.Error(), "re-authorise") {
			t.Fatalf("later run: %v, want login blocked naming the fix", err)
		}
	}
	if n := s.Calls(hubspottest.RouteToken); n != 1 {
		t.Errorf("%d token calls, want 1", n)
	}
	sec := oauthSection(nil)
	sec["oauth"].(map[string]any)["refresh_token"] = "another-refresh-token"
	if err := run(sec); errors.Is(err, crmerr.ErrLoginBlocked) || s.Calls(hubspottest.RouteToken) != 2 {
		t.Errorf("new refresh token: %v after %d token calls; want a fresh try", err, s.Calls(hubspottest.RouteToken))
	}
}
