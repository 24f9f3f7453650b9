package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
)

// decodeCursor reads a page's cursor for assertions.
func decodeCursor(t *testing.T, b []byte) cursor {
	t.Helper()
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("cursor %s: %v", b, err)
	}
	return c
}

// callsOf returns the fake's logged requests of one route.
func callsOf(s *hubspottest.Server, route hubspottest.Route) []hubspottest.Call {
	var out []hubspottest.Call
	for _, c := range s.Log() {
		if c.Route == route {
			out = append(out, c)
		}
	}
	return out
}

func TestFirstPullResumesMidList(t *testing.T) {
	// A run that crashes after page k of the list phase resumes, in a new
	// process, from page k's cursor: it lists on from where it stopped and
	// never re-reads a listed page.
	const n, k = 2_500, 3
	s := newFake(t, hubspottest.Options{SearchLag: 30 * time.Second})
	ids := seedPortal(s, n)
	section := map[string]any{"read_batch": 300}
	c := connect(t, s, section)
	start := s.Now()

	var first []connector.Record
	var cur []byte
	for range k {
		p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Cursor: cur, Now: start})
		if err != nil || p.Done {
			t.Fatalf("list page: done %v, %v", p.Done, err)
		}
		first, cur = append(first, p.Records...), p.Cursor
	}
	saved := decodeCursor(t, cur)
	if saved.Phase != phaseList || saved.Started != start.UnixMilli() || saved.ListAfter == "" || saved.Since != 0 || saved.Until != 0 {
		t.Fatalf("cursor after page %d: %+v, want the list phase started at %d", k, saved, start.UnixMilli())
	}
	if len(first) != k*300 || c.Calls()[KindList] != k*3 {
		t.Fatalf("%d records in %d list calls before the crash, want %d in %d", len(first), c.Calls()[KindList], k*300, k*3)
	}

	// The crash: a new connector, a later run, page k's cursor.
	s.Advance(time.Minute)
	s.ResetCalls()
	again := connect(t, s, section)
	now := s.Now()
	rest, last, _ := pull(t, again, SourceDeals, cur, now)
	got := byID(t, append(first, rest...))
	if len(got) != n {
		t.Fatalf("read %d distinct deals over both runs, want %d", len(got), n)
	}
	for i, id := range ids {
		if got[id].Customer.ID == "" || got[id].Status != StatusWon {
			t.Fatalf("deal %d (%s): %+v", i, id, got[id])
		}
	}
	lists := callsOf(s, hubspottest.RouteList)
	if len(lists) != ceilDiv(n, MaxListPageSize)-k*3 || s.Calls(hubspottest.RouteAssociations) != 0 {
		t.Errorf("resumed with %d list calls and %d association reads, want %d and 0",
			len(lists), s.Calls(hubspottest.RouteAssociations), ceilDiv(n, MaxListPageSize)-k*3)
	}
	if q, _ := url.ParseQuery(lists[0].Query); q.Get("after") != saved.ListAfter || q.Get("archived") != "false" {
		t.Errorf("first list call after the crash: %s, want after=%s", lists[0].Query, saved.ListAfter)
	}
	// The list started before the crash, so the search phase that follows
	// it in this later run reads from that start, not from this run's.
	since := strconv.FormatInt(start.Add(-DefaultSearchLag).UnixMilli(), 10)
	searches := callsOf(s, hubspottest.RouteSearch)
	if len(searches) != 1 || !strings.Contains(string(searches[0].Body), `"operator":"GTE","value":"`+since+`"`) {
		t.Errorf("%d searches after the list, want one from %s: %v", len(searches), since, searches)
	}
	if end := decodeCursor(t, last); end.Phase != "" || end.Since != now.Add(-DefaultSearchLag).UnixMilli() {
		t.Errorf("cursor after the run: %+v, want a search cursor at this run's horizon", end)
	}
}

