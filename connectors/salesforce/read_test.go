package salesforce

import (
	"context"
	"strings"
	"testing"
	"time"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
)

// seedOpps creates n won opportunities of one account, all stamped with
// the same second (a bulk load), and returns their ids.
func seedOpps(s *sf.Server, account string, n int) []string {
	var ids []string
	for i := range n {
		ids = append(ids, s.Create(sf.Opportunity, sf.F{"Name": "Deal", "AccountId": account, "StageName": "Closed Won",
			"Amount": sf.Money("100.25"), "CloseDate": sf.Date("2024-05-0" + string(rune('1'+i%9)))}))
	}
	return ids
}

// TestPullKeysetTiesAcrossPages: 450 rows share one SystemModstamp across
// pages of 200; the keyset (SystemModstamp, Id) reads each exactly once,
// deletions arrive as Deleted rows, and a later pull reads only changes.
func TestPullKeysetTiesAcrossPages(t *testing.T) {
	s := newFake(t, sf.Options{MaxBatchSize: 200})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	ids := seedOpps(s, acct, 450)
	s.SetStamp(s.Now().Add(-time.Hour), ids...)
	s.Advance(time.Minute)
	c := connect(t, s, map[string]any{"page_size": 200})
	recs, cur, pages := pull(t, c, SourceOpportunities, nil, s.Now())
	if len(byID(t, recs)) != 450 || pages != 3 {
		t.Fatalf("pulled %d records in %d pages, want 450 in 3", len(recs), pages)
	}
	r := recs[0]
	if r.Status != "won" || r.Amount != "100.25" || r.Customer != (connector.CustomerKey{Type: "Account", ID: acct}) || r.ClosedAt != "2024-05-01" {
		t.Errorf("record %+v", r)
	}
	// One lost, one deleted; the window closes query_lag before the
	// server's now, so the change shows once the lag has passed.
	s.Update(ids[3], sf.F{"StageName": "Closed Lost"})
	s.Delete(ids[4])
	again, cur2, _ := pull(t, c, SourceOpportunities, cur, s.Now())
	if len(again) != 0 {
		t.Fatalf("changes inside query_lag were read: %d", len(again))
	}
	s.Advance(31 * time.Second)
	again, _, _ = pull(t, c, SourceOpportunities, cur2, s.Now())
	got := byID(t, again)
	if len(got) != 2 || got[ids[3]].Status == "won" || !got[ids[4]].Deleted {
		t.Fatalf("changes: %+v", again)
	}
}

// TestPullSessionLostMidPull: the session ends between two pages; the old
// locator is never replayed: the query runs again from the keyset, and
// nothing is read twice or lost.
func TestPullSessionLostMidPull(t *testing.T) {
	s := newFake(t, sf.Options{MaxBatchSize: 200, RotateRefreshTokens: true})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	seedOpps(s, acct, 500)
	s.Advance(time.Minute)
	c := build(t, connectOpts(t, s, s.LoginURL(), map[string]any{"page_size": 200}), nil,
		&connectorEnvWithTokens)
	p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceOpportunities, Now: s.Now()})
	if err != nil || p.Done || len(p.Records) != 200 {
		t.Fatalf("first page: %d records, done %t, %v", len(p.Records), p.Done, err)
	}
	s.ExpireSessions()
	rest, _, _ := pull(t, c, SourceOpportunities, p.Cursor, s.Now())
	if n := len(byID(t, append(p.Records, rest...))); n != 500 {
		t.Fatalf("pulled %d of 500", n)
	}
	var replays int
	for _, call := range s.Log() {
		if strings.Contains(call.Path, "/query/") && call.Status == 401 {
			replays++
		}
	}
	if replays != 1 {
		t.Errorf("the dead locator was sent %d times, want once (then re-queried)", replays)
	}
}

// TestPullDeadLocatorRequeries: INVALID_QUERY_LOCATOR re-queries from the
// keyset inside the same window.
func TestPullDeadLocatorRequeries(t *testing.T) {
	s := newFake(t, sf.Options{MaxBatchSize: 200})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	seedOpps(s, acct, 450)
	s.Advance(time.Minute)
	c := connect(t, s, map[string]any{"page_size": 200})
	p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceOpportunities, Now: s.Now()})
	if err != nil {
		t.Fatal(err)
	}
	s.InjectFault(sf.RouteQuery, 1, sf.FaultInvalidLocator)
	rest, _, _ := pull(t, c, SourceOpportunities, p.Cursor, s.Now())
	if n := len(byID(t, append(p.Records, rest...))); n != 450 {
		t.Fatalf("pulled %d of 450", n)
	}
}

