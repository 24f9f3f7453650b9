package hubspottest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

type listResult struct {
	Results []struct {
		ID           string             `json:"id"`
		Properties   map[string]*string `json:"properties"`
		Archived     bool               `json:"archived"`
		ArchivedAt   string             `json:"archivedAt"`
		Associations map[string]struct {
			Results []struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			} `json:"results"`
		} `json:"associations"`
	} `json:"results"`
	Paging *struct {
		Next struct {
			After string `json:"after"`
			Link  string `json:"link"`
		} `json:"next"`
	} `json:"paging"`
	Total *int `json:"total"`
}

func list(t *testing.T, s *Server, path string) listResult {
	t.Helper()
	r := get(t, s, path)
	wantStatus(t, r, http.StatusOK)
	var out listResult
	r.decode(t, &out)
	return out
}

func TestListPagesInIDOrder(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	ids := s.CreateMany(Deals, 250, func(int) Props { return nil })
	s.Archive(Deals, ids[3])
	var got []string
	path := "/crm/v3/objects/deals?limit=100&properties=amount"
	pages := 0
	for {
		res := list(t, s, path)
		pages++
		if res.Total != nil {
			t.Errorf("list must not carry total")
		}
		for _, r := range res.Results {
			got = append(got, r.ID)
			if _, ok := r.Properties["amount"]; !ok {
				t.Errorf("requested amount missing")
			}
		}
		if res.Paging == nil {
			break
		}
		if !strings.Contains(res.Paging.Next.Link, "after="+res.Paging.Next.After) {
			t.Errorf("link %q", res.Paging.Next.Link)
		}
		path = "/crm/v3/objects/deals?limit=100&properties=amount&after=" + res.Paging.Next.After
	}
	want := slices.Delete(slices.Clone(ids), 3, 4)
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("listed %d records in %d pages", len(got), pages)
	}
	res := list(t, s, "/crm/v3/objects/deals")
	if len(res.Results) != 10 {
		t.Errorf("default limit gave %d", len(res.Results))
	}
	wantError(t, get(t, s, "/crm/v3/objects/deals?limit=101"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, get(t, s, "/crm/v3/objects/deals?after=xyz"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantError(t, get(t, s, "/crm/v3/objects/deals?limit=51&propertiesWithHistory=amount"), http.StatusBadRequest, "VALIDATION_ERROR")
	wantStatus(t, get(t, s, "/crm/v3/objects/deals?limit=50&propertiesWithHistory=amount"), http.StatusOK)
}

func TestListArchivedOnly(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	a := s.CreateDeal(nil)
	s.CreateDeal(nil)
	s.Archive(Deals, a)
	res := list(t, s, "/crm/v3/objects/deals?archived=true")
	if len(res.Results) != 1 || res.Results[0].ID != a || !res.Results[0].Archived || res.Results[0].ArchivedAt == "" {
		t.Errorf("archived list %+v", res.Results)
	}
	res = list(t, s, "/crm/v3/objects/deals")
	if len(res.Results) != 1 || res.Results[0].ID == a || res.Results[0].ArchivedAt != "" {
		t.Errorf("default list %+v", res.Results)
	}
	s.Purge(Deals, a)
	if res := list(t, s, "/crm/v3/objects/deals?archived=true"); len(res.Results) != 0 {
		t.Errorf("purged record still listed")
	}
}

func TestListInlineAssociations(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	d := s.CreateDeal(nil)
	c1 := s.CreateContact(nil)
	c2 := s.CreateContact(nil)
	co := s.CreateCompany(nil)
	lonely := s.CreateDeal(nil)
	s.AssociateDealContact(d, c1)
	s.AssociateDealContact(d, c2)
	s.AssociateDealCompany(d, co, true)
	res := list(t, s, "/crm/v3/objects/deals?associations=contacts,companies,widgets")
	got := res.Results[0].Associations
	if n := len(got["contacts"].Results); n != 2 || got["contacts"].Results[0].Type != "deal_to_contact" {
		t.Errorf("contacts %+v", got["contacts"])
	}
	types := []string{}
	for _, r := range got["companies"].Results {
		if r.ID != co {
			t.Errorf("company id %s", r.ID)
		}
		types = append(types, r.Type)
	}
	if !slices.Equal(types, []string{"deal_to_company", "deal_to_company_unlabeled"}) {
		t.Errorf("primary company types %v", types)
	}
	if res.Results[1].ID != lonely || res.Results[1].Associations != nil {
		t.Errorf("deal without associations must omit the block: %+v", res.Results[1])
	}
}

func TestGetOne(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	c := s.CreateContact(Props{"email": "Ann@Example.com", "firstname": "Ann"})
	m := get(t, s, "/crm/v3/objects/contacts/ann@example.com?idProperty=email&properties=firstname").obj(t)
	if m["id"] != c || m["properties"].(map[string]any)["firstname"] != "Ann" {
		t.Errorf("by email: %v", m)
	}
	r := get(t, s, "/crm/v3/objects/contacts/999")
	m = wantError(t, r, http.StatusNotFound, "")
	if m["message"] != "resource not found" {
		t.Errorf("404 body %v", m)
	}
	wantError(t, get(t, s, "/crm/v3/objects/contacts/x?idProperty=firstname"), http.StatusBadRequest, "VALIDATION_ERROR")
	s.Archive(Contacts, c)
	wantStatus(t, get(t, s, "/crm/v3/objects/contacts/"+c), http.StatusNotFound)
	wantStatus(t, get(t, s, "/crm/v3/objects/contacts/"+c+"?archived=true"), http.StatusOK)
	m = get(t, s, "/crm/v3/objects/contacts/"+c+"?archived=true&propertiesWithHistory=firstname").obj(t)
	if h := m["propertiesWithHistory"].(map[string]any)["firstname"].([]any); len(h) != 1 {
		t.Errorf("history %v", h)
	}
}

func TestBatchRead(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	ids := s.CreateMany(Deals, 5, func(int) Props { return Props{"amount": "1"} })
	in := []map[string]string{}
	for _, id := range ids {
		in = append(in, map[string]string{"id": id})
	}
	r := post(t, s, "/crm/v3/objects/deals/batch/read", map[string]any{"inputs": in, "properties": []string{"amount"}})
	wantStatus(t, r, http.StatusOK)
	var ok struct {
		Status  string `json:"status"`
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
		StartedAt string `json:"startedAt"`
	}
	r.decode(t, &ok)
	var got []string
	for _, x := range ok.Results {
		got = append(got, x.ID)
	}
	if ok.Status != "COMPLETE" || ok.StartedAt == "" || slices.Equal(got, ids) {
		t.Errorf("batch read %+v (results must not keep input order)", ok)
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("ids %v", got)
	}

	r = post(t, s, "/crm/v3/objects/deals/batch/read", map[string]any{"inputs": []map[string]string{{"id": ids[0]}, {"id": "42"}}})
	wantStatus(t, r, http.StatusMultiStatus)
	var partial struct {
		NumErrors int `json:"numErrors"`
		Errors    []struct {
			Category string              `json:"category"`
			Message  string              `json:"message"`
			Context  map[string][]string `json:"context"`
		} `json:"errors"`
		Results []any `json:"results"`
	}
	r.decode(t, &partial)
	if partial.NumErrors != 1 || partial.Errors[0].Category != "OBJECT_NOT_FOUND" ||
		!slices.Equal(partial.Errors[0].Context["ids"], []string{"42"}) || len(partial.Results) != 1 ||
		!strings.HasPrefix(partial.Errors[0].Message, "Could not get some DEAL objects") {
		t.Errorf("207 %s", r.body)
	}
	big := make([]map[string]string, 101)
	for i := range big {
		big[i] = map[string]string{"id": ids[0]}
	}
	wantError(t, post(t, s, "/crm/v3/objects/deals/batch/read", map[string]any{"inputs": big}), http.StatusBadRequest, "VALIDATION_ERROR")
}
