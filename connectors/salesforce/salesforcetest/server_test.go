package salesforcetest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestVersionsAndRetiredVersions(t *testing.T) {
	s := newServer(t, Options{})
	r := call(t, req{method: http.MethodGet, url: s.URL() + "/services/data/"})
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), `{"label":"Spring '26","url":"/services/data/v66.0","version":"66.0"}`) ||
		!strings.Contains(string(r.body), `"version":"31.0"`) || strings.Contains(string(r.body), `"version":"30.0"`) {
		t.Errorf("versions: %s", r.body)
	}
	tok := login(t, s)
	wantStatus(t, get(t, s, tok, "/services/data/v30.0/limits"), http.StatusGone)
	wantStatus(t, get(t, s, tok, "/services/data/v7.0/limits"), http.StatusGone)
	wantError(t, get(t, s, tok, "/services/data/v71.0/limits"), 404, "NOT_FOUND")
	wantError(t, get(t, s, tok, v+"/nothing/here"), 404, "NOT_FOUND")
	wantError(t, call(t, req{method: http.MethodDelete, url: s.URL() + v + "/limits", token: tok}), 405, "METHOD_NOT_ALLOWED")
}

func TestDailyAllocationRollsOver24Hours(t *testing.T) {
	s := newServer(t, Options{DailyAPIRequests: 3, SessionTTL: 48 * time.Hour})
	tok := login(t, s)
	for i := 1; i <= 3; i++ {
		r := get(t, s, tok, v+"/limits")
		wantStatus(t, r, 200)
		if got := r.header.Get("Sforce-Limit-Info"); got != "api-usage="+string(rune('0'+i))+"/3" {
			t.Errorf("call %d: %q", i, got)
		}
		s.Advance(time.Hour)
	}
	r := get(t, s, tok, v+"/limits")
	e := wantError(t, r, 403, "REQUEST_LIMIT_EXCEEDED")
	if e.Message != "TotalRequests Limit exceeded." || r.header.Get("Sforce-Limit-Info") != "api-usage=3/3" {
		t.Errorf("%+v %q", e, r.header.Get("Sforce-Limit-Info"))
	}
	// The first call leaves the rolling window 24 h after it was made.
	s.Advance(21 * time.Hour)
	r = get(t, s, tok, v+"/limits")
	wantStatus(t, r, 200)
	m := r.obj(t)["DailyApiRequests"].(map[string]any)
	if m["Max"] != 3.0 || m["Remaining"] != 0.0 {
		t.Errorf("limits %v", m)
	}
	s2 := newServer(t, Options{})
	s2.UseAPI(99_999)
	tok2 := login(t, s2)
	wantStatus(t, get(t, s2, tok2, v+"/limits"), 200)
	wantError(t, get(t, s2, tok2, v+"/limits"), 403, "REQUEST_LIMIT_EXCEEDED")
}

func TestInjectedFaults(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	for _, tc := range []struct {
		f          Fault
		code, ct   string
		emptyBody  bool
		limitInfo  bool
		wantStatus int
	}{
		{f: FaultSessionExpired, code: "INVALID_SESSION_ID", limitInfo: true},
		{f: FaultDailyLimit, code: "REQUEST_LIMIT_EXCEEDED", limitInfo: true},
		{f: FaultConcurrentLimit, code: "REQUEST_LIMIT_EXCEEDED", limitInfo: true},
		{f: FaultQueryTimeout, code: "QUERY_TIMEOUT", limitInfo: true},
		{f: FaultServerError, code: "UNKNOWN_EXCEPTION", limitInfo: true},
		{f: FaultUnavailable, code: "SERVER_UNAVAILABLE", limitInfo: true},
		{f: FaultInvalidLocator, code: "INVALID_QUERY_LOCATOR", limitInfo: true},
		{f: FaultMaintenancePage, ct: "text/html"},
		{f: FaultEdgeRateLimited, emptyBody: true},
		{f: Fault{Status: 420}, emptyBody: true},
		{f: Fault{Status: 502}, ct: "text/html"},
	} {
		s.InjectFault(RouteQuery, 1, tc.f)
		r := runQuery(t, s, tok, "query", "SELECT Id FROM Account", nil)
		switch {
		case tc.code != "":
			e := wantError(t, r, tc.f.Status, tc.code)
			if tc.f.Message != "" && e.Message != tc.f.Message {
				t.Errorf("%d: message %q", tc.f.Status, e.Message)
			}
		case tc.emptyBody:
			if r.status != tc.f.Status || len(r.body) != 0 {
				t.Errorf("%d: status %d body %q", tc.f.Status, r.status, r.body)
			}
		default:
			if r.status != tc.f.Status || !strings.HasPrefix(r.header.Get("Content-Type"), tc.ct) || !strings.Contains(string(r.body), "<html>") {
				t.Errorf("%d: %d %q %s", tc.f.Status, r.status, r.header.Get("Content-Type"), r.body)
			}
		}
		if got := r.header.Get("Sforce-Limit-Info") != ""; got != tc.limitInfo {
			t.Errorf("%d: Sforce-Limit-Info present %t", tc.f.Status, got)
		}
		// Healed after one.
		wantStatus(t, runQuery(t, s, tok, "query", "SELECT Id FROM Account", nil), 200)
	}
	// By call index: the third query answers 500, the others are fine.
	s2 := newServer(t, Options{})
	tok2 := login(t, s2)
	s2.InjectFaultAt(RouteQuery, 3, FaultServerError)
	var got []int
	for range 4 {
		got = append(got, runQuery(t, s2, tok2, "query", "SELECT Id FROM Account", nil).status)
	}
	if got[0] != 200 || got[1] != 200 || got[2] != 500 || got[3] != 200 {
		t.Errorf("statuses %v", got)
	}
	// The log keeps what a client sent: method, path, query, kept headers,
	// never Authorization.
	runQuery(t, s2, tok2, "query", "SELECT Id FROM Account", map[string]string{"Sforce-Query-Options": "batchSize=500"})
	last := s2.Log()[len(s2.Log())-1]
	if last.Method != "GET" || last.Header["Sforce-Query-Options"] != "batchSize=500" || last.Header["Authorization"] != "" || last.Status != 200 {
		t.Errorf("log entry %+v", last)
	}
	if s2.Calls(RouteQuery) != 5 || s2.Calls(RouteToken) != 1 || s2.Calls(AnyRoute) != 6 {
		t.Errorf("calls: query %d token %d all %d", s2.Calls(RouteQuery), s2.Calls(RouteToken), s2.Calls(AnyRoute))
	}
}