// TestPullLateCommitWithinLag: a row committed late with an older stamp is
// read because the window closed query_lag before the server's now.
func TestPullLateCommitWithinLag(t *testing.T) {
	s := newFake(t, sf.Options{})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	seedOpps(s, acct, 3)
	s.Advance(time.Minute)
	c := connect(t, s, nil)
	_, cur, _ := pull(t, c, SourceOpportunities, nil, s.Now())
	late := s.CommitLate(sf.Opportunity, sf.F{"Name": "Late", "AccountId": acct, "StageName": "Closed Won",
		"Amount": sf.Money("7"), "CloseDate": sf.Date("2024-05-20")}, s.Now().Add(-10*time.Second), 5*time.Second)
	s.Advance(40 * time.Second)
	recs, _, _ := pull(t, c, SourceOpportunities, cur, s.Now())
	if len(recs) != 1 || recs[0].OrderID != late {
		t.Fatalf("late commit not read: %+v", recs)
	}
}

// TestPullOrdersAndContacts: orders count when Activated (a deactivated
// one is still returned, not won), attributed to BillToContactId, else to
// a person account's contact.
func TestPullOrdersAndContacts(t *testing.T) {
	s := newFake(t, sf.Options{PersonAccounts: true})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	buyer := s.Create(sf.Contact, sf.F{"LastName": "Buyer", "AccountId": acct})
	pa, pc := s.CreatePersonAccount("Pat Person")
	o1 := s.Create(sf.Order, sf.F{"AccountId": acct, "BillToContactId": buyer, "Status": "Activated",
		"EffectiveDate": sf.Date("2024-05-02"), "TotalAmount": sf.Money("19.99")})
	o2 := s.Create(sf.Order, sf.F{"AccountId": pa, "Status": "Activated", "EffectiveDate": sf.Date("2024-05-03"), "TotalAmount": sf.Money("5")})
	o3 := s.Create(sf.Order, sf.F{"AccountId": acct, "BillToContactId": buyer, "EffectiveDate": sf.Date("2024-05-04"), "TotalAmount": sf.Money("1")})
	s.Advance(time.Minute)
	c := connect(t, s, map[string]any{"object": "Contact", "sources": []any{"orders"}})
	got := byID(t, first(t, c, s, SourceOrders))
	if r := got[o1]; r.Status != "won" || r.Customer.ID != buyer || r.Amount != "19.99" || r.ClosedAt != "2024-05-02" {
		t.Errorf("order 1: %+v", r)
	}
	if r := got[o2]; r.Customer != (connector.CustomerKey{Type: "Contact", ID: pc}) {
		t.Errorf("person account order: %+v", r)
	}
	if r := got[o3]; r.Status == "won" {
		t.Errorf("draft order counts: %+v", r)
	}
}

// TestPullPrimaryContactRole: the primary role wins over ContactId; a role
// change without touching the Opportunity is found by RereadOrders.
func TestPullPrimaryContactRole(t *testing.T) {
	s := newFake(t, sf.Options{})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	a := s.Create(sf.Contact, sf.F{"LastName": "A", "AccountId": acct})
	b := s.Create(sf.Contact, sf.F{"LastName": "B", "AccountId": acct})
	opp := s.Create(sf.Opportunity, sf.F{"Name": "D", "AccountId": acct, "ContactId": b, "StageName": "Closed Won",
		"Amount": sf.Money("10"), "CloseDate": sf.Date("2024-05-01")})
	role := s.Create(sf.OpportunityContactRole, sf.F{"OpportunityId": opp, "ContactId": a, "IsPrimary": true})
	s.Advance(time.Minute)
	c := connect(t, s, map[string]any{"object": "Contact"})
	if r := first(t, c, s, SourceOpportunities); len(r) != 1 || r[0].Customer.ID != a {
		t.Fatalf("primary role not used: %+v", r)
	}
	if c.RereadEvery() != DefaultRereadEvery {
		t.Errorf("reread every %v", c.RereadEvery())
	}
	s.Delete(role)
	s.Create(sf.OpportunityContactRole, sf.F{"OpportunityId": opp, "ContactId": b, "IsPrimary": true})
	gone := s.Create(sf.Opportunity, sf.F{"Name": "X", "StageName": "Closed Won", "CloseDate": sf.Date("2024-05-01")})
	s.Delete(gone)
	recs, err := c.RereadOrders(context.Background(), SourceOpportunities, []string{opp, gone})
	if err != nil || len(recs) != 1 || recs[0].Customer.ID != b || !recs[0].CustomerOnly {
		t.Fatalf("re-read: %+v, %v", recs, err)
	}
	if _, err := c.RereadOrders(context.Background(), SourceOpportunities, []string{"x' OR Name != '"}); err == nil {
		t.Error("an id that is no Salesforce id went into SOQL")
	}
}

