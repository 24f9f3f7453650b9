package hubspottest

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

func assocInputs(ids ...string) map[string]any {
	in := make([]map[string]string, len(ids))
	for i, id := range ids {
		in[i] = map[string]string{"id": id}
	}
	return map[string]any{"inputs": in}
}

func TestAssociationBatchReadShapes(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	d1 := s.CreateDeal(nil)
	d2 := s.CreateDeal(nil)
	co := s.CreateCompany(nil)
	s.AssociateDealCompany(d1, co, true)

	r := post(t, s, "/crm/v4/associations/deals/companies/batch/read", assocInputs(d1, d2))
	wantStatus(t, r, http.StatusMultiStatus)
	if h := r.header.Get("X-HubSpot-RateLimit-Remaining"); h != "" {
		t.Errorf("association read carries rate-limit headers")
	}
	m := r.obj(t)
	results := m["results"].([]any)
	if len(results) != 1 || m["status"] != "COMPLETE" || m["numErrors"] != float64(1) {
		t.Fatalf("body %s", r.body)
	}
	res := results[0].(map[string]any)
	if res["from"].(map[string]any)["id"] != d1 {
		t.Errorf("from %v", res["from"])
	}
	to := res["to"].([]any)[0].(map[string]any)
	coID, _ := strconv.ParseFloat(co, 64)
	if to["toObjectId"] != coID {
		t.Errorf("toObjectId must be a JSON number: %#v", to["toObjectId"])
	}
	types := to["associationTypes"].([]any)
	if len(types) != 2 {
		t.Fatalf("types %v", types)
	}
	unl, prim := types[0].(map[string]any), types[1].(map[string]any)
	if unl["category"] != "HUBSPOT_DEFINED" || unl["typeId"] != float64(341) || unl["label"] != nil {
		t.Errorf("unlabeled %v", unl)
	}
	if _, has := unl["label"]; !has {
		t.Errorf("label must be present as null")
	}
	if prim["typeId"] != float64(5) || prim["label"] != "Primary" {
		t.Errorf("primary %v", prim)
	}
	e := m["errors"].([]any)[0].(map[string]any)
	ctx := e["context"].(map[string]any)
	if e["category"] != "OBJECT_NOT_FOUND" || e["subCategory"] != "crm.associations.NO_ASSOCIATIONS_FOUND" ||
		e["message"] != "No company is associated with deal "+d2+"." || e["status"] != "error" ||
		ctx["fromObjectId"].([]any)[0] != d2 || ctx["fromObjectType"].([]any)[0] != "deal" ||
		ctx["toObjectType"].([]any)[0] != "company" {
		t.Errorf("error %v", e)
	}

	wantStatus(t, post(t, s, "/crm/v4/associations/deal/company/batch/read", assocInputs(d1)), http.StatusOK)
	big := make([]string, 1001)
	for i := range big {
		big[i] = d1
	}
	wantError(t, post(t, s, "/crm/v4/associations/deals/companies/batch/read", assocInputs(big...)), http.StatusBadRequest, "VALIDATION_ERROR")
	wantStatus(t, post(t, s, "/crm/v4/associations/deals/companies/batch/read", assocInputs(big[:1000]...)), http.StatusOK)
}