func TestFirstPullSearchPhaseCatchesChangesDuringList(t *testing.T) {
	// Records change while the list is read: one already listed, one not
	// yet, one created. The search phase after the list reads all three.
	const n = 500
	s := newFake(t, hubspottest.Options{SearchLag: 30 * time.Second})
	ids := seedPortal(s, n)
	c := connect(t, s, map[string]any{"read_batch": 100})
	start := s.Now()

	p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Now: start})
	if err != nil || len(p.Records) != 100 || p.Records[0].OrderID != ids[0] {
		t.Fatalf("first list page: %d records, %v", len(p.Records), err)
	}
	s.Advance(2 * time.Second)
	s.Update(hubspottest.Deals, ids[0], hubspottest.Props{"amount": "999.00"})   // listed already
	s.Update(hubspottest.Deals, ids[400], hubspottest.Props{"amount": "888.00"}) // listed later
	contact := s.CreateContact(hubspottest.Props{"email": "late@example.com"})
	created := s.CreateDeal(wonDeal("777.00", start))
	s.AssociateDealContact(created, contact)

	rest, cur, _ := pull(t, c, SourceDeals, p.Cursor, start)
	listed := byID(t, append(p.Records, rest...))
	if len(listed) != n+1 || listed[ids[0]].Amount == "999.00" || listed[ids[400]].Amount != "888.00" {
		t.Fatalf("list phase read %d deals, %s at %s, %s at %s", len(listed),
			ids[0], listed[ids[0]].Amount, ids[400], listed[ids[400]].Amount)
	}
	if c.Calls()[KindSearch] != 0 {
		t.Errorf("the run that listed searched %d times; its window is empty", c.Calls()[KindSearch])
	}

	s.Advance(time.Hour)
	recs, _, _ := pull(t, c, SourceDeals, cur, s.Now())
	got := byID(t, recs)
	if len(got) != 3 || got[ids[0]].Amount != "999.00" || got[ids[400]].Amount != "888.00" ||
		got[created].Customer.ID != contact {
		t.Fatalf("search phase read %+v, want %s, %s and %s", got, ids[0], ids[400], created)
	}
	searches := callsOf(s, hubspottest.RouteSearch)
	since := strconv.FormatInt(start.Add(-DefaultSearchLag).UnixMilli(), 10)
	if len(searches) != 1 || !strings.Contains(string(searches[0].Body), `"operator":"GTE","value":"`+since+`"`) {
		t.Errorf("searches %d, first %s; want one from the list's start minus search_lag (%s)", len(searches), searches[0].Body, since)
	}
}

// attributionCase is one portal whose records both paths must attribute alike.
type attributionCase struct {
	name    string
	section map[string]any
	source  string
	// seed builds the portal and returns each record's expected customer.
	seed func(s *hubspottest.Server) map[string]string
	// fallbacks is how many association reads the list path needs.
	fallbacks int
}

// createN creates n records of one type in order, so their IDs ascend.
func createN(s *hubspottest.Server, t hubspottest.ObjectType, n int) []string {
	return s.CreateMany(t, n, func(i int) hubspottest.Props {
		if t == hubspottest.Contacts {
			return hubspottest.Props{"email": fmt.Sprintf("a%d@example.com", i)}
		}
		return hubspottest.Props{"name": fmt.Sprintf("Company %d", i)}
	})
}

func wonOrder(amount string) hubspottest.Props {
	return hubspottest.Props{"hs_total_price": amount, "hs_currency_code": "USD",
		"hs_external_created_date": "2024-05-01T00:00:00Z", "hs_pipeline_stage": hubspottest.OrderStageDelivered}
}

