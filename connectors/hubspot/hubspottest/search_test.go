package hubspottest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSearchDefaultAndRequestedProperties(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	s.CreateDeal(Props{"dealname": "A", "amount": "1500.00", "dealstage": "closedwon", "description": "x"})
	res := search(t, s, "deals", searchBody{})
	want := []string{"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"}
	if got := sortedKeysOf(res.Results[0].Properties); !slices.Equal(got, want) {
		t.Errorf("default properties %v, want %v", got, want)
	}
	if res.Results[0].Properties["closedate"] != nil {
		t.Errorf("unset default property must be null")
	}
	res = search(t, s, "deals", searchBody{"properties": []string{"amount", "hs_is_closed_won", "rfm_typo"}})
	want = []string{"amount", "createdate", "hs_is_closed_won", "hs_lastmodifieddate", "hs_object_id"}
	if got := sortedKeysOf(res.Results[0].Properties); !slices.Equal(got, want) {
		t.Errorf("requested properties %v, want %v", got, want)
	}
	if *res.Results[0].Properties["hs_is_closed_won"] != "true" {
		t.Errorf("hs_is_closed_won %v", *res.Results[0].Properties["hs_is_closed_won"])
	}
	// Orders and contacts have their own defaults.
	s.CreateContact(Props{"email": "a@b.c"})
	res = search(t, s, "contacts", searchBody{})
	if _, ok := res.Results[0].Properties["lastmodifieddate"]; !ok {
		t.Errorf("contact defaults %v", sortedKeysOf(res.Results[0].Properties))
	}
}

func sortedKeysOf(m map[string]*string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// operatorFixture seeds deals with distinct values and returns their IDs.
func operatorFixture(t *testing.T) (*Server, []string) {
	s := newServer(t, noLimits(Options{}))
	var ids []string
	for i, d := range []Props{
		{"dealname": "Alpha Renewal", "amount": "100", "dealstage": "closedwon", "closedate": "2024-01-01T00:00:00Z"},
		{"dealname": "beta", "amount": "250.50", "dealstage": "closedlost", "closedate": "2024-02-01T00:00:00Z"},
		{"dealname": "GAMMA", "amount": "1000", "dealstage": "contractsent"},
		{"dealname": "delta", "amount": nil, "dealstage": "closedwon"},
		{"dealname": "epsilon", "amount": "", "dealstage": "closedwon"},
	} {
		d["createdate"] = time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC)
		ids = append(ids, s.CreateDeal(d))
	}
	return s, ids
}

