package salesforcetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// keyset is the contract's incremental query (§2.6).
func keyset(lo time.Time, loID string, hi time.Time) string {
	return fmt.Sprintf("SELECT Id, AccountId, Amount, CloseDate, IsWon, IsClosed, StageName, SystemModstamp, IsDeleted "+
		"FROM Opportunity WHERE (SystemModstamp > %s OR (SystemModstamp = %s AND Id > '%s')) AND SystemModstamp <= %s "+
		"ORDER BY SystemModstamp ASC, Id ASC", lo.Format(time.RFC3339), lo.Format(time.RFC3339), loID, hi.Format(time.RFC3339))
}

func TestQueryRecordShape(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	acc := s.Create(Account, F{"Name": "Acme"})
	s.Advance(1500 * time.Millisecond)
	withAcc := s.Create(Opportunity, F{"AccountId": acc, "Name": "Big", "Amount": 12500.5, "CloseDate": Date("2024-04-30"), "StageName": "Closed Won"})
	noAcc := s.Create(Opportunity, F{"Name": "Orphan", "CloseDate": Date("2024-05-01"), "StageName": "Closed Lost"})
	r := runQuery(t, s, tok, "query", "SELECT Id, Amount, CloseDate, IsWon, SystemModstamp, Account.Name FROM Opportunity ORDER BY Id", nil)
	wantStatus(t, r, 200)
	if got := r.header.Get("Sforce-Limit-Info"); got != "api-usage=1/100000" {
		t.Errorf("Sforce-Limit-Info %q", got)
	}
	body := string(r.body)
	// Fields appear in the order selected, attributes first (§2.2).
	want := `{"attributes":{"type":"Opportunity","url":"/services/data/v62.0/sobjects/Opportunity/` + withAcc + `"},` +
		`"Id":"` + withAcc + `","Amount":12500.5,"CloseDate":"2024-04-30","IsWon":true,"SystemModstamp":"2024-06-01T00:00:01.000+0000",` +
		`"Account":{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/` + acc + `"},"Name":"Acme"}}`
	if !strings.Contains(body, want) {
		t.Errorf("record shape:\n got %s\nwant %s", body, want)
	}
	if !strings.Contains(body, `"Id":"`+noAcc+`","Amount":null,"CloseDate":"2024-05-01","IsWon":false,"SystemModstamp":"2024-06-01T00:00:01.000+0000","Account":null}`) {
		t.Errorf("null amount or null parent not rendered as null: %s", body)
	}
	if !strings.HasPrefix(body, `{"totalSize":2,"done":true,"records":[`) || strings.Contains(body, "nextRecordsUrl") {
		t.Errorf("envelope: %s", body)
	}
	// COUNT() returns only the size.
	r = runQuery(t, s, tok, "query", "SELECT COUNT() FROM Opportunity WHERE IsWon = true", nil)
	if string(r.body) != `{"done":true,"records":[],"totalSize":1}` {
		t.Errorf("COUNT(): %s", r.body)
	}
	// Logged with path, query and headers for tests of clients.
	last := s.Log()[len(s.Log())-1]
	if last.Route != RouteQuery || last.Path != v+"/query" || !strings.Contains(last.Query, "COUNT") {
		t.Errorf("log entry %+v", last)
	}
}