// TestPullMultiCurrency: raw amounts are converted with CurrencyType
// (home = amount ÷ rate); an unknown currency is a problem, never summed.
func TestPullMultiCurrency(t *testing.T) {
	s := newFake(t, sf.Options{MultiCurrency: true})
	s.AddCurrency("EUR", "0.8")
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	eur := s.Create(sf.Opportunity, sf.F{"Name": "E", "AccountId": acct, "StageName": "Closed Won", "Amount": sf.Money("100"),
		"CloseDate": sf.Date("2024-05-01"), "CurrencyIsoCode": "EUR"})
	usd := s.Create(sf.Opportunity, sf.F{"Name": "U", "AccountId": acct, "StageName": "Closed Won", "Amount": sf.Money("100"),
		"CloseDate": sf.Date("2024-05-01")})
	s.Advance(time.Minute)
	c := connect(t, s, nil)
	got := byID(t, first(t, c, s, SourceOpportunities))
	if got[eur].Amount != "125" && got[eur].Amount != "125.000000" {
		t.Errorf("EUR 100 at 0.8 = %q, want 125", got[eur].Amount)
	}
	if got[usd].Amount != "100" {
		t.Errorf("corporate amount %q", got[usd].Amount)
	}
	// A currency with no rate (deactivated and removed) is never summed.
	c2 := connect(t, s, nil)
	c2.setRates(&rates{corporate: "USD", static: map[string]string{"USD": "1"}})
	c2.mu.Lock()
	c2.org = &orgInfo{multiCurrency: true}
	c2.mu.Unlock()
	rec, _ := c2.record(SourceOpportunities, row{"Id": []byte(`"` + eur + `"`), "Amount": []byte(`100`), "CurrencyIsoCode": []byte(`"EUR"`),
		"CloseDate": []byte(`"2024-05-01"`), "IsWon": []byte(`true`)}, c2.org, c2.rates)
	if rec.Problem != "unknown_currency" {
		t.Errorf("unknown currency: %+v", rec)
	}
}

// TestPullMergedAccount: the loser is deleted and its opportunities
// re-parented, arriving as updates attributed to the winner.
func TestPullMergedAccount(t *testing.T) {
	s := newFake(t, sf.Options{})
	win := s.Create(sf.Account, sf.F{"Name": "Winner"})
	lose := s.Create(sf.Account, sf.F{"Name": "Loser"})
	opp := seedOpps(s, lose, 1)[0]
	s.Advance(time.Minute)
	c := connect(t, s, nil)
	_, cur, _ := pull(t, c, SourceOpportunities, nil, s.Now())
	s.Merge(win, lose)
	s.Advance(time.Minute)
	recs, _, _ := pull(t, c, SourceOpportunities, cur, s.Now())
	if len(recs) != 1 || recs[0].OrderID != opp || recs[0].Customer.ID != win {
		t.Fatalf("after merge: %+v", recs)
	}
}

func first(t *testing.T, c *Connector, s *sf.Server, source string) []connector.Record {
	t.Helper()
	recs, _, _ := pull(t, c, source, nil, s.Now())
	return recs
}