func TestSearchOperators(t *testing.T) {
	s, id := operatorFixture(t)
	cases := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"EQ number", f("amount", "EQ", "250.5"), []string{id[1]}},
		{"EQ number as JSON number", f("amount", "EQ", 100), []string{id[0]}},
		{"NEQ includes unset", f("amount", "NEQ", "100"), []string{id[1], id[2], id[3], id[4]}},
		{"GT numeric not lexicographic", f("amount", "GT", "250"), []string{id[1], id[2]}},
		{"GTE", f("amount", "GTE", "250.5"), []string{id[1], id[2]}},
		{"LT", f("amount", "LT", "250.5"), []string{id[0]}},
		{"LTE", f("amount", "LTE", "250.5"), []string{id[0], id[1]}},
		{"BETWEEN inclusive", map[string]any{"propertyName": "amount", "operator": "BETWEEN", "value": "100", "highValue": "250.5"}, []string{id[0], id[1]}},
		{"IN numbers", map[string]any{"propertyName": "amount", "operator": "IN", "values": []string{"1000", "100"}}, []string{id[0], id[2]}},
		{"NOT_IN", map[string]any{"propertyName": "amount", "operator": "NOT_IN", "values": []string{"1000", "100"}}, []string{id[1], id[3], id[4]}},
		{"HAS_PROPERTY skips null and empty", f("amount", "HAS_PROPERTY", nil), []string{id[0], id[1], id[2]}},
		{"NOT_HAS_PROPERTY", f("amount", "NOT_HAS_PROPERTY", nil), []string{id[3], id[4]}},
		{"EQ string ignores case", f("dealname", "EQ", "gamma"), []string{id[2]}},
		{"EQ enumeration is case-sensitive", f("dealstage", "EQ", "CLOSEDWON"), nil},
		{"EQ enumeration", f("dealstage", "EQ", "closedwon"), []string{id[0], id[3], id[4]}},
		{"IN string needs lower-case values", map[string]any{"propertyName": "dealname", "operator": "IN", "values": []string{"GAMMA"}}, nil},
		{"IN string lower-case", map[string]any{"propertyName": "dealname", "operator": "IN", "values": []string{"gamma", "beta"}}, []string{id[1], id[2]}},
		{"EQ bool", f("hs_is_closed_won", "EQ", "true"), []string{id[0], id[3], id[4]}},
		{"datetime GTE epoch ms", f("closedate", "GTE", "1706745600000"), []string{id[1]}},
		{"datetime GTE ISO", f("closedate", "GTE", "2024-02-01T00:00:00Z"), []string{id[1]}},
		{"datetime LT ISO date", f("closedate", "LT", "2024-02-01"), []string{id[0]}},
		{"createdate BETWEEN", map[string]any{"propertyName": "createdate", "operator": "BETWEEN", "value": "2024-01-02T00:00:00Z", "highValue": "1704240000000"}, []string{id[1], id[2]}},
		{"BETWEEN strings", map[string]any{"propertyName": "dealname", "operator": "BETWEEN", "value": "b", "highValue": "DELTA"}, []string{id[1], id[3]}},
		{"CONTAINS_TOKEN word", f("dealname", "CONTAINS_TOKEN", "renewal"), []string{id[0]}},
		{"CONTAINS_TOKEN wildcard", f("dealname", "CONTAINS_TOKEN", "*ta"), []string{id[1], id[3]}},
		{"NOT_CONTAINS_TOKEN", f("dealname", "NOT_CONTAINS_TOKEN", "alpha"), []string{id[1], id[2], id[3], id[4]}},
		{"unknown property matches nothing", f("no_such_prop", "EQ", "x"), nil},
		{"contacts-style hs_lastmodifieddate on deals works", f("hs_lastmodifieddate", "GTE", "0"), id},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := search(t, s, "deals", searchBody{"filterGroups": groups([]map[string]any{tc.filter}), "limit": 100})
			if got := res.ids(); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if res.Total != len(tc.want) {
				t.Errorf("total %d, want %d", res.Total, len(tc.want))
			}
		})
	}
}

func TestSearchGroupsAreORedFiltersANDed(t *testing.T) {
	s, id := operatorFixture(t)
	res := search(t, s, "deals", searchBody{"filterGroups": groups(
		[]map[string]any{f("dealstage", "EQ", "closedwon"), f("amount", "HAS_PROPERTY", nil)},
		[]map[string]any{f("dealname", "EQ", "beta")},
	)})
	if got := res.ids(); !slices.Equal(got, []string{id[0], id[1]}) {
		t.Errorf("got %v", got)
	}
}

func TestSearchRejectsBadFilters(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	path := "/crm/v3/objects/deals/search"
	many := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = f("amount", "GT", "0")
		}
		return out
	}
	bad := map[string]searchBody{
		"6 groups":             {"filterGroups": groups(many(1), many(1), many(1), many(1), many(1), many(1))},
		"7 filters":            {"filterGroups": groups(many(7))},
		"19 filters":           {"filterGroups": groups(many(4), many(4), many(4), many(4), many(3))},
		"unknown operator":     {"filterGroups": groups([]map[string]any{f("amount", "GREATER", "1")})},
		"missing operator":     {"filterGroups": groups([]map[string]any{{"propertyName": "amount", "value": "1"}})},
		"missing value":        {"filterGroups": groups([]map[string]any{f("amount", "EQ", nil)})},
		"BETWEEN without high": {"filterGroups": groups([]map[string]any{f("amount", "BETWEEN", "1")})},
		"IN without values":    {"filterGroups": groups([]map[string]any{f("amount", "IN", nil)})},
		"HAS_PROPERTY value":   {"filterGroups": groups([]map[string]any{f("amount", "HAS_PROPERTY", "x")})},
		"bad number":           {"filterGroups": groups([]map[string]any{f("amount", "GT", "ten")})},
		"bad datetime":         {"filterGroups": groups([]map[string]any{f("closedate", "GT", "yesterday")})},
		"limit 201":            {"limit": 201},
		"limit 0":              {"limit": 0},
		"after not a number":   {"after": "abc"},
		"after past the cap":   {"after": "10000"},
		"query too long":       {"query": strings.Repeat("x", 3001)},
		"stringified sort":     {"sorts": []string{`{"propertyName":"amount","direction":"ASCENDING"}`}},
		"bad direction":        {"sorts": []map[string]string{{"propertyName": "amount", "direction": "UP"}}},
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			wantError(t, post(t, s, path, body), http.StatusBadRequest, "VALIDATION_ERROR")
		})
	}
	ok := map[string]searchBody{
		"5 groups":     {"filterGroups": groups(many(1), many(1), many(1), many(1), many(1))},
		"18 filters":   {"filterGroups": groups(many(6), many(6), many(6))},
		"limit string": {"limit": "200", "after": 0},
	}
	for name, body := range ok {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, post(t, s, path, body), http.StatusOK)
		})
	}
}