func TestKeysetPagingAcrossATie(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	// 2,500 rows bulk-stamped on one second: more than a page holds.
	var tie []string
	for i := 0; i < 2500; i++ {
		tie = append(tie, s.Create(Opportunity, F{"Name": "x", "CloseDate": Date("2024-01-01"), "StageName": "Closed Won", "Amount": i}))
	}
	tied := s.Now().Add(time.Minute)
	s.SetStamp(tied, tie...)
	s.Advance(2 * time.Minute)
	for i := 0; i < 1000; i++ {
		s.Create(Opportunity, F{"Name": "y", "CloseDate": Date("2024-01-02"), "StageName": "Closed Won"})
	}
	s.Advance(10 * time.Minute)
	hi := s.Now().Add(-5 * time.Minute)
	var seen []string
	r := runQuery(t, s, tok, "queryAll", keyset(DefaultStart.Add(-time.Hour), "000000000000000AAA", hi), map[string]string{"Sforce-Query-Options": "batchSize=1500"})
	pages := 0
	for {
		wantStatus(t, r, 200)
		var q queryResult
		r.decode(t, &q)
		pages++
		if q.TotalSize != 3500 {
			t.Fatalf("totalSize %d, want the whole query's 3500", q.TotalSize)
		}
		seen = append(seen, q.ids()...)
		if q.Done {
			if q.NextRecordsURL != nil {
				t.Error("nextRecordsUrl on the last page")
			}
			break
		}
		if len(q.Records) != 1500 {
			t.Errorf("page of %d, want batchSize 1500", len(q.Records))
		}
		if want := fmt.Sprintf("%s/query/01g000000000001AAA-%d", v, len(seen)); *q.NextRecordsURL != want {
			t.Errorf("nextRecordsUrl %s, want %s", *q.NextRecordsURL, want)
		}
		r = get(t, s, tok, *q.NextRecordsURL)
	}
	if pages != 3 || len(seen) != 3500 {
		t.Fatalf("%d pages, %d rows", pages, len(seen))
	}
	// The keyset resumes inside the tie: rows after the 1,000th tied id.
	r = runQuery(t, s, tok, "queryAll", keyset(tied, tie[999], hi), nil)
	var q queryResult
	r.decode(t, &q)
	if q.TotalSize != 2500 || q.Records[0]["Id"] != tie[1000] {
		t.Errorf("resume inside the tie: total %d first %v, want 2500 from %s", q.TotalSize, q.Records[0]["Id"], tie[1000])
	}
	// batchSize outside 200–2000 is clamped; the org cap wins.
	s2 := newServer(t, Options{MaxBatchSize: 300})
	tok2 := login(t, s2)
	for i := 0; i < 401; i++ {
		s2.Create(Account, F{"Name": "a"})
	}
	for hdr, want := range map[string]int{"batchSize=10": 200, "batchSize=5000": 300, "": 300} {
		r := runQuery(t, s2, tok2, "query", "SELECT Id FROM Account", map[string]string{"Sforce-Query-Options": hdr})
		var q queryResult
		r.decode(t, &q)
		if len(q.Records) != want {
			t.Errorf("%q: page of %d, want %d", hdr, len(q.Records), want)
		}
	}
}

func TestLocatorsDieWithTheirSessionAndWhenIdle(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	for i := 0; i < 450; i++ {
		s.Create(Account, F{"Name": "a"})
	}
	first := func() string {
		r := runQuery(t, s, tok, "query", "SELECT Id FROM Account ORDER BY Id", map[string]string{"Sforce-Query-Options": "batchSize=200"})
		var q queryResult
		r.decode(t, &q)
		return *q.NextRecordsURL
	}
	next := first()
	other := login(t, s)
	wantError(t, get(t, s, other, next), 401, "INVALID_SESSION_ID")
	// Its own session still reads it, and a page can be read twice.
	wantStatus(t, get(t, s, tok, next), 200)
	wantStatus(t, get(t, s, tok, next), 200)
	s.Advance(15*time.Minute + time.Second)
	wantError(t, get(t, s, tok, next), 400, "INVALID_QUERY_LOCATOR")
	wantError(t, get(t, s, tok, v+"/query/01g000000000009AAA-200"), 400, "INVALID_QUERY_LOCATOR")
	wantError(t, get(t, s, tok, v+"/query/nonsense"), 400, "INVALID_QUERY_LOCATOR")
	// Rows changed after the query do not move the snapshot.
	next = first()
	s.Update(s.IDs(Account)[300], F{"Name": "changed"})
	r := get(t, s, tok, next)
	if strings.Contains(string(r.body), "changed") {
		t.Error("a locator's page shows a change made after the query")
	}
}