var attributionCases = []attributionCase{
	{name: "deals to companies, primary", section: map[string]any{"object": "companies"}, source: SourceDeals,
		seed: func(s *hubspottest.Server) map[string]string {
			co := createN(s, hubspottest.Companies, 3)
			var d []string
			for range 5 {
				d = append(d, s.CreateDeal(wonDeal("10", s.Now())))
			}
			lost := s.CreateDeal(hubspottest.Props{"dealstage": "closedlost", "amount": "5"})
			s.AssociateDealCompany(d[0], co[0], false)
			s.AssociateDealCompany(d[0], co[1], true) // primary beats a lower ID
			s.AssociateDealCompany(d[1], co[2], false)
			s.AssociateDealCompany(d[1], co[0], false) // no primary: lowest ID
			s.AssociateDealCompany(d[3], co[2], true)  // primary alone (listed twice inline)
			s.AssociateDealCompany(d[4], co[2], true)
			s.AssociateDealCompany(d[4], co[1], false)
			s.AssociateDealCompany(lost, co[0], true)
			return map[string]string{d[0]: co[1], d[1]: co[0], d[2]: "", d[3]: co[2], d[4]: co[2], lost: ""}
		}},
	{name: "deals to companies, lowest id", section: map[string]any{"object": "companies", "attribution": "lowest_id"}, source: SourceDeals,
		seed: func(s *hubspottest.Server) map[string]string {
			co := createN(s, hubspottest.Companies, 3)
			d := s.CreateDeal(wonDeal("10", s.Now()))
			s.AssociateDealCompany(d, co[2], true)
			s.AssociateDealCompany(d, co[1], false)
			return map[string]string{d: co[1]}
		}},
	{name: "deals to contacts, lowest id", source: SourceDeals,
		seed: func(s *hubspottest.Server) map[string]string {
			k := createN(s, hubspottest.Contacts, 3)
			d := s.CreateDeal(wonDeal("10", s.Now()))
			for _, i := range []int{2, 0, 1} {
				s.AssociateDealContact(d, k[i])
			}
			return map[string]string{d: k[0]}
		}},
	{name: "deals to contacts, primary label", section: map[string]any{"attribution": "primary"}, source: SourceDeals, fallbacks: 1,
		seed: func(s *hubspottest.Server) map[string]string {
			// A user-defined "Primary" label: v4 names it, the legacy inline
			// string may not, so that deal alone is read through v4.
			k := createN(s, hubspottest.Contacts, 2)
			d := s.CreateDeal(wonDeal("10", s.Now()))
			plain := s.CreateDeal(wonDeal("11", s.Now()))
			s.AssociateDealContact(d, k[0])
			s.Associate(hubspottest.Deals, d, hubspottest.Contacts, k[1],
				hubspottest.AssociationType{Category: hubspottest.CategoryUserDefined, TypeID: 77, Label: "Primary"})
			s.AssociateDealContact(plain, k[1])
			s.AssociateDealContact(plain, k[0])
			return map[string]string{d: k[1], plain: k[0]}
		}},
	{name: "orders to companies", section: map[string]any{"object": "companies", "sources": []any{"orders"}}, source: SourceOrders,
		seed: func(s *hubspottest.Server) map[string]string {
			co := createN(s, hubspottest.Companies, 2)
			o := s.CreateOrder(wonOrder("10"))
			bare := s.CreateOrder(wonOrder("11"))
			s.AssociateOrderCompany(o, co[1])
			s.AssociateOrderCompany(o, co[0])
			return map[string]string{o: co[0], bare: ""}
		}},
}

func TestFirstPullInlineAttributionMatchesV4(t *testing.T) {
	for _, tc := range attributionCases {
		t.Run(tc.name, func(t *testing.T) {
			s := newFake(t, hubspottest.Options{})
			want := tc.seed(s)
			s.Advance(time.Hour)
			attributed := map[string]map[string]string{}
			for _, mode := range []string{FirstPullList, FirstPullSearch} {
				section := map[string]any{"first_pull": mode}
				for k, v := range tc.section {
					section[k] = v
				}
				s.ResetCalls()
				recs, _, _ := pull(t, connect(t, s, section), tc.source, nil, s.Now())
				got := map[string]string{}
				for id, r := range byID(t, recs) {
					got[id] = r.Customer.ID
				}
				attributed[mode] = got
				if mode == FirstPullList && (s.Calls(hubspottest.RouteAssociations) != tc.fallbacks || s.Calls(hubspottest.RouteSearch) != 0) {
					t.Errorf("list path: %d association reads, %d searches; want %d and 0",
						s.Calls(hubspottest.RouteAssociations), s.Calls(hubspottest.RouteSearch), tc.fallbacks)
				}
				if mode == FirstPullSearch && s.Calls(hubspottest.RouteList) != 0 {
					t.Errorf("first_pull: search listed %d times", s.Calls(hubspottest.RouteList))
				}
			}
			for id, customer := range want {
				if attributed[FirstPullList][id] != customer || attributed[FirstPullSearch][id] != customer {
					t.Errorf("record %s: list path %q, v4 path %q, want %q", id,
						attributed[FirstPullList][id], attributed[FirstPullSearch][id], customer)
				}
			}
			if len(attributed[FirstPullList]) != len(want) || len(attributed[FirstPullSearch]) != len(want) {
				t.Errorf("records: list %v, search %v, want %v", attributed[FirstPullList], attributed[FirstPullSearch], want)
			}
		})
	}
}