func TestSeedOrgIsRealistic(t *testing.T) {
	s := newServer(t, Options{MultiCurrency: true, PersonAccounts: true})
	org := s.SeedOrg(OrgSpec{Accounts: 30, ContactsPerAccount: 3, Opportunities: 200, Orders: 60, Years: 3, Currencies: map[string]string{"EUR": "0.92"}, Seed: 7})
	if len(org.Accounts) != 30 || len(org.Opportunities) != 200 || len(org.Orders) != 60 || len(org.Contacts) < 30 {
		t.Fatalf("sizes %d %d %d %d", len(org.Accounts), len(org.Opportunities), len(org.Orders), len(org.Contacts))
	}
	if len(org.Won) < 80 || len(org.Won) > 160 || len(org.Activated) == 0 || len(org.Activated) == 60 {
		t.Errorf("won %d activated %d: want a mix", len(org.Won), len(org.Activated))
	}
	for _, id := range org.Won {
		if s.Value(id, "IsWon") != true || s.Value(id, "IsClosed") != true {
			t.Fatalf("won opportunity %s: %v", id, s.Get(id))
		}
	}
	for _, id := range org.Activated {
		if s.Value(id, "StatusCode") != "Activated" || s.Value(id, "ActivatedDate") == nil {
			t.Fatalf("activated order %s: %v", id, s.Get(id))
		}
	}
	tok := login(t, s)
	var q queryResult
	runQuery(t, s, tok, "query", "SELECT Id, OpportunityId, ContactId FROM OpportunityContactRole WHERE IsPrimary = true", nil).decode(t, &q)
	if q.TotalSize == 0 || q.TotalSize > 200 {
		t.Errorf("%d primary contact roles", q.TotalSize)
	}
	runQuery(t, s, tok, "query", "SELECT Id FROM Opportunity WHERE CurrencyIsoCode = 'EUR'", nil).decode(t, &q)
	if q.TotalSize == 0 {
		t.Error("no EUR opportunities in a multi-currency org")
	}
	acc, con := s.CreatePersonAccount("Jo Person")
	if s.Value(acc, "PersonContactId") != con || s.Value(con, "AccountId") != acc || s.Value(acc, "IsPersonAccount") != true {
		t.Errorf("person account %v / %v", s.Get(acc), s.Get(con))
	}
	// Same seed, same org.
	s2 := newServer(t, Options{MultiCurrency: true, PersonAccounts: true})
	org2 := s2.SeedOrg(OrgSpec{Accounts: 30, ContactsPerAccount: 3, Opportunities: 200, Orders: 60, Years: 3, Currencies: map[string]string{"EUR": "0.92"}, Seed: 7})
	if strings.Join(org2.Won, ",") != strings.Join(org.Won, ",") {
		t.Error("seeding is not reproducible")
	}
}

func TestOptionsNeverPrintSecrets(t *testing.T) {
	o := Options{ClientSecret: "s3cr3t", RefreshTokens: []string{"rt-secret"}}
	for _, str := range []string{o.String(), o.GoString()} {
		if strings.Contains(str, "s3cr3t") || strings.Contains(str, "rt-secret") {
			t.Errorf("options print secrets: %s", str)
		}
	}
}