func TestQueryAllShowsDeletionsAndMerges(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	winner := s.Create(Account, F{"Name": "Winner"})
	loser := s.Create(Account, F{"Name": "Loser"})
	opp := s.Create(Opportunity, F{"AccountId": loser, "Name": "o", "CloseDate": Date("2024-01-01"), "StageName": "Closed Won"})
	gone := s.Create(Opportunity, F{"AccountId": winner, "Name": "d", "CloseDate": Date("2024-01-01"), "StageName": "Closed Won"})
	created := s.Now()
	s.Advance(time.Hour)
	s.Delete(gone)
	s.Merge(winner, loser)
	q := func(endpoint, text string) queryResult {
		r := runQuery(t, s, tok, endpoint, text, nil)
		wantStatus(t, r, 200)
		var out queryResult
		r.decode(t, &out)
		return out
	}
	if got := q("query", "SELECT Id FROM Opportunity").TotalSize; got != 1 {
		t.Errorf("query sees %d opportunities, want the live one", got)
	}
	all := q("queryAll", "SELECT Id, IsDeleted, SystemModstamp FROM Opportunity WHERE Id = '"+gone+"'")
	if all.TotalSize != 1 || all.Records[0]["IsDeleted"] != true || all.Records[0]["SystemModstamp"] != s.Now().Format(JSONTime) {
		t.Errorf("queryAll of a deleted row: %+v", all.Records)
	}
	acc := q("queryAll", "SELECT Id, IsDeleted, MasterRecordId FROM Account WHERE IsDeleted = true")
	if acc.TotalSize != 1 || acc.Records[0]["Id"] != loser || acc.Records[0]["MasterRecordId"] != winner {
		t.Errorf("merged loser: %+v", acc.Records)
	}
	// The child moved to the winner, touching SystemModstamp only (§2.7).
	moved := s.Get(opp)
	if moved["AccountId"] != winner || !moved["SystemModstamp"].(time.Time).Equal(stamp(s.Now())) ||
		!moved["LastModifiedDate"].(time.Time).Equal(stamp(created)) {
		t.Errorf("re-parented child: %v", moved)
	}
	s.Undelete(gone)
	if got := q("query", "SELECT Id FROM Opportunity WHERE Id IN ('"+gone+"', '"+opp+"')").TotalSize; got != 2 {
		t.Errorf("after undelete IN sees %d, want 2", got)
	}
	// 15-char ids are accepted on input.
	if got := q("query", "SELECT Id FROM Opportunity WHERE Id = '"+opp[:15]+"'").TotalSize; got != 1 {
		t.Errorf("15-char id matched %d", got)
	}
}

func TestLateCommittedRowsAppearAfterTheirStamp(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	s.Advance(time.Hour)
	stampAt := s.Now().Add(-10 * time.Minute)
	late := s.CommitLate(Opportunity, F{"Name": "late", "CloseDate": Date("2024-01-01"), "StageName": "Closed Won"}, stampAt, 3*time.Minute)
	text := "SELECT Id, SystemModstamp FROM Opportunity WHERE SystemModstamp > " + stampAt.Add(-time.Minute).Format(time.RFC3339)
	var q queryResult
	runQuery(t, s, tok, "queryAll", text, nil).decode(t, &q)
	if q.TotalSize != 0 {
		t.Fatalf("a row not yet committed is visible")
	}
	s.Advance(3 * time.Minute)
	runQuery(t, s, tok, "queryAll", text, nil).decode(t, &q)
	if q.TotalSize != 1 || q.Records[0]["Id"] != late || q.Records[0]["SystemModstamp"] != stampAt.Format(JSONTime) {
		t.Errorf("late row: %+v", q.Records)
	}
}