func TestSearchPagingAndTenThousandCap(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	const n = 10_050
	ids := s.CreateMany(Deals, n, func(i int) Props { return Props{"amount": strconv.Itoa(i)} })

	res := search(t, s, "deals", searchBody{})
	if len(res.Results) != 10 || res.Total != n || res.Paging == nil || res.Paging.Next.After != "10" {
		t.Fatalf("default page: %d results, total %d, paging %+v", len(res.Results), res.Total, res.Paging)
	}
	var seen []string
	after := "0"
	for pages := 0; ; pages++ {
		r := post(t, s, "/crm/v3/objects/deals/search", searchBody{"limit": 200, "after": after})
		if after == "10000" {
			wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
			break
		}
		wantStatus(t, r, http.StatusOK)
		var page searchResult
		r.decode(t, &page)
		if page.Total != n {
			t.Fatalf("total %d on page %d", page.Total, pages)
		}
		seen = append(seen, page.ids()...)
		if page.Paging == nil {
			t.Fatalf("paging ended early at %d results", len(seen))
		}
		after = page.Paging.Next.After
	}
	if len(seen) != 10_000 || !slices.Equal(seen, ids[:10_000]) {
		t.Errorf("offset paging reached %d records, want the first 10000 in creation order", len(seen))
	}

	// A page straddling the cap is cut at 10,000.
	r := post(t, s, "/crm/v3/objects/deals/search", searchBody{"limit": 200, "after": 9900})
	var page searchResult
	r.decode(t, &page)
	if len(page.Results) != 100 || page.Paging == nil || page.Paging.Next.After != "10000" {
		t.Errorf("straddling page: %d results, paging %+v", len(page.Results), page.Paging)
	}

	// The last page of a small result has no paging.
	res = search(t, s, "deals", searchBody{"filterGroups": groups([]map[string]any{f("amount", "LT", "15")}), "limit": 10, "after": "10"})
	if len(res.Results) != 5 || res.Paging != nil || res.Total != 15 {
		t.Errorf("last page: %d results, paging %+v, total %d", len(res.Results), res.Paging, res.Total)
	}
}

func TestSearchKeysetPastCapWithTimestampTies(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	const n = 10_050
	ids := s.CreateMany(Deals, n, func(int) Props { return nil })
	stamp := time.Date(2024, 5, 31, 23, 59, 59, 0, time.UTC)
	s.BulkStamp(Deals, ids, stamp)

	var got []string
	last := "0"
	calls := 0
	for {
		calls++
		res := search(t, s, "deals", searchBody{
			"filterGroups": groups([]map[string]any{
				f("hs_lastmodifieddate", "GTE", strconv.FormatInt(stamp.UnixMilli(), 10)),
				f("hs_lastmodifieddate", "LTE", stamp.Format(time.RFC3339)),
				f("hs_object_id", "GT", last),
			}),
			"sorts": []map[string]string{{"propertyName": "hs_object_id", "direction": "ASCENDING"}},
			"limit": 200, "after": "0",
		})
		got = append(got, res.ids()...)
		if res.Paging == nil {
			break
		}
		last = res.Results[len(res.Results)-1].ID
	}
	if !slices.Equal(got, ids) {
		t.Errorf("keyset walk returned %d records, want all %d in ID order", len(got), n)
	}
	if calls != 51 {
		t.Errorf("calls %d, want 51", calls)
	}
}

func TestSearchHsObjectIDComparesNumerically(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	s.CreateWithID(Deals, "9", nil)
	s.CreateWithID(Deals, "10", nil)
	s.CreateWithID(Deals, "100", nil)
	res := search(t, s, "deals", searchBody{"filterGroups": groups([]map[string]any{f("hs_object_id", "GTE", "9")}),
		"sorts": []map[string]string{{"propertyName": "hs_object_id", "direction": "ASCENDING"}}})
	if got := res.ids(); !slices.Equal(got, []string{"9", "10", "100"}) {
		t.Errorf("got %v", got)
	}
	res = search(t, s, "deals", searchBody{"filterGroups": groups([]map[string]any{f("hs_object_id", "GT", "9")}),
		"sorts": []string{"-hs_object_id"}})
	if got := res.ids(); !slices.Equal(got, []string{"100", "10"}) {
		t.Errorf("descending string sort: got %v", got)
	}
}

