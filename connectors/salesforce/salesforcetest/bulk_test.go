package salesforcetest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBulkQueryJob(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	acc := s.Create(Account, F{"Name": `Acme "Quoted", Inc`})
	var opps []string
	for i := 0; i < 5; i++ {
		opps = append(opps, s.Create(Opportunity, F{"AccountId": acc, "Name": "o", "CloseDate": Date("2024-04-30"), "StageName": "Closed Won", "Amount": 100 + i}))
	}
	s.Delete(opps[4])
	jobs := s.URL() + v + "/jobs/query"
	r := call(t, req{method: http.MethodPost, url: jobs, token: tok, body: map[string]any{"operation": "queryAll",
		"query": "SELECT Id, Amount, IsDeleted, SystemModstamp, Account.Name FROM Opportunity ORDER BY Id", "contentType": "CSV"}})
	wantStatus(t, r, 200)
	info := r.obj(t)
	id := info["id"].(string)
	if info["state"] != "UploadComplete" || !strings.HasPrefix(id, "750") || info["jobType"] != "V2Query" {
		t.Fatalf("job %s", r.body)
	}
	results := jobs + "/" + id + "/results"
	wantError(t, call(t, req{method: http.MethodGet, url: results, token: tok}), 400, "JOB_NOT_COMPLETE")
	states := []string{}
	for range 2 {
		states = append(states, call(t, req{method: http.MethodGet, url: jobs + "/" + id, token: tok}).obj(t)["state"].(string))
	}
	if strings.Join(states, ",") != "InProgress,JobComplete" {
		t.Fatalf("states %v", states)
	}
	// Results with the wrong API version: 409 (§3).
	wantStatus(t, call(t, req{method: http.MethodGet, url: s.URL() + "/services/data/v63.0/jobs/query/" + id + "/results", token: tok}), 409)
	var body strings.Builder
	loc := ""
	sets := 0
	for {
		u := results + "?maxRecords=2"
		if loc != "" {
			u += "&locator=" + loc
		}
		r := call(t, req{method: http.MethodGet, url: u, token: tok})
		wantStatus(t, r, 200)
		if ct := r.header.Get("Content-Type"); ct != "text/csv" {
			t.Errorf("content type %q", ct)
		}
		sets++
		body.Write(r.body)
		loc = r.header.Get("Sforce-Locator")
		if n := r.header.Get("Sforce-NumberOfRecords"); (loc != "null" && n != "2") || (loc == "null" && n != "1") {
			t.Errorf("set %d: %s records, locator %q", sets, n, loc)
		}
		if loc == "null" {
			break
		}
		if sets > 5 {
			t.Fatal("locator never ends")
		}
	}
	csv := body.String()
	if sets != 3 || strings.Count(csv, `"Id","Amount","IsDeleted","SystemModstamp","Account.Name"`+"\n") != 3 {
		t.Errorf("%d sets:\n%s", sets, csv)
	}
	wantRow := `"` + opps[4] + `","104","true","2024-06-01T00:00:00.000Z","Acme ""Quoted"", Inc"` + "\n"
	if !strings.Contains(csv, wantRow) {
		t.Errorf("CSV lacks %q:\n%s", wantRow, csv)
	}
	// Refused at creation: compound fields, subqueries.
	for q, code := range map[string]string{
		"SELECT Id, BillingAddress FROM Account":                                      "FUNCTIONALITY_NOT_ENABLED",
		"SELECT Id, (SELECT ContactId FROM OpportunityContactRoles) FROM Opportunity": "FUNCTIONALITY_NOT_ENABLED",
		"SELECT Id, Nope__c FROM Opportunity":                                         "INVALID_FIELD",
	} {
		wantError(t, call(t, req{method: http.MethodPost, url: jobs, token: tok, body: map[string]any{"operation": "query", "query": q}}), 400, code)
	}
	wantStatus(t, call(t, req{method: http.MethodDelete, url: jobs + "/" + id, token: tok}), 204)
	wantError(t, call(t, req{method: http.MethodGet, url: jobs + "/" + id, token: tok}), 404, "NOT_FOUND")
	// A failed job says why.
	s.FailNextBulkJob("too many retries")
	r = call(t, req{method: http.MethodPost, url: jobs, token: tok, body: map[string]any{"operation": "query", "query": "SELECT Id FROM Account"}})
	id = r.obj(t)["id"].(string)
	call(t, req{method: http.MethodGet, url: jobs + "/" + id, token: tok})
	if m := call(t, req{method: http.MethodGet, url: jobs + "/" + id, token: tok}).obj(t); m["state"] != "Failed" || m["errorMessage"] != "too many retries" {
		t.Errorf("failed job %v", m)
	}
	// Terminal jobs vanish after 7 days.
	s.Advance(7*24*time.Hour + time.Minute)
	wantError(t, call(t, req{method: http.MethodGet, url: jobs + "/" + id, token: login(t, s)}), 404, "NOT_FOUND")
}