func TestSOQLIsStrict(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	s.Create(Opportunity, F{"Name": "o", "CloseDate": Date("2024-01-01"), "StageName": "Closed Won", "Amount": 10})
	for _, tc := range []struct {
		q, code, msg string
	}{
		{"SELECT Id FROM Opportunity WHERE SystemModstamp > '2024-01-01T00:00:00Z'", "INVALID_QUERY_FILTER_OPERATOR", "should not be enclosed in quotes"},
		{"SELECT Id FROM Opportunity WHERE CloseDate > 2024-01-01T00:00:00Z", "INVALID_QUERY_FILTER_OPERATOR", "type date"},
		{"SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-01-01", "INVALID_QUERY_FILTER_OPERATOR", "type dateTime"},
		{"SELECT Id, Foo__c FROM Opportunity", "INVALID_FIELD", "No such column 'Foo__c' on entity 'Opportunity'"},
		{"SELECT Id, CurrencyIsoCode FROM Opportunity", "INVALID_FIELD", "No such column 'CurrencyIsoCode'"},
		{"SELECT Id FROM Widget", "INVALID_TYPE", "sObject type 'Widget' is not supported"},
		{"SELECT Id FROM Opportunity WHERE IsWon = true AND IsClosed = true OR Amount > 5", "MALFORMED_QUERY", "unexpected token: 'OR'"},
		{"SELECT Id FROM Opportunity WHERE SystemModstamp > 2024-01-01T00:00:00 00:00", "MALFORMED_QUERY", "ERROR at Row:1:Column:"},
		{"SELECT Id FROM Opportunity LIMIT", "MALFORMED_QUERY", "unexpected token: <EOF>"},
		{"SELECT Id FROM Opportunity WHERE Id > 42", "INVALID_QUERY_FILTER_OPERATOR", "enclosed in quotes"},
		{"SELECT Id, (SELECT ContactId FROM Roles) FROM Opportunity", "INVALID_TYPE", "Didn't understand relationship 'Roles'"},
		{"SELECT Id, (SELECT Id, (SELECT Id FROM Contacts) FROM Opportunities) FROM Account", "MALFORMED_QUERY", "unexpected token: '('"},
		{"SELECT Id, (SELECT Nope FROM OpportunityContactRoles) FROM Opportunity", "INVALID_FIELD", "No such column 'Nope' on entity 'OpportunityContactRole'"},
		{"SELECT Id FROM Account WHERE Description = 'x'", "INVALID_FIELD", "can not be filtered"},
	} {
		r := runQuery(t, s, tok, "query", tc.q, nil)
		e := wantError(t, r, http.StatusBadRequest, tc.code)
		if !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: message %q lacks %q", tc.q, e.Message, tc.msg)
		}
	}
	e := wantError(t, runQuery(t, s, tok, "query", "SELECT Id FROM Opportunity WHERE", nil), 400, "MALFORMED_QUERY")
	if !strings.HasPrefix(e.Message, "\nSELECT Id FROM Opportunity WHERE\n") || !strings.Contains(e.Message, "^\nERROR at Row:1:Column:33") {
		t.Errorf("caret message %q", e.Message)
	}
	// What is allowed: datetimes with offset and millis, parentheses, NOT
	// IN, LIKE, null, DESC NULLS LAST, LIMIT.
	for q, want := range map[string]int{
		"SELECT Id FROM Opportunity WHERE SystemModstamp >= 2024-05-31T23:00:00.000-01:00 AND (Amount > 5 OR Amount = null)":       1,
		"SELECT Id FROM Opportunity WHERE StageName NOT IN ('Closed Lost', 'Prospecting') AND Name LIKE 'o%' AND AccountId = null": 1,
		"SELECT Id FROM Opportunity WHERE CloseDate < 2024-01-01":                                                                  0,
		"SELECT Id FROM Opportunity ORDER BY Amount DESC NULLS LAST, Id LIMIT 0":                                                   0,
	} {
		r := runQuery(t, s, tok, "query", q, nil)
		wantStatus(t, r, 200)
		var res queryResult
		r.decode(t, &res)
		if res.TotalSize != want {
			t.Errorf("%s: %d rows, want %d", q, res.TotalSize, want)
		}
	}
}