func TestAssociationBatchReadPaging(t *testing.T) {
	s := newServer(t, noLimits(Options{AssociationPageSize: 2}))
	o := s.CreateOrder(nil)
	var want []string
	for range 5 {
		c := s.CreateContact(nil)
		s.AssociateOrderContact(o, c)
		want = append(want, c)
	}
	var got []string
	after := ""
	for pages := 1; ; pages++ {
		in := map[string]string{"id": o}
		if after != "" {
			in["after"] = after
		}
		r := post(t, s, "/crm/v4/associations/orders/contacts/batch/read", map[string]any{"inputs": []any{in}})
		wantStatus(t, r, http.StatusOK)
		var body struct {
			Results []struct {
				To []struct {
					ToObjectID       int64 `json:"toObjectId"`
					AssociationTypes []struct {
						TypeID int `json:"typeId"`
					} `json:"associationTypes"`
				} `json:"to"`
				Paging *struct {
					Next struct {
						After string `json:"after"`
					} `json:"next"`
				} `json:"paging"`
			} `json:"results"`
		}
		r.decode(t, &body)
		for _, x := range body.Results[0].To {
			got = append(got, strconv.FormatInt(x.ToObjectID, 10))
			if x.AssociationTypes[0].TypeID != 507 {
				t.Errorf("order→contact type %d", x.AssociationTypes[0].TypeID)
			}
		}
		if body.Results[0].Paging == nil {
			if pages != 3 {
				t.Errorf("pages %d", pages)
			}
			break
		}
		after = body.Results[0].Paging.Next.After
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged targets %v, want %v", got, want)
	}
	r := post(t, s, "/crm/v4/associations/orders/contacts/batch/read", map[string]any{"inputs": []any{map[string]string{"id": o, "after": "garbage!"}}})
	wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
}

func TestAssociationSingleRecordV4(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	d := s.CreateDeal(nil)
	c := s.CreateContact(nil)
	s.AssociateDealContact(d, c)
	m := get(t, s, "/crm/v4/objects/deals/"+d+"/associations/contacts").obj(t)
	if n := len(m["results"].([]any)); n != 1 {
		t.Errorf("results %v", m)
	}
	// The reverse direction exists with the reverse type ID.
	m = get(t, s, "/crm/v4/objects/contacts/"+c+"/associations/deals").obj(t)
	tp := m["results"].([]any)[0].(map[string]any)["associationTypes"].([]any)[0].(map[string]any)
	if tp["typeId"] != float64(4) {
		t.Errorf("contact→deal type %v", tp)
	}
	wantError(t, get(t, s, "/crm/v4/objects/deals/"+d+"/associations/contacts?limit=501"), http.StatusBadRequest, "VALIDATION_ERROR")
}

func TestAssociationWritesDoNotBumpModified(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	d := s.CreateDeal(nil)
	c := s.CreateContact(nil)
	before, _ := s.Get(Deals, d)
	s.Advance(time.Hour)
	s.AssociateDealContact(d, c)
	s.Dissociate(Deals, d, Contacts, c)
	s.AssociateDealContact(d, c)
	after, _ := s.Get(Deals, d)
	if !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("association bumped modified: %v -> %v", before.UpdatedAt, after.UpdatedAt)
	}
	if got := s.Associations(Deals, d, Contacts); !slices.Equal(got, []string{c}) {
		t.Errorf("associations %v", got)
	}
}

func TestMergeMovesAssociationsAndHidesTheMergedContact(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	d := s.CreateDeal(nil)
	keep := s.CreateContact(nil)
	gone := s.CreateContact(nil)
	s.AssociateDealContact(d, gone)
	s.MergeContacts(keep, gone)
	if got := s.Associations(Deals, d, Contacts); !slices.Equal(got, []string{keep}) {
		t.Errorf("deal contacts after merge %v", got)
	}
	if v, _ := s.Value(Contacts, keep, "hs_merged_object_ids"); v != gone {
		t.Errorf("hs_merged_object_ids %q", v)
	}
	wantStatus(t, get(t, s, "/crm/v3/objects/contacts/"+gone), http.StatusNotFound)
	if r, _ := s.Get(Contacts, gone); r.MergedInto != keep {
		t.Errorf("MergedInto %q", r.MergedInto)
	}
	if slices.Contains(s.IDs(Contacts), gone) {
		t.Errorf("merged contact still listed by IDs")
	}
}

func TestArchivedTargetsAreHidden(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	d := s.CreateDeal(nil)
	c := s.CreateContact(nil)
	s.AssociateDealContact(d, c)
	s.DeleteContact(c)
	wantStatus(t, post(t, s, "/crm/v4/associations/deals/contacts/batch/read", assocInputs(d)), http.StatusMultiStatus)
	s.Unarchive(Contacts, c)
	wantStatus(t, post(t, s, "/crm/v4/associations/deals/contacts/batch/read", assocInputs(d)), http.StatusOK)
}