// TestPullChecksConfiguredFields: a configured field the org does not
// have fails before any query, naming the key.
func TestPullChecksConfiguredFields(t *testing.T) {
	s := newFake(t, sf.Options{})
	c := connect(t, s, map[string]any{"opportunities": map[string]any{"amount_field": "Home_Amount__c"}})
	_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceOpportunities, Now: s.Now()})
	if err == nil || !strings.Contains(err.Error(), "crm.salesforce.opportunities.amount_field") || s.Calls(sf.RouteQuery) != 0 {
		t.Fatalf("error %v, %d queries", err, s.Calls(sf.RouteQuery))
	}
}

// TestLogsCarryNoSecret: a pull through a lost session and a rotated
// refresh token logs nothing secret.
func TestLogsCarryNoSecret(t *testing.T) {
	s := newFake(t, sf.Options{RotateRefreshTokens: true, MaxBatchSize: 200})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	seedOpps(s, acct, 450)
	s.Advance(time.Minute)
	var logs logBuffer
	env := connector.Env{Fields: specs(rfmFields()), Tokens: &memTokens{m: map[string]string{}}}
	c := build(t, connectOpts(t, s, s.LoginURL(), map[string]any{"page_size": 200}), &logs, &env)
	p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceOpportunities, Now: s.Now()})
	if err != nil {
		t.Fatal(err)
	}
	s.ExpireSessions()
	pull(t, c, SourceOpportunities, p.Cursor, s.Now())
	out := logs.String()
	if !strings.Contains(out, "locator") {
		t.Fatalf("the re-query was not logged:\n%s", out)
	}
	for _, secret := range append([]string{sf.DefaultClientSecret, sf.DefaultRefreshToken}, env.Tokens.(*memTokens).values()...) {
		if strings.Contains(out, secret) {
			t.Errorf("logs carry a secret:\n%s", out)
		}
	}
	if strings.Contains(out, "Bearer ") || strings.Contains(out, "00D000000000001!") {
		t.Errorf("logs carry an access token:\n%s", out)
	}
}

// TestPullDatedRates: with dated_rates, an amount converts at the rate of
// the period holding its close date (Advanced Currency Management).
func TestPullDatedRates(t *testing.T) {
	s := newFake(t, sf.Options{MultiCurrency: true, DatedRates: true})
	s.AddCurrency("EUR", "0.9")
	s.AddDatedRate("EUR", "0.8", sf.Date("2024-01-01"))
	s.AddDatedRate("EUR", "0.5", sf.Date("2024-05-01"))
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	opp := func(day string) string {
		return s.Create(sf.Opportunity, sf.F{"Name": "E", "AccountId": acct, "StageName": "Closed Won", "Amount": sf.Money("100"),
			"CloseDate": sf.Date(day), "CurrencyIsoCode": "EUR"})
	}
	april, may, before := opp("2024-04-15"), opp("2024-05-10"), opp("2023-12-31")
	s.Advance(time.Minute)
	c := connect(t, s, map[string]any{"dated_rates": true})
	got := byID(t, first(t, c, s, SourceOpportunities))
	num := func(v string) string { return outputs.Canonical(outputs.Number, v) }
	if num(got[april].Amount) != "125" || num(got[may].Amount) != "200" || got[before].Problem != "unknown_currency" {
		t.Fatalf("april %q, may %q, before any rate %+v", got[april].Amount, got[may].Amount, got[before])
	}
}

// TestPullLeftoverWindowThenOwn: a window an interrupted run opened is
// finished first, then the run reads up to its own server now − lag.
func TestPullLeftoverWindowThenOwn(t *testing.T) {
	s := newFake(t, sf.Options{MaxBatchSize: 200})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	seedOpps(s, acct, 300)
	s.Advance(time.Minute)
	p, err := connect(t, s, map[string]any{"page_size": 200}).ReadPage(context.Background(), connectorReq(nil, s.Now()))
	if err != nil || p.Done {
		t.Fatalf("first page: %v", err)
	}
	// The run dies; meanwhile a deal changes.
	s.Advance(time.Hour)
	late := seedOpps(s, acct, 1)[0]
	s.Advance(time.Minute)
	rest, _, _ := pull(t, connect(t, s, map[string]any{"page_size": 200}), SourceOpportunities, p.Cursor, s.Now())
	got := byID(t, append(p.Records, rest...))
	if len(got) != 301 || got[late].OrderID == "" {
		t.Fatalf("after resuming: %d records (late one read: %t)", len(got), got[late].OrderID != "")
	}
}