func TestSearchSorts(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	a := s.CreateDeal(Props{"createdate": base.Add(2 * time.Hour), "hs_lastmodifieddate": base.Add(time.Hour), "amount": "5"})
	b := s.CreateDeal(Props{"createdate": base, "hs_lastmodifieddate": base.Add(3 * time.Hour), "amount": "40"})
	c := s.CreateDeal(Props{"createdate": base.Add(time.Hour), "hs_lastmodifieddate": base.Add(2 * time.Hour)})
	cases := []struct {
		sorts any
		want  []string
	}{
		{nil, []string{b, c, a}}, // creation order
		{[]map[string]string{{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}}, []string{a, c, b}},
		{[]map[string]string{{"propertyName": "hs_lastmodifieddate", "direction": "DESCENDING"}}, []string{b, c, a}},
		{[]string{"-createdate"}, []string{a, c, b}},
		{[]string{"amount"}, []string{a, b, c}},                                                              // numeric, unset last
		{[]string{"-amount"}, []string{b, a, c}},                                                             // unset last in both directions
		{[]map[string]string{{"propertyName": "amount"}, {"propertyName": "createdate"}}, []string{a, b, c}}, // only the first sort applies
	}
	for i, tc := range cases {
		body := searchBody{}
		if tc.sorts != nil {
			body["sorts"] = tc.sorts
		}
		if got := search(t, s, "deals", body).ids(); !slices.Equal(got, tc.want) {
			t.Errorf("case %d: got %v, want %v", i, got, tc.want)
		}
	}
}

func TestSearchExcludesArchivedAndMerged(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	a := s.CreateDeal(nil)
	b := s.CreateDeal(nil)
	c1 := s.CreateContact(nil)
	c2 := s.CreateContact(nil)
	s.Archive(Deals, a)
	s.MergeContacts(c1, c2)
	if got := search(t, s, "deals", searchBody{}).ids(); !slices.Equal(got, []string{b}) {
		t.Errorf("deals %v", got)
	}
	if got := search(t, s, "contacts", searchBody{}).ids(); !slices.Equal(got, []string{c1}) {
		t.Errorf("contacts %v", got)
	}
	archived, _ := s.Get(Deals, a)
	if !archived.Archived || archived.ArchivedAt.IsZero() {
		t.Errorf("archive state %+v", archived)
	}
	s.Advance(time.Minute)
	s.Unarchive(Deals, a)
	if got := search(t, s, "deals", searchBody{}).Total; got != 2 {
		t.Errorf("after unarchive total %d", got)
	}
	if restored, _ := s.Get(Deals, a); restored.Archived || !restored.UpdatedAt.Equal(s.Now()) {
		t.Errorf("unarchive must clear the flag and bump the modified date: %+v", restored)
	}
}

func TestSearchVisibilityLag(t *testing.T) {
	s := newServer(t, noLimits(Options{SearchLag: 30 * time.Second}))
	id := s.CreateDeal(Props{"amount": "1"})
	if got := search(t, s, "deals", searchBody{}).Total; got != 0 {
		t.Fatalf("fresh record visible: total %d", got)
	}
	wantStatus(t, get(t, s, "/crm/v3/objects/deals/"+id), http.StatusOK) // reads are not lagged
	s.Advance(30 * time.Second)
	res := search(t, s, "deals", searchBody{"properties": []string{"amount"}})
	if res.Total != 1 || *res.Results[0].Properties["amount"] != "1" {
		t.Fatalf("after lag: %+v", res)
	}
	s.Advance(time.Second)
	s.Update(Deals, id, Props{"amount": "2"})
	// Within the lag the index still serves the old version, old modified date
	// included, so a window on the new modified date misses it.
	res = search(t, s, "deals", searchBody{"properties": []string{"amount"}})
	if *res.Results[0].Properties["amount"] != "1" {
		t.Errorf("updated value visible too early")
	}
	window := searchBody{"filterGroups": groups([]map[string]any{f("hs_lastmodifieddate", "GTE", s.Now().Format(time.RFC3339))})}
	if got := search(t, s, "deals", window).Total; got != 0 {
		t.Errorf("modified window matched a lagging update")
	}
	s.Advance(29 * time.Second)
	if got := search(t, s, "deals", window).Total; got != 0 {
		t.Errorf("visible 1 s too early")
	}
	s.Advance(time.Second)
	if got := search(t, s, "deals", window).Total; got != 1 {
		t.Errorf("not visible after the lag")
	}
	// Archiving is lagged too.
	s.Archive(Deals, id)
	if got := search(t, s, "deals", searchBody{}).Total; got != 1 {
		t.Errorf("archive visible immediately")
	}
	s.Advance(30 * time.Second)
	if got := search(t, s, "deals", searchBody{}).Total; got != 0 {
		t.Errorf("archive not visible after the lag")
	}
}

