package hubspottest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBothPathFamiliesAndAliasesReachTheSameRecord(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	id := s.CreateDeal(Props{"dealname": "ACME", "amount": "10"})
	for _, p := range []string{
		"/crm/v3/objects/deals/" + id,
		"/crm/v3/objects/deal/" + id,
		"/crm/v3/objects/0-3/" + id,
		"/crm/objects/2026-03/deals/" + id,
		"/crm/objects/2026-03/0-3/" + id,
	} {
		r := get(t, s, p)
		wantStatus(t, r, http.StatusOK)
		if m := r.obj(t); m["id"] != id {
			t.Errorf("%s: id %v, want %s", p, m["id"], id)
		}
	}
	for _, p := range []string{"/crm/v3/properties/contacts/email", "/crm/properties/2026-03/0-1/email"} {
		wantStatus(t, get(t, s, p), http.StatusOK)
	}
	oid := s.CreateOrder(Props{"hs_total_price": "5"})
	for _, p := range []string{"/crm/v3/objects/orders/" + oid, "/crm/v3/objects/order/" + oid, "/crm/objects/2026-03/0-123/" + oid} {
		wantStatus(t, get(t, s, p), http.StatusOK)
	}
	cid := s.CreateContact(Props{"email": "a@example.com"})
	s.AssociateDealContact(id, cid)
	for _, p := range []string{"/crm/v4/associations/deals/contacts/batch/read", "/crm/associations/2026-03/0-3/0-1/batch/read"} {
		r := post(t, s, p, map[string]any{"inputs": []map[string]string{{"id": id}}})
		wantStatus(t, r, http.StatusOK)
	}
	if got := s.Calls(RouteRead); got != 8 {
		t.Errorf("read calls %d, want 8", got)
	}
	if got := s.Calls(RouteProperties); got != 2 {
		t.Errorf("properties calls %d, want 2", got)
	}
	if got := s.Calls(RouteAssociations); got != 2 {
		t.Errorf("association calls %d, want 2", got)
	}
}

func TestUnknownObjectTypeIs400(t *testing.T) {
	s := newServer(t, Options{})
	r := get(t, s, "/crm/v3/objects/widgets")
	wantError(t, r, http.StatusBadRequest, "")
	if !strings.Contains(string(r.body), "Unable to infer object type from: widgets") {
		t.Errorf("body %s", r.body)
	}
}

func TestUnknownRouteIsHTML404(t *testing.T) {
	s := newServer(t, Options{})
	r := get(t, s, "/crm/v9/nothing/here")
	wantStatus(t, r, http.StatusNotFound)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q, want HTML", ct)
	}
	if got := s.Calls(RouteOther); got != 1 {
		t.Errorf("other calls %d", got)
	}
}

func TestUnsupportedMethodIs405(t *testing.T) {
	s := newServer(t, Options{})
	r := call(t, s, req{method: http.MethodDelete, path: "/crm/v3/objects/deals/1"})
	wantStatus(t, r, http.StatusMethodNotAllowed)
}

func TestRequestBodyValidation(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	path := "/crm/v3/objects/deals/search"
	r := call(t, s, req{path: path, body: `{"limit":1}`, ctype: "text/plain"})
	wantError(t, r, http.StatusUnsupportedMediaType, "")

	r = call(t, s, req{path: path, body: "{\n\"limit\": 1,,}"})
	m := wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	if msg := m["message"].(string); !strings.HasPrefix(msg, "Invalid input JSON on line 2, column") {
		t.Errorf("message %q", msg)
	}
	r = call(t, s, req{path: path, body: ""})
	wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	r = call(t, s, req{path: path, body: `{"filterGroups":"nope"}`})
	wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	// charset parameters are fine.
	r = call(t, s, req{path: path, body: `{}`, ctype: "application/json; charset=utf-8"})
	wantStatus(t, r, http.StatusOK)
}

func TestTimestampsDropZeroMilliseconds(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	whole := s.CreateDeal(Props{"createdate": time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC),
		"hs_lastmodifieddate": "2026-06-15T00:00:01.500Z", "closedate": "1717200000000"})
	m := get(t, s, "/crm/v3/objects/deals/"+whole+"?properties=closedate").obj(t)
	if m["createdAt"] != "2026-06-15T00:00:00Z" {
		t.Errorf("createdAt %v", m["createdAt"])
	}
	if m["updatedAt"] != "2026-06-15T00:00:01.500Z" {
		t.Errorf("updatedAt %v", m["updatedAt"])
	}
	props := m["properties"].(map[string]any)
	if props["closedate"] != "2024-06-01T00:00:00Z" {
		t.Errorf("closedate from epoch ms: %v", props["closedate"])
	}
	if props["createdate"] != m["createdAt"] || props["hs_lastmodifieddate"] != m["updatedAt"] || props["hs_object_id"] != whole {
		t.Errorf("mirrored properties %v vs %v", props, m)
	}
}

func TestLongURLIs414HTML(t *testing.T) {
	s := newServer(t, noLimits(Options{MaxURLLength: 200}))
	r := get(t, s, "/crm/v3/objects/deals?properties="+strings.Repeat("amount,", 40))
	wantStatus(t, r, http.StatusRequestURITooLong)
	if !strings.Contains(string(r.body), "<html>") {
		t.Errorf("body %s", r.body)
	}
}

