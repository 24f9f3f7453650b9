package hubspot

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// shapeFixture is a fake with n won deals, each with its own contact.
func shapeFixture(t *testing.T, n int) (*hubspottest.Server, []string) {
	t.Helper()
	s := newFake(t, hubspottest.Options{Seed: 3, SearchLag: time.Second})
	closed := s.Now().Add(-48 * time.Hour)
	deals := make([]string, n)
	for i := range deals {
		deals[i] = s.CreateDeal(wonDeal(fmt.Sprintf("%d.25", 10+i), closed))
		s.AssociateDealContact(deals[i], s.CreateContact(hubspottest.Props{"email": fmt.Sprintf("s%d@example.com", i)}))
	}
	s.Advance(10 * time.Minute) // past the connector's search lag
	return s, deals
}

// readErr reads one page and returns its error, failing if there is none.
func readErr(t *testing.T, c *Connector, s *hubspottest.Server) error {
	t.Helper()
	p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
	if err == nil {
		t.Fatalf("a malformed answer was read as a page of %d records (done %v)", len(p.Records), p.Done)
	}
	return err
}

func TestNullOrMissingResultsAreAnError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		route   hubspottest.Route
		section map[string]any
		body    string
	}{
		{"search null", hubspottest.RouteSearch, searchFirst, `{"total":5,"results":null}`},
		{"search missing", hubspottest.RouteSearch, searchFirst, `{"total":5}`},
		{"list null", hubspottest.RouteList, nil, `{"results":null}`},
		{"list missing", hubspottest.RouteList, nil, `{"paging":{"next":{"after":"99"}}}`},
		{"associations null", hubspottest.RouteAssociations, searchFirst, `{"status":"COMPLETE","results":null}`},
		{"associations missing", hubspottest.RouteAssociations, searchFirst, `{"status":"COMPLETE"}`},
		{"associations silent", hubspottest.RouteAssociations, searchFirst, `{"status":"COMPLETE","results":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := shapeFixture(t, 5)
			c := connect(t, s, tc.section)
			s.InjectFault(tc.route, 1, hubspottest.Fault{Status: 200, Body: tc.body})
			err := readErr(t, c, s)
			if !strings.Contains(err.Error(), "results") && !strings.Contains(err.Error(), "neither in the results") {
				t.Errorf("error %q does not name the missing results", err)
			}
		})
	}
}

// TestNullResultsMidPullCommitNothingAndHeal is the first pull that
// ended early at exit 0: a list page with results null must fail the run
// with nothing of that page stored, and the next run must read everything.
func TestNullResultsMidPullCommitNothingAndHeal(t *testing.T) {
	s, deals := shapeFixture(t, 30)
	c := connect(t, s, map[string]any{"list_page_size": 10, "read_batch": 10})
	path := filepath.Join(t.TempDir(), "state.db")
	s.InjectFault(hubspottest.RouteList, 1, hubspottest.Fault{Status: 200, Body: `{"status":"x"}`})
	db, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = syncloop.Run(context.Background(), syncloop.Options{Connector: c, State: db, Params: rfm.DefaultParams(),
		WindowDays: syncWindowDays, PullFingerprint: "t", ScoreFingerprint: "t", Now: s.Now})
	if err == nil {
		t.Fatal("a run whose list answer had no results finished without error")
	}
	if n, _ := db.CustomerCount(); n != 0 {
		t.Errorf("%d customers stored from a malformed answer", n)
	}
	if cur, _ := db.Cursor(SourceDeals); cur != nil {
		t.Errorf("cursor %s stored from a malformed answer", cur)
	}
	db.Close()
	rep := syncOnce(t, s, c, path, nil)
	if rep.Scored != len(deals) {
		t.Errorf("the healed run scored %d customers, want %d", rep.Scored, len(deals))
	}
}

func TestPageBeyondRequestedSizeIsRejected(t *testing.T) {
	objs := make([]string, 11)
	for i := range objs {
		objs[i] = fmt.Sprintf(`{"id":"%d","properties":{}}`, 100+i)
	}
	body := `{"results":[` + strings.Join(objs, ",") + `]}`
	for _, tc := range []struct {
		name    string
		route   hubspottest.Route
		section map[string]any
	}{
		{"search", hubspottest.RouteSearch, map[string]any{"first_pull": FirstPullSearch, "page_size": 10, "read_batch": 10}},
		{"list", hubspottest.RouteList, map[string]any{"list_page_size": 10, "read_batch": 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := shapeFixture(t, 3)
			c := connect(t, s, tc.section)
			s.InjectFault(tc.route, 1, hubspottest.Fault{Status: 200, Body: body})
			if err := readErr(t, c, s); !strings.Contains(err.Error(), "11 results for a request of at most 10") {
				t.Errorf("error %q does not say the page was too large", err)
			}
		})
	}
}

func TestBadRecordIDsAreSkippedNotStored(t *testing.T) {
	s, _ := shapeFixture(t, 1)
	c := connect(t, s, nil)
	closed := s.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	won := `"dealstage":"closedwon","hs_is_closed_won":"true","amount":"5","closedate":"` + closed + `"`
	body := `{"results":[
	 {"id":"12\ufffd","properties":{` + won + `}},
	 {"id":"12\u00ff","properties":{` + won + `}},
	 {"id":"abc","properties":{` + won + `}},
	 {"id":"-7","properties":{` + won + `}},
	 {"id":"123456789012345678901","properties":{` + won + `}},
	 {"id":"77","properties":{` + won + `}}]}`
	s.InjectFault(hubspottest.RouteList, 1, hubspottest.Fault{Status: 200, Body: body})
	p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, r := range p.Records {
		switch {
		case r.OrderID == "77":
			if r.Problem != "" {
				t.Errorf("good record 77 has problem %q", r.Problem)
			}
		case r.Problem == ProblemBadID:
			bad++
			if r.Customer.ID != "" || r.Status == StatusWon {
				t.Errorf("bad-id record %q carries %+v", r.OrderID, r)
			}
		default:
			t.Errorf("record %q passed as %+v", r.OrderID, r)
		}
	}
	if bad != 5 {
		t.Errorf("%d records marked bad_id, want 5", bad)
	}
}

func TestBadCustomerIDsAreNotAttributed(t *testing.T) {
	s, deals := shapeFixture(t, 2)
	c := connect(t, s, searchFirst)
	body := fmt.Sprintf(`{"status":"COMPLETE","results":[{"from":{"id":"%s"},"to":[
	 {"toObjectId":"x1","associationTypes":[]},{"toObjectId":"1\ufffd","associationTypes":[]}]},
	 {"from":{"id":"%s"},"to":[{"toObjectId":"","associationTypes":[]}]}]}`, deals[0], deals[1])
	s.InjectFault(hubspottest.RouteAssociations, 1, hubspottest.Fault{Status: 200, Body: body})
	p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Records {
		if r.Customer.ID != "" {
			t.Errorf("record %s attributed to %q from a malformed association", r.OrderID, r.Customer.ID)
		}
	}
}

func TestEmptyBatchUpdateAnswerMarksNobodyGone(t *testing.T) {
	for _, body := range []string{
		`{"status":"COMPLETE","results":[]}`,
		`{"status":"COMPLETE","results":null}`,
		`{"status":"COMPLETE"}`,
	} {
		t.Run(body, func(t *testing.T) {
			s, keys := writeFixture(t, 4)
			c := connect(t, s, nil)
			s.InjectFault(hubspottest.RouteBatchUpdate, 1, hubspottest.Fault{Status: 200, Body: body})
			res, err := c.WriteBatch(context.Background(), updates(keys, func(int) map[string]string { return map[string]string{"rfm_code": "555"} }))
			if err == nil {
				t.Errorf("an answer with no results and no errors was taken: %+v", res)
			}
			if len(res.NotFound) != 0 || len(res.Accepted) != 0 {
				t.Errorf("accepted %v, not found %v from an empty answer", res.Accepted, res.NotFound)
			}
		})
	}
}

func TestEmptyReadBackMarksNobodyGone(t *testing.T) {
	for _, body := range []string{`{"status":"COMPLETE","results":[]}`, `{"status":"COMPLETE"}`} {
		s, keys := writeFixture(t, 3)
		c := connect(t, s, nil)
		s.InjectFault(hubspottest.RouteRead, 1, hubspottest.Fault{Status: 200, Body: body})
		got, err := c.ReadFields(context.Background(), keys, []string{"rfm_code"})
		if err == nil {
			t.Errorf("%s: read-back of %d records answered with nothing was taken (%d found)", body, len(keys), len(got))
		}
	}
}

func TestDeletionScanNeedsResults(t *testing.T) {
	for _, body := range []string{`{"results":null}`, `{}`} {
		s, _ := shapeFixture(t, 1)
		c := connect(t, s, nil)
		s.InjectFault(hubspottest.RouteList, 1, hubspottest.Fault{Status: 200, Body: body})
		p, err := c.ReadDeletedPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: s.Now()})
		if err == nil {
			t.Errorf("%s: the deletion scan read a page without results as done=%v", body, p.Done)
		}
	}
}