func TestSearchSecondlyLimit(t *testing.T) {
	s := newServer(t, Options{})
	for i := range 5 {
		r := post(t, s, "/crm/v3/objects/deals/search", searchBody{})
		wantStatus(t, r, http.StatusOK)
		if h := r.header.Get("X-HubSpot-RateLimit-Remaining"); h != "" {
			t.Errorf("search %d carries rate-limit headers", i)
		}
	}
	r := post(t, s, "/crm/v3/objects/deals/search", searchBody{})
	m := wantError(t, r, http.StatusTooManyRequests, "")
	if m["message"] != "You have reached your secondly limit." || m["errorType"] != "RATE_LIMIT" {
		t.Errorf("body %v", m)
	}
	if _, has := m["policyName"]; has {
		t.Errorf("search 429 carries a policyName: %v", m)
	}
	for k := range r.header {
		if strings.HasPrefix(k, "X-Hubspot-Ratelimit") || k == "Retry-After" {
			t.Errorf("search 429 header %s", k)
		}
	}
	s.Advance(999 * time.Millisecond)
	wantStatus(t, post(t, s, "/crm/v3/objects/deals/search", searchBody{}), http.StatusTooManyRequests)
	s.Advance(time.Millisecond)
	wantStatus(t, post(t, s, "/crm/v3/objects/deals/search", searchBody{}), http.StatusOK)
	if got := s.Calls(RouteSearch); got != 8 {
		t.Errorf("search calls %d", got)
	}
}

func TestSearchContactsModifiedProperty(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	s.CreateContact(Props{"email": "a@example.com"})
	if got := search(t, s, "contacts", searchBody{"filterGroups": groups([]map[string]any{f("hs_lastmodifieddate", "GTE", "0")})}).Total; got != 0 {
		t.Errorf("hs_lastmodifieddate on contacts matched %d", got)
	}
	if got := search(t, s, "contacts", searchBody{"filterGroups": groups([]map[string]any{f("lastmodifieddate", "GTE", "0")})}).Total; got != 1 {
		t.Errorf("lastmodifieddate on contacts matched %d", got)
	}
}

func TestSearchRecordTouchedMidPagingShiftsOffsets(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 30 {
		ids = append(ids, s.CreateDeal(Props{"hs_lastmodifieddate": base.Add(time.Duration(i) * time.Minute)}))
	}
	s.SetNow(base.Add(time.Hour))
	// Before the second page is served, a record of page one is touched and
	// moves to the end of a modified-date sort.
	s.OnRequest(RouteSearch, func(n int) {
		if n == 2 {
			s.Touch(Deals, ids[4])
		}
	})
	body := func(after string) searchBody {
		return searchBody{"sorts": []string{"hs_lastmodifieddate"}, "limit": 10, "after": after}
	}
	var got []string
	after := "0"
	for {
		res := search(t, s, "deals", body(after))
		got = append(got, res.ids()...)
		if res.Paging == nil {
			break
		}
		after = res.Paging.Next.After
	}
	if len(got) != 30 {
		t.Fatalf("got %d records", len(got))
	}
	if slices.Contains(got, ids[10]) {
		t.Errorf("record at the page boundary should have been skipped")
	}
	if n := len(slices.DeleteFunc(slices.Clone(got), func(id string) bool { return id != ids[4] })); n != 2 {
		t.Errorf("touched record seen %d times, want 2 (duplicate across pages)", n)
	}
}