func TestBulkIngestJob(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	rfmFields(s)
	a := s.Create(Account, F{"Name": "a", "RFM_Segment__c": "Lost", "RFM_Score__c": 111})
	b := s.Create(Account, F{"Name": "b", "RFM_Segment__c": "Lost", "RFM_Score__c": 111})
	locked := s.Create(Account, F{"Name": "c"})
	s.LockRow(locked, 1)
	jobs := s.URL() + v + "/jobs/ingest"
	r := call(t, req{method: http.MethodPost, url: jobs, token: tok, body: map[string]any{"object": "Account", "operation": "update", "contentType": "CSV", "lineEnding": "LF"}})
	wantStatus(t, r, 200)
	info := r.obj(t)
	id := info["id"].(string)
	if info["state"] != "Open" || info["contentUrl"] != "services/data/v62.0/jobs/ingest/"+id+"/batches" {
		t.Fatalf("job %s", r.body)
	}
	data := "Id,RFM_Score__c,RFM_Segment__c\n" + a + ",+545.,Champions\n" + b + ",,#N/A\n" + locked + ",1,Lost\n001000000000099AAA,2,Lost\n"
	wantStatus(t, call(t, req{method: http.MethodPut, url: jobs + "/" + id + "/batches", token: tok, body: data, contentType: "text/csv"}), 201)
	wantError(t, call(t, req{method: http.MethodPut, url: jobs + "/" + id + "/batches", token: tok, body: data, contentType: "text/csv"}), 400, "INVALIDJOB")
	// Nothing is processed before UploadComplete.
	if m := call(t, req{method: http.MethodGet, url: jobs + "/" + id, token: tok}).obj(t); m["state"] != "Open" || s.Value(a, "RFM_Score__c") != Money("111") {
		t.Fatalf("processed while open: %v", m)
	}
	wantStatus(t, call(t, req{method: http.MethodPatch, url: jobs + "/" + id, token: tok, body: map[string]any{"state": "UploadComplete"}}), 200)
	call(t, req{method: http.MethodGet, url: jobs + "/" + id, token: tok})
	m := call(t, req{method: http.MethodGet, url: jobs + "/" + id, token: tok}).obj(t)
	if m["state"] != "JobComplete" || m["numberRecordsProcessed"] != 4.0 || m["numberRecordsFailed"] != 2.0 {
		t.Fatalf("job after processing %v", m)
	}
	if s.Value(a, "RFM_Score__c") != Money("545") || s.Value(b, "RFM_Score__c") != Money("111") || s.Value(b, "RFM_Segment__c") != nil {
		t.Errorf("empty cell must leave the value, #N/A must clear it: a=%v b=%v/%v", s.Value(a, "RFM_Score__c"), s.Value(b, "RFM_Score__c"), s.Value(b, "RFM_Segment__c"))
	}
	ok := call(t, req{method: http.MethodGet, url: jobs + "/" + id + "/successfulResults", token: tok})
	if !strings.HasPrefix(string(ok.body), `"sf__Id","sf__Created","Id","RFM_Score__c","RFM_Segment__c"`) || strings.Count(string(ok.body), "\n") != 3 {
		t.Errorf("successfulResults:\n%s", ok.body)
	}
	bad := string(call(t, req{method: http.MethodGet, url: jobs + "/" + id + "/failedResults", token: tok}).body)
	if !strings.Contains(bad, `"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: `+locked+`:--"`) ||
		!strings.Contains(bad, "INVALID_CROSS_REFERENCE_KEY") {
		t.Errorf("failedResults:\n%s", bad)
	}
	if w := s.Writes(); len(w) != 2 || w[0].Via != "bulk" {
		t.Errorf("writes %+v", w)
	}
	wantError(t, call(t, req{method: http.MethodPost, url: jobs, token: tok, body: map[string]any{"object": "Account", "operation": "insert"}}), 400, "INVALIDJOB")
}

func TestBulkAllocations(t *testing.T) {
	s := newServer(t, Options{BulkQueryJobsPerDay: 1, BulkBatchesPerDay: 1, SessionTTL: 48 * time.Hour})
	tok := login(t, s)
	jobs := s.URL() + v + "/jobs/query"
	create := func() response {
		return call(t, req{method: http.MethodPost, url: jobs, token: tok, body: map[string]any{"operation": "query", "query": "SELECT Id FROM Account"}})
	}
	wantStatus(t, create(), 200)
	wantError(t, create(), 400, "LIMIT_EXCEEDED")
	m := get(t, s, tok, v+"/limits").obj(t)["DailyBulkV2QueryJobs"].(map[string]any)
	if m["Max"] != 1.0 || m["Remaining"] != 0.0 {
		t.Errorf("limits %v", m)
	}
	s.Advance(24 * time.Hour)
	wantStatus(t, create(), 200)

	// Ingest: a second job in the same day finds the batch allocation spent.
	rfmFields(s)
	a := s.Create(Account, F{"Name": "a"})
	ingest := func() string {
		r := call(t, req{method: http.MethodPost, url: s.URL() + v + "/jobs/ingest", token: tok, body: map[string]any{"object": "Account", "operation": "update"}})
		id := r.obj(t)["id"].(string)
		wantStatus(t, call(t, req{method: http.MethodPut, url: s.URL() + v + "/jobs/ingest/" + id + "/batches", token: tok, body: "Id,RFM_Score__c\n" + a + ",5\n", contentType: "text/csv"}), 201)
		wantStatus(t, call(t, req{method: http.MethodPatch, url: s.URL() + v + "/jobs/ingest/" + id, token: tok, body: map[string]any{"state": "UploadComplete"}}), 200)
		call(t, req{method: http.MethodGet, url: s.URL() + v + "/jobs/ingest/" + id, token: tok})
		return call(t, req{method: http.MethodGet, url: s.URL() + v + "/jobs/ingest/" + id, token: tok}).obj(t)["state"].(string)
	}
	if st := ingest(); st != "JobComplete" {
		t.Fatalf("first ingest %s", st)
	}
	if st := ingest(); st != "Failed" {
		t.Errorf("second ingest %s, want Failed on the batch allocation", st)
	}
}