func TestHeadersFollowTheContract(t *testing.T) {
	s := newServer(t, Options{MaxURLLength: 2000})
	tok := login(t, s)
	s.Advance(90 * time.Minute)
	r := get(t, s, tok, v+"/limits")
	if got := r.header.Get("Date"); got != s.Now().Format(http.TimeFormat) {
		t.Errorf("Date %q, want the fake clock's %q", got, s.Now().Format(http.TimeFormat))
	}
	// A client that asks for gzip itself gets gzip and must inflate it.
	r = call(t, req{method: http.MethodGet, url: s.URL() + v + "/limits", token: tok, header: map[string]string{"Accept-Encoding": "gzip"}})
	if r.header.Get("Content-Encoding") != "gzip" || len(r.body) < 2 || r.body[0] != 0x1f || r.body[1] != 0x8b {
		t.Errorf("gzip requested: encoding %q body %q", r.header.Get("Content-Encoding"), r.body)
	}
	// Describe answers 304 when nothing changed since If-Modified-Since.
	since := s.Now().Format(http.TimeFormat)
	describe := req{method: http.MethodGet, url: s.URL() + v + "/sobjects/Account/describe", token: tok, header: map[string]string{"If-Modified-Since": since}}
	wantStatus(t, call(t, describe), http.StatusNotModified)
	s.Advance(time.Minute)
	s.SeedField(Account, FieldSpec{Name: "RFM_Code__c", Label: "RFM Code", Type: "Text", Length: 3})
	wantStatus(t, call(t, describe), 200)
	// URLs past the limit get 414.
	long := "SELECT Id FROM Account WHERE Name = '" + strings.Repeat("x", 2000) + "'"
	if r := runQuery(t, s, tok, "query", long, nil); r.status != http.StatusRequestURITooLong {
		t.Errorf("long query: %d", r.status)
	}
	wantError(t, runQuery(t, s, tok, "query", "SELECT Id FROM Account WHERE SystemModstamp > 2024-13-45T00:00:00Z", nil), 400, "MALFORMED_QUERY")
}

func TestWriteCallsCountCallsThatWrote(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	rfmFields(s)
	a := s.Create(Account, F{"Name": "a"})
	d := s.Create(Account, F{"Name": "d"})
	s.Delete(d)
	patch(t, s, tok, map[string]any{"records": []any{rec("Account", d, map[string]any{"RFM_Score__c": 1})}})
	if n := s.WriteCalls(); n != 0 {
		t.Errorf("a call where every record failed counts as a write: %d", n)
	}
	patch(t, s, tok, map[string]any{"records": []any{rec("Account", a, map[string]any{"RFM_Score__c": 1}), rec("Account", d, map[string]any{"RFM_Score__c": 1})}})
	call(t, req{method: http.MethodPatch, url: s.URL() + v + "/sobjects/Account/" + a, token: tok, body: map[string]any{"RFM_Score__c": 2}})
	if n := s.WriteCalls(); n != 2 {
		t.Errorf("write calls %d, want 2", n)
	}
	// The log keeps each write's method, path and body.
	var logged []Call
	for _, c := range s.Log() {
		if c.Route == RouteCollection || c.Route == RouteSObject {
			logged = append(logged, c)
		}
	}
	if len(logged) != 3 || logged[1].Method != http.MethodPatch || logged[1].Path != v+"/composite/sobjects" ||
		!strings.Contains(string(logged[1].Body), `"RFM_Score__c":1`) || logged[2].Path != v+"/sobjects/Account/"+a ||
		logged[2].Header["Content-Type"] != "application/json" || logged[2].Status != 204 {
		t.Errorf("write log %+v", logged)
	}
	s.ResetCalls()
	if s.WriteCalls() != 0 || len(s.Writes()) != 0 || len(s.Log()) != 0 {
		t.Error("ResetCalls left counts")
	}
}

func TestPerAppSegmentAndPurge(t *testing.T) {
	s := newServer(t, Options{PerAppLimit: 500})
	tok := login(t, s)
	r := get(t, s, tok, v+"/limits")
	if got := r.header.Get("Sforce-Limit-Info"); got != "api-usage=1/100000; per-app-api-usage=1/500(appName=rfmsync)" {
		t.Errorf("header %q", got)
	}
	a := s.Create(Account, F{"Name": "a"})
	s.Delete(a)
	s.Purge(a)
	var q queryResult
	runQuery(t, s, tok, "queryAll", "SELECT Id FROM Account", nil).decode(t, &q)
	if q.TotalSize != 0 || s.Get(a) != nil {
		t.Errorf("purged record still there: %+v", q.Records)
	}
}