func TestSearchAssociationFilterAndQuery(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	d1 := s.CreateDeal(Props{"dealname": "Big renewal"})
	d2 := s.CreateDeal(Props{"dealname": "Small"})
	c := s.CreateContact(nil)
	s.AssociateDealContact(d1, c)
	res := search(t, s, "deals", searchBody{"filterGroups": groups([]map[string]any{f("associations.contact", "EQ", c)})})
	if got := res.ids(); !slices.Equal(got, []string{d1}) {
		t.Errorf("associations filter %v", got)
	}
	res = search(t, s, "deals", searchBody{"query": "RENEW"})
	if got := res.ids(); !slices.Equal(got, []string{d1}) {
		t.Errorf("query %v", got)
	}
	s.Dissociate(Deals, d1, Contacts, c)
	// The same query again: association writes must invalidate cached matches.
	if got := search(t, s, "deals", searchBody{"filterGroups": groups([]map[string]any{f("associations.contact", "EQ", c)})}).Total; got != 0 {
		t.Errorf("stale associations filter after dissociate: %d", got)
	}
	res = search(t, s, "deals", searchBody{"filterGroups": groups([]map[string]any{f("associations.contact", "NOT_HAS_PROPERTY", nil)})})
	if got := res.ids(); !slices.Equal(got, []string{d1, d2}) {
		t.Errorf("after dissociate %v", got)
	}
}

func TestSearchCacheSeesWrites(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	a := s.CreateDeal(Props{"amount": "1"})
	body := searchBody{"filterGroups": groups([]map[string]any{f("amount", "EQ", "2")})}
	if got := search(t, s, "deals", body).Total; got != 0 {
		t.Fatalf("total %d", got)
	}
	s.Update(Deals, a, Props{"amount": "2"})
	if got := search(t, s, "deals", body).Total; got != 1 {
		t.Errorf("cached result survived a write: total %d", got)
	}
}

func TestSearchIDRangeFilters(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	var ids []string
	for i := range 10 {
		ids = append(ids, s.CreateDeal(Props{"amount": strconv.Itoa(i % 2)}))
	}
	id := func(i int) string { return ids[i] }
	cases := []struct {
		name string
		body searchBody
		want []string
	}{
		{"GT with another filter, creation order", searchBody{"filterGroups": groups([]map[string]any{
			f("hs_object_id", "GT", id(5)), f("amount", "EQ", "1")})}, []string{id(7), id(9)}},
		{"LT and GTE", searchBody{"filterGroups": groups([]map[string]any{
			f("hs_object_id", "GTE", id(2)), f("hs_object_id", "LT", id(4))})}, []string{id(2), id(3)}},
		{"BETWEEN descending", searchBody{"filterGroups": groups([]map[string]any{
			{"propertyName": "hs_object_id", "operator": "BETWEEN", "value": id(1), "highValue": id(3)}}),
			"sorts": []string{"-hs_object_id"}}, []string{id(3), id(2), id(1)}},
		{"EQ", searchBody{"filterGroups": groups([]map[string]any{f("hs_object_id", "EQ", id(8))})}, []string{id(8)}},
		{"two groups with bounds", searchBody{"filterGroups": groups(
			[]map[string]any{f("hs_object_id", "GT", id(7))},
			[]map[string]any{f("hs_object_id", "EQ", id(3))})}, []string{id(3), id(8), id(9)}},
		{"keyset with offset", searchBody{"filterGroups": groups([]map[string]any{f("hs_object_id", "GT", id(2))}),
			"sorts": []string{"hs_object_id"}, "limit": 2, "after": "2"}, []string{id(5), id(6)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := search(t, s, "deals", tc.body)
			if got := res.ids(); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	res := search(t, s, "deals", searchBody{"filterGroups": groups([]map[string]any{f("hs_object_id", "GT", id(2))}),
		"sorts": []string{"hs_object_id"}, "limit": 2, "after": "2"})
	if res.Total != 7 || res.Paging == nil || res.Paging.Next.After != "4" {
		t.Errorf("keyset total %d paging %+v", res.Total, res.Paging)
	}
}

func TestSearchSortPutsUnsetLast(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	unset := s.CreateDeal(nil)
	two := s.CreateDeal(Props{"amount": "2"})
	empty := s.CreateDeal(Props{"amount": ""})
	one := s.CreateDeal(Props{"amount": "1"})
	for _, srt := range []string{"amount", "-amount"} {
		got := search(t, s, "deals", searchBody{"sorts": []string{srt}}).ids()
		want := []string{one, two, unset, empty}
		if srt == "-amount" {
			want = []string{two, one, unset, empty}
		}
		if !slices.Equal(got, want) {
			t.Errorf("sort %s: got %v, want %v", srt, got, want)
		}
	}
}