func TestCalculatedDealProperties(t *testing.T) {
	s := newServer(t, noLimits(Options{
		WonStages:     map[string][]string{"default": {"closedwon"}, "777": {"326093516"}},
		ExchangeRates: map[string]string{"EUR": "1.1"},
	}))
	won := s.CreateDeal(Props{"dealstage": "closedwon", "amount": "1500.00"})
	custom := s.CreateDeal(Props{"pipeline": "777", "dealstage": "326093516", "amount": "100", "deal_currency_code": "EUR"})
	open := s.CreateDeal(Props{"dealstage": "contractsent", "amount": nil})
	empty := s.CreateDeal(Props{"dealstage": "closedlost", "amount": ""})
	check := func(id, prop string, want *string) {
		t.Helper()
		r, _ := s.Get(Deals, id)
		got := r.Properties[prop]
		switch {
		case want == nil && got != nil:
			t.Errorf("%s %s = %q, want null", id, prop, *got)
		case want != nil && (got == nil || *got != *want):
			t.Errorf("%s %s = %v, want %q", id, prop, got, *want)
		}
	}
	str := func(s string) *string { return &s }
	check(won, "hs_is_closed_won", str("true"))
	check(won, "hs_is_closed", str("true"))
	check(won, "amount_in_home_currency", str("1500.00"))
	check(won, "hs_closed_amount", str("1500.00"))
	check(custom, "hs_is_closed_won", str("true"))
	check(custom, "amount_in_home_currency", str("110"))
	check(open, "hs_is_closed_won", str("false"))
	check(open, "hs_is_closed", str("false"))
	check(open, "amount", nil)
	check(open, "amount_in_home_currency", nil)
	check(empty, "amount", str(""))
	check(empty, "amount_in_home_currency", str(""))
	check(empty, "hs_is_closed_lost", str("true"))
	check(empty, "hs_is_closed", str("true"))

	// The wire keeps null and "" apart.
	m := get(t, s, "/crm/v3/objects/deals/"+open+"?properties=amount").obj(t)
	if v, ok := m["properties"].(map[string]any)["amount"]; !ok || v != nil {
		t.Errorf("null amount on the wire: %v %v", v, ok)
	}
	m = get(t, s, "/crm/v3/objects/deals/"+empty+"?properties=amount").obj(t)
	if v := m["properties"].(map[string]any)["amount"]; v != "" {
		t.Errorf("empty amount on the wire: %v", v)
	}

	// Moving a deal to a won stage recomputes and bumps the modified date.
	before, _ := s.Get(Deals, open)
	s.Advance(time.Minute)
	s.Update(Deals, open, Props{"dealstage": "closedwon", "amount": "7"})
	after, _ := s.Get(Deals, open)
	check(open, "hs_is_closed_won", str("true"))
	if !after.UpdatedAt.Equal(before.UpdatedAt.Add(time.Minute)) {
		t.Errorf("modified %v -> %v", before.UpdatedAt, after.UpdatedAt)
	}
}

func TestOrdersCalculatedFlags(t *testing.T) {
	s := newServer(t, Options{})
	o := s.CreateOrder(Props{"hs_pipeline_stage": OrderStageShipped})
	c := s.CreateOrder(Props{"hs_pipeline_stage": OrderStageCancelled})
	if v, _ := s.Value(Orders, o, "hs_is_closed"); v != "true" {
		t.Errorf("shipped order closed = %q", v)
	}
	if v, _ := s.Value(Orders, c, "hs_is_canceled"); v != "true" {
		t.Errorf("cancelled order canceled = %q", v)
	}
	if _, ok := s.Value(Orders, o, "hs_closed_date"); !ok {
		t.Error("hs_closed_date not set on a shipped order")
	}
}

func TestContactsUseLastModifiedDate(t *testing.T) {
	s := newServer(t, Options{})
	id := s.CreateContact(Props{"email": "x@example.com"})
	r, _ := s.Get(Contacts, id)
	if r.Properties["lastmodifieddate"] == nil {
		t.Fatal("lastmodifieddate missing")
	}
	if r.Properties["hs_lastmodifieddate"] != nil {
		t.Errorf("contacts must not populate hs_lastmodifieddate")
	}
}

func TestIDsOverlapAcrossTypesAndExceed32Bits(t *testing.T) {
	s := newServer(t, Options{})
	d := s.CreateDeal(nil)
	c := s.CreateContact(nil)
	if d != c {
		t.Errorf("deal %s and contact %s: IDs should overlap across types", d, c)
	}
	if len(d) < 11 {
		t.Errorf("ID %s should exceed 2^31", d)
	}
}

func TestSeedingPanicsOnMisuse(t *testing.T) {
	s := newServer(t, Options{})
	for name, fn := range map[string]func(){
		"unknown type":   func() { s.Create("widgets", nil) },
		"unknown record": func() { s.Update(Deals, "1", nil) },
		"bad value":      func() { s.CreateDeal(Props{"amount": struct{}{}}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}