func TestMultiCurrencyOrg(t *testing.T) {
	s := newServer(t, Options{MultiCurrency: true, DatedRates: true})
	tok := login(t, s)
	s.AddCurrency("EUR", "0.92")
	s.AddDatedRate("EUR", "0.9", Date("2024-01-01"))
	o := s.Create(Opportunity, F{"Name": "o", "CloseDate": Date("2024-01-01"), "StageName": "Closed Won", "Amount": 100, "CurrencyIsoCode": "EUR"})
	var q queryResult
	runQuery(t, s, tok, "query", "SELECT IsoCode, ConversionRate, IsCorporate FROM CurrencyType ORDER BY IsoCode", nil).decode(t, &q)
	b, _ := json.Marshal(q.Records)
	if q.TotalSize != 2 || !strings.Contains(string(b), `"ConversionRate":0.92`) || !strings.Contains(string(b), `"IsCorporate":true,"IsoCode":"USD"`) {
		t.Errorf("CurrencyType: %s", b)
	}
	runQuery(t, s, tok, "query", "SELECT Id, Amount, CurrencyIsoCode FROM Opportunity", nil).decode(t, &q)
	if q.Records[0]["Id"] != o || q.Records[0]["CurrencyIsoCode"] != "EUR" {
		t.Errorf("opportunity: %+v", q.Records)
	}
	runQuery(t, s, tok, "query", "SELECT IsoCode, ConversionRate, StartDate FROM DatedConversionRate", nil).decode(t, &q)
	if q.TotalSize != 1 || q.Records[0]["StartDate"] != "2024-01-01" {
		t.Errorf("dated rates: %+v", q.Records)
	}
}

func TestChildSubquery(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	c1 := s.Create(Contact, F{"LastName": "One"})
	c2 := s.Create(Contact, F{"LastName": "Two"})
	var opps []string
	for i := 0; i < 3; i++ {
		opps = append(opps, s.Create(Opportunity, F{"Name": "o", "CloseDate": Date("2024-01-01"), "StageName": "Closed Won"}))
	}
	// 250 roles on the first opportunity: children count toward a batch.
	for i := 0; i < 250; i++ {
		s.Create(OpportunityContactRole, F{"OpportunityId": opps[0], "ContactId": c2, "IsPrimary": false})
	}
	primary := s.Create(OpportunityContactRole, F{"OpportunityId": opps[1], "ContactId": c1, "IsPrimary": true})
	gone := s.Create(OpportunityContactRole, F{"OpportunityId": opps[1], "ContactId": c2, "IsPrimary": false})
	s.Delete(gone)
	text := "SELECT Id, (SELECT ContactId, IsPrimary FROM OpportunityContactRoles WHERE IsPrimary = true), StageName FROM Opportunity WHERE Id != '" + opps[0] + "' ORDER BY Id"
	r := runQuery(t, s, tok, "query", text, nil)
	wantStatus(t, r, 200)
	want := `{"attributes":{"type":"Opportunity","url":"/services/data/v62.0/sobjects/Opportunity/` + opps[1] + `"},"Id":"` + opps[1] + `",` +
		`"OpportunityContactRoles":{"totalSize":1,"done":true,"records":[{"attributes":{"type":"OpportunityContactRole","url":"/services/data/v62.0/sobjects/OpportunityContactRole/` + primary + `"},"ContactId":"` + c1 + `","IsPrimary":true}]},"StageName":"Closed Won"}`
	if !strings.Contains(string(r.body), want) {
		t.Errorf("subquery shape:\n got %s\nwant %s", r.body, want)
	}
	if !strings.Contains(string(r.body), `"Id":"`+opps[2]+`","OpportunityContactRoles":null,"StageName"`) {
		t.Errorf("no children must be null: %s", r.body)
	}
	// With batchSize 200, the opportunity with 250 roles fills a page alone.
	r = runQuery(t, s, tok, "queryAll", "SELECT Id, (SELECT Id FROM OpportunityContactRoles) FROM Opportunity ORDER BY Id", map[string]string{"Sforce-Query-Options": "batchSize=200"})
	var q queryResult
	r.decode(t, &q)
	if len(q.Records) != 1 || q.Done {
		t.Errorf("first page holds %d rows (done %t), want the one with 250 children", len(q.Records), q.Done)
	}
	r = get(t, s, tok, *q.NextRecordsURL)
	r.decode(t, &q)
	if len(q.Records) != 2 || !q.Done || !strings.Contains(string(r.body), gone) {
		t.Errorf("second page: %d rows, done %t; queryAll children include deleted ones: %s", len(q.Records), q.Done, r.body)
	}
}

