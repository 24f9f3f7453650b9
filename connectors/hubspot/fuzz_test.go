package hubspot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
)

// fuzzCRM is one HTTP server per fuzz process that answers every call with
// the bodies of the current input: the connector decodes what a broken or
// hostile HubSpot could send, through its real HTTP client.
type fuzzCRM struct {
	srv *httptest.Server
	mu  sync.Mutex
	// bodies by route: "page" (list or search), "assoc", "update".
	bodies map[string]string
	status int
}

func newFuzzCRM(f *testing.F) *fuzzCRM {
	fc := &fuzzCRM{}
	fc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fc.mu.Lock()
		route := "page"
		switch {
		case strings.Contains(r.URL.Path, "/associations/"):
			route = "assoc"
		case strings.HasSuffix(r.URL.Path, "/batch/update"):
			route = "update"
		}
		body, status := fc.bodies[route], fc.status
		fc.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	f.Cleanup(fc.srv.Close)
	return fc
}

func (fc *fuzzCRM) serve(status int, bodies map[string]string) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.status, fc.bodies = status, bodies
}

// connector builds a connector against the server whose waits cost nothing.
func (fc *fuzzCRM) connector(t *testing.T, section map[string]any) *Connector {
	base := map[string]any{"token": "fuzz-token", "base_url": fc.srv.URL, "object": "contacts",
		"list_page_size": 10, "page_size": 10, "read_batch": 10}
	for k, v := range section {
		base[k] = v
	}
	opts, err := Decode(base, "crm.hubspot")
	if err != nil {
		t.Fatal(err)
	}
	o := opts.(*Options)
	o.hooks.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	o.hooks.unpaced = true
	conn, err := o.New(connector.Env{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.(*Connector)
}

// Real payloads (hubspot.md §2.1, §2.3, §3.2, §5.3), the fuzzers' seeds;
// more are under testdata/fuzz.
const (
	seedSearch  = `{"total":12345,"results":[{"id":"9001","properties":{"amount":"1500.00","closedate":"2024-05-01T16:32:11.123Z","createdate":"2024-04-02T10:00:00Z","dealstage":"closedwon","hs_is_closed_won":"true","hs_lastmodifieddate":"2024-05-02T08:00:01.412Z","hs_object_id":"9001","pipeline":"default"},"createdAt":"2024-04-02T10:00:00Z","updatedAt":"2024-05-02T08:00:01.412Z","archived":false}],"paging":{"next":{"after":"200"}}}`
	seedList    = `{"results":[{"id":"9001","properties":{"amount":"1500.00","createdate":"2024-04-02T10:00:00Z","hs_lastmodifieddate":"2024-05-02T08:00:01.412Z","hs_object_id":"9001","hs_is_closed_won":"true","closedate":"2024-05-01T16:32:11.123Z"},"createdAt":"2024-04-02T10:00:00Z","updatedAt":"2024-05-02T08:00:01.412Z","archived":false,"associations":{"contacts":{"results":[{"id":"101","type":"deal_to_contact"}]},"companies":{"results":[{"id":"55","type":"deal_to_company"},{"id":"55","type":"deal_to_company_unlabeled"}]}}}],"paging":{"next":{"after":"9002","link":"https://api.hubapi.com/crm/v3/objects/deals?after=9002"}}}`
	seedAssoc   = `{"status":"COMPLETE","results":[{"from":{"id":"9001"},"to":[{"toObjectId":101,"associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":3,"label":null}]},{"toObjectId":102,"associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":3,"label":null},{"category":"USER_DEFINED","typeId":36,"label":"Decision maker"}]}],"paging":{"next":{"after":"MC0yLTEwMg%3D%3D"}}}],"startedAt":"2024-04-24T19:21:09.694Z","completedAt":"2024-04-24T19:21:09.747Z"}`
	seedNoAssoc = `{"status":"COMPLETE","results":[],"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","subCategory":"crm.associations.NO_ASSOCIATIONS_FOUND","message":"No company is associated with deal 9001.","context":{"fromObjectId":["9001"],"fromObjectType":["deal"],"toObjectType":["company"]}}],"startedAt":"…","completedAt":"…"}`
	seedUpdate  = `{"status":"COMPLETE","results":[{"id":"101","properties":{"rfm_code":"545"},"createdAt":"2024-04-02T10:00:00Z","updatedAt":"2024-05-02T08:00:01.412Z","archived":false}],"startedAt":"2024-04-24T19:21:09.694Z","completedAt":"2024-04-24T19:21:09.747Z"}`
	seed207     = `{"status":"COMPLETE","results":[{"id":"101","properties":{}}],"numErrors":1,"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.","context":{"ids":["102"]}}],"startedAt":"2024-04-24T19:21:09.694Z","completedAt":"2024-04-24T19:21:09.747Z"}`
)

// FuzzReadPage decodes arbitrary list or search pages with arbitrary
// association answers: no panic, and whatever is handed to core has a
// HubSpot ID or is marked bad_id, and a customer only with a HubSpot ID.
func FuzzReadPage(f *testing.F) {
	fc := newFuzzCRM(f)
	f.Add(false, seedList, seedAssoc)
	f.Add(true, seedSearch, seedAssoc)
	f.Add(true, seedSearch, seedNoAssoc)
	f.Add(false, `{"results":null}`, seedAssoc)
	f.Add(true, `{"results":[{"id":"9001\ufffd","properties":{"hs_is_closed_won":"true"}}]}`, `{"results":[]}`)
	f.Fuzz(func(t *testing.T, search bool, page, assoc string) {
		section := map[string]any{}
		if search {
			section["first_pull"] = FirstPullSearch
		}
		c := fc.connector(t, section)
		fc.serve(http.StatusOK, map[string]string{"page": page, "assoc": assoc})
		now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: now})
		if err != nil {
			return
		}
		for _, r := range p.Records {
			if !validID(r.OrderID) && r.Problem != ProblemBadID {
				t.Fatalf("record %q handed over without bad_id", r.OrderID)
			}
			if r.Customer.ID != "" && !validID(r.Customer.ID) {
				t.Fatalf("record %s attributed to %q", r.OrderID, r.Customer.ID)
			}
		}
	})
}

