package salesforcetest

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestConnectorWorkflow plays the connector the contract describes: log
// in, pull by (SystemModstamp, Id) keyset through nextRecordsUrl, lose the
// session mid-pull, refresh, find the old locator dead, re-query from the
// keyset, and write scores back through Collections.
func TestConnectorWorkflow(t *testing.T) {
	s := newServer(t, Options{RotateRefreshTokens: true})
	rfmFields(s)
	org := s.SeedOrg(OrgSpec{Accounts: 300, ContactsPerAccount: 2, Opportunities: 5000, Orders: 500, Years: 2, Seed: 3})
	s.Advance(10 * time.Minute)
	refresh := DefaultRefreshToken
	token := func() string {
		r := tokenCall(t, s.TokenURL(), url.Values{"grant_type": {GrantRefreshToken}, "client_id": {DefaultClientID},
			"client_secret": {DefaultClientSecret}, "refresh_token": {refresh}})
		wantStatus(t, r, 200)
		m := r.obj(t)
		refresh = m["refresh_token"].(string) // rotated: persist before use
		return m["access_token"].(string)
	}
	tok := token()
	hi, _ := time.Parse(time.RFC1123, get(t, s, tok, v+"/limits").header.Get("Date"))
	hi = hi.Add(-5 * time.Minute)
	lo, loID := time.Unix(0, 0).UTC(), "000000000000000AAA"
	seen := map[string]bool{}
	expired := false
	for {
		r := runQuery(t, s, tok, "queryAll", keyset(lo, loID, hi), nil)
		for {
			wantStatus(t, r, 200)
			var q queryResult
			r.decode(t, &q)
			for _, rec := range q.Records {
				seen[rec["Id"].(string)] = true
				lo, _ = time.Parse(JSONTime, rec["SystemModstamp"].(string))
				loID = rec["Id"].(string)
			}
			if q.Done {
				break
			}
			if !expired {
				// The session ends between two pages.
				expired = true
				s.ExpireSessions()
				wantError(t, get(t, s, tok, *q.NextRecordsURL), 401, "INVALID_SESSION_ID")
				tok = token()
				// The locator died with its session: never replay it.
				wantError(t, get(t, s, tok, *q.NextRecordsURL), 401, "INVALID_SESSION_ID")
				r = runQuery(t, s, tok, "queryAll", keyset(lo, loID, hi), nil)
				continue
			}
			r = get(t, s, tok, *q.NextRecordsURL)
		}
		break
	}
	if !expired || len(seen) != len(org.Opportunities) {
		t.Fatalf("pulled %d of %d opportunities (expired mid-pull: %t)", len(seen), len(org.Opportunities), expired)
	}
	// Write one score per account in batches of 200.
	var records []any
	for _, a := range org.Accounts {
		records = append(records, rec("Account", a, map[string]any{"RFM_Score__c": 545, "RFM_Segment__c": "Champions"}))
	}
	for i := 0; i < len(records); i += 200 {
		r := call(t, req{method: http.MethodPatch, url: s.URL() + v + "/composite/sobjects", token: tok,
			body: map[string]any{"allOrNone": false, "records": records[i:min(i+200, len(records))]}})
		wantStatus(t, r, 200)
	}
	if s.WriteCalls() != 2 || len(s.Writes()) != 300 {
		t.Errorf("%d write calls, %d records written", s.WriteCalls(), len(s.Writes()))
	}
	if s.TokenRefreshes() != 2 {
		t.Errorf("refreshes %d", s.TokenRefreshes())
	}
}