func TestFirstPullFallsBackPastInlineCap(t *testing.T) {
	// Inline associations stop at 100 per type (§2.3): a deal with 150
	// contacts lists 100 and a paging cursor, and one with exactly 100 may
	// be cut short as well. Both are attributed by the v4 read, in one call
	// holding just them; the contact with the lowest ID is among the 50 the
	// inline block of the first deal leaves out.
	s := newFake(t, hubspottest.Options{})
	k := createN(s, hubspottest.Contacts, 150)
	many := s.CreateDeal(wonDeal("10", s.Now()))
	full := s.CreateDeal(wonDeal("11", s.Now()))
	few := s.CreateDeal(wonDeal("12", s.Now()))
	for i := len(k) - 1; i >= 0; i-- {
		s.AssociateDealContact(many, k[i])
	}
	for i := 100; i >= 1; i-- {
		s.AssociateDealContact(full, k[i])
	}
	s.AssociateDealContact(few, k[7])
	s.AssociateDealContact(few, k[3])
	s.Advance(time.Hour)

	c := connect(t, s, nil)
	recs, _, _ := pull(t, c, SourceDeals, nil, s.Now())
	got := byID(t, recs)
	if got[many].Customer.ID != k[0] || got[full].Customer.ID != k[1] || got[few].Customer.ID != k[3] {
		t.Errorf("customers %s, %s, %s; want %s, %s, %s", got[many].Customer.ID, got[full].Customer.ID,
			got[few].Customer.ID, k[0], k[1], k[3])
	}
	reads := callsOf(s, hubspottest.RouteAssociations)
	if len(reads) != 1 {
		t.Fatalf("%d association reads, want 1", len(reads))
	}
	var body assocRequest
	if err := json.Unmarshal(reads[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	var inputs []string
	for _, in := range body.Inputs {
		inputs = append(inputs, in.ID)
	}
	slices.Sort(inputs)
	if want := []string{many, full}; !slices.Equal(inputs, slices.Sorted(slices.Values(want))) {
		t.Errorf("v4 read for %v, want only %v", inputs, want)
	}
}

func TestCursorWithoutPhaseIsASearchCursor(t *testing.T) {
	// Cursors written before the list phase existed carry no phase: they
	// continue the search where they stood, whatever first_pull says.
	s := newFake(t, hubspottest.Options{})
	a := s.CreateDeal(wonDeal("1", s.Now().Add(-2*time.Hour)))
	s.Advance(time.Hour)
	b := s.CreateDeal(wonDeal("2", s.Now()))
	s.Advance(time.Hour)
	since := a2ms(s.Now().Add(-90 * time.Minute))
	for name, tc := range map[string]struct {
		stored string
		want   []string
	}{
		"between windows": {fmt.Sprintf(`{"v":1,"since":%d}`, since), []string{b}},
		"inside a window": {fmt.Sprintf(`{"v":1,"until":%d,"after":%q}`, a2ms(s.Now().Add(-30*time.Minute)), a), []string{b}},
		"first window":    {fmt.Sprintf(`{"v":1,"until":%d}`, a2ms(s.Now().Add(-30*time.Minute))), []string{a, b}},
	} {
		t.Run(name, func(t *testing.T) {
			s.ResetCalls()
			c := connect(t, s, map[string]any{"first_pull": FirstPullList})
			recs, cur, _ := pull(t, c, SourceDeals, []byte(tc.stored), s.Now())
			var got []string
			for _, r := range recs {
				got = append(got, r.OrderID)
			}
			if !slices.Equal(got, tc.want) || s.Calls(hubspottest.RouteList) != 0 || s.Calls(hubspottest.RouteSearch) == 0 {
				t.Errorf("read %v with %d list calls and %d searches, want %v by search", got,
					s.Calls(hubspottest.RouteList), s.Calls(hubspottest.RouteSearch), tc.want)
			}
			if end := decodeCursor(t, cur); end.Phase != "" || end.Since != a2ms(s.Now().Add(-DefaultSearchLag)) {
				t.Errorf("cursor %+v", end)
			}
		})
	}
	c := connect(t, s, nil)
	_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceDeals, Cursor: []byte(`{"v":1,"phase":"export"}`), Now: s.Now()})
	if crmerr.ClassOf(err) != crmerr.Permanent {
		t.Errorf("unknown phase: %v, want a permanent error", err)
	}
}