// FuzzWriteBatch decodes arbitrary batch/update answers: no panic, every
// input lands in exactly one outcome, and none is "gone" without the
// contract's OBJECT_NOT_FOUND in the answer.
func FuzzWriteBatch(f *testing.F) {
	fc := newFuzzCRM(f)
	f.Add(200, seedUpdate)
	f.Add(207, seed207)
	f.Add(200, `{"status":"COMPLETE","results":[]}`)
	f.Add(400, `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"gold was not one of the allowed options\",\"error\":\"INVALID_OPTION\",\"name\":\"rfm_segment\"}]","category":"VALIDATION_ERROR","errors":[{"message":"gold","code":"INVALID_OPTION","context":{"propertyName":["rfm_segment"]}}]}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		switch status {
		case 200, 207, 400:
		default:
			status = 200
		}
		c := fc.connector(t, nil)
		fc.serve(status, map[string]string{"update": body})
		ups := []connector.Update{
			{Key: connector.CustomerKey{Type: "contacts", ID: "101"}, Fields: map[string]string{"rfm_code": "545"}},
			{Key: connector.CustomerKey{Type: "contacts", ID: "102"}, Fields: map[string]string{"rfm_code": "111"}},
			{Key: connector.CustomerKey{Type: "contacts", ID: "103"}, Fields: map[string]string{"rfm_code": "333"}},
		}
		res, err := c.WriteBatch(context.Background(), ups)
		if err != nil {
			return
		}
		seen := map[connector.CustomerKey]int{}
		for _, k := range res.Accepted {
			seen[k]++
		}
		for _, k := range res.NotFound {
			seen[k]++
		}
		for k := range res.Rejected {
			seen[k]++
		}
		for k := range res.RetryLater {
			seen[k]++
		}
		for _, u := range ups {
			if seen[u.Key] != 1 {
				t.Fatalf("%s has %d outcomes: %+v", u.Key, seen[u.Key], res)
			}
		}
		if len(res.NotFound) > 0 && !strings.Contains(body, "OBJECT_NOT_FOUND") {
			t.Fatalf("marked %v gone without OBJECT_NOT_FOUND in %q", res.NotFound, body)
		}
	})
}