func TestReplicationResources(t *testing.T) {
	s := newServer(t, Options{SessionTTL: 72 * time.Hour})
	tok := login(t, s)
	a := s.Create(Opportunity, F{"Name": "a", "CloseDate": Date("2024-01-01"), "StageName": "Closed Won"})
	b := s.Create(Opportunity, F{"Name": "b", "CloseDate": Date("2024-01-01"), "StageName": "Closed Won"})
	s.Advance(90 * time.Second)
	s.Delete(b)
	s.Advance(time.Hour)
	start := DefaultStart.Format(time.RFC3339)
	end := s.Now().Add(time.Hour).Format(time.RFC3339)
	path := func(kind, start, end string) string {
		return v + "/sobjects/Opportunity/" + kind + "/?start=" + url.QueryEscape(start) + "&end=" + url.QueryEscape(end)
	}
	r := get(t, s, tok, path("deleted", start, end))
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), `{"deletedDate":"2024-06-01T00:01:30.000+0000","id":"`+b+`"}`) ||
		!strings.Contains(string(r.body), `"latestDateCovered":"2024-06-01T01:01:00.000+0000"`) ||
		!strings.Contains(string(r.body), `"earliestDateAvailable":"2024-05-17T01:01:00.000+0000"`) {
		t.Errorf("deleted: %s", r.body)
	}
	r = get(t, s, tok, path("updated", start, end))
	if !strings.Contains(string(r.body), `"ids":["`+a+`"]`) {
		t.Errorf("updated: %s", r.body)
	}
	wantError(t, get(t, s, tok, path("deleted", end, start)), 400, "INVALID_REPLICATION_DATE")
	wantError(t, get(t, s, tok, path("deleted", DefaultStart.Add(-16*24*time.Hour).Format(time.RFC3339), end)), 400, "INVALID_REPLICATION_DATE")
	wantError(t, get(t, s, tok, v+"/sobjects/Opportunity/deleted/?start=yesterday&end=today"), 400, "INVALID_REPLICATION_DATE")
}

func TestRaggedPagesAndQueryTimeouts(t *testing.T) {
	s := newServer(t, Options{RaggedPages: true, QueryTimeoutAbove: 1000})
	tok := login(t, s)
	for i := 0; i < 1200; i++ {
		s.Create(Account, F{"Name": "a"})
	}
	wantError(t, runQuery(t, s, tok, "query", "SELECT Id FROM Account", nil), 400, "QUERY_TIMEOUT")
	r := runQuery(t, s, tok, "query", "SELECT Id FROM Account ORDER BY Id LIMIT 999", map[string]string{"Sforce-Query-Options": "batchSize=200"})
	sizes := map[int]bool{}
	total := 0
	for {
		var q queryResult
		r.decode(t, &q)
		sizes[len(q.Records)] = true
		total += len(q.Records)
		if len(q.Records) == 0 || len(q.Records) > 200 {
			t.Fatalf("page of %d", len(q.Records))
		}
		if q.Done {
			break
		}
		r = get(t, s, tok, *q.NextRecordsURL)
	}
	if total != 999 || len(sizes) < 2 {
		t.Errorf("%d rows in pages of sizes %v: want 999 in varying pages", total, sizes)
	}
}
