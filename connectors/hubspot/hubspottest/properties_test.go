package hubspottest

import (
	"net/http"
	"testing"
)

func segmentProperty() map[string]any {
	return map[string]any{"name": "rfm_segment", "label": "RFM segment", "groupName": "rfm",
		"type": "enumeration", "fieldType": "select",
		"options": []map[string]any{
			{"label": "Champions", "value": "champions", "displayOrder": 1, "hidden": false},
			{"label": "At risk", "value": "at_risk", "displayOrder": 2, "hidden": false},
		}}
}

func TestPropertyGroups(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	r := post(t, s, "/crm/v3/properties/contacts/groups", map[string]any{"name": "rfm", "label": "RFM scores", "displayOrder": -1})
	wantStatus(t, r, http.StatusCreated)
	if loc := r.header.Get("Location"); loc != s.URL()+"/crm/v3/properties/contacts/groups/rfm" {
		t.Errorf("Location %q", loc)
	}
	if m := r.obj(t); m["name"] != "rfm" || m["archived"] != false {
		t.Errorf("body %v", m)
	}
	r = post(t, s, "/crm/properties/2026-03/contacts/groups", map[string]any{"name": "rfm", "label": "again"})
	wantError(t, r, http.StatusConflict, "OBJECT_ALREADY_EXISTS")
	wantError(t, post(t, s, "/crm/v3/properties/contacts/groups", map[string]any{"name": "x"}), http.StatusBadRequest, "VALIDATION_ERROR")
	wantStatus(t, get(t, s, "/crm/v3/properties/contacts/groups/rfm"), http.StatusOK)
	wantError(t, get(t, s, "/crm/v3/properties/contacts/groups/nope"), http.StatusNotFound, "OBJECT_NOT_FOUND")
	m := get(t, s, "/crm/v3/properties/contacts/groups").obj(t)
	if n := len(m["results"].([]any)); n != 2 {
		t.Errorf("groups %d, want builtin + rfm", n)
	}
	if _, ok := s.Group(Contacts, "rfm"); !ok {
		t.Error("Group lookup failed")
	}
}

func TestPropertyCreateReadPatch(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	s.DefineGroup(Contacts, PropertyGroup{Name: "rfm", Label: "RFM"})
	r := post(t, s, "/crm/v3/properties/contacts", segmentProperty())
	wantStatus(t, r, http.StatusCreated)
	if loc := r.header.Get("Location"); loc != s.URL()+"/crm/v3/properties/contacts/rfm_segment" {
		t.Errorf("Location %q", loc)
	}
	m := r.obj(t)
	if m["hubspotDefined"] != false || m["type"] != "enumeration" || len(m["options"].([]any)) != 2 {
		t.Errorf("created %v", m)
	}
	mm := m["modificationMetadata"].(map[string]any)
	if mm["readOnlyValue"] != false || mm["archivable"] != true {
		t.Errorf("modificationMetadata %v", mm)
	}
	wantError(t, post(t, s, "/crm/v3/properties/contacts", segmentProperty()), http.StatusConflict, "OBJECT_ALREADY_EXISTS")
	wantError(t, post(t, s, "/crm/v3/properties/contacts", map[string]any{"name": "email", "label": "e", "groupName": "rfm", "type": "string", "fieldType": "text"}),
		http.StatusConflict, "OBJECT_ALREADY_EXISTS")

	num := map[string]any{"name": "rfm_score", "label": "RFM", "groupName": "rfm", "type": "number", "fieldType": "number"}
	r = post(t, s, "/crm/v3/properties/contacts", num)
	wantStatus(t, r, http.StatusCreated)
	if opts := r.obj(t)["options"].([]any); len(opts) != 0 {
		t.Errorf("non-enumeration options %v", opts)
	}

	bad := map[string]map[string]any{
		"enum without options": {"name": "a1", "label": "a", "groupName": "rfm", "type": "enumeration", "fieldType": "select"},
		"bad fieldType":        {"name": "a2", "label": "a", "groupName": "rfm", "type": "number", "fieldType": "text"},
		"bad type":             {"name": "a3", "label": "a", "groupName": "rfm", "type": "integer", "fieldType": "number"},
		"unknown group":        {"name": "a4", "label": "a", "groupName": "nope", "type": "string", "fieldType": "text"},
		"missing label":        {"name": "a5", "groupName": "rfm", "type": "string", "fieldType": "text"},
		"upper-case name":      {"name": "RFM", "label": "a", "groupName": "rfm", "type": "string", "fieldType": "text"},
		"datetime as text":     {"name": "a6", "label": "a", "groupName": "rfm", "type": "datetime", "fieldType": "text"},
	}
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			wantError(t, post(t, s, "/crm/v3/properties/contacts", body), http.StatusBadRequest, "VALIDATION_ERROR")
		})
	}

	m = get(t, s, "/crm/v3/properties/contacts/rfm_segment").obj(t)
	if m["name"] != "rfm_segment" {
		t.Errorf("get %v", m)
	}
	wantError(t, get(t, s, "/crm/v3/properties/contacts/rfm_nope"), http.StatusNotFound, "OBJECT_NOT_FOUND")
	all := get(t, s, "/crm/v3/properties/contacts").obj(t)["results"].([]any)
	found := false
	for _, p := range all {
		found = found || p.(map[string]any)["name"] == "rfm_score"
	}
	if !found {
		t.Errorf("rfm_score not in the full list")
	}

	// PATCH replaces the whole options list.
	patch := map[string]any{"options": []map[string]any{{"label": "Loyal", "value": "loyal", "displayOrder": 1}}}
	r = call(t, s, req{method: http.MethodPatch, path: "/crm/v3/properties/contacts/rfm_segment", body: patch})
	wantStatus(t, r, http.StatusOK)
	p, _ := s.Property(Contacts, "rfm_segment")
	if len(p.Options) != 1 || p.Options[0].Value != "loyal" || p.Label != "RFM segment" {
		t.Errorf("after patch %+v", p)
	}
	r = call(t, s, req{method: http.MethodPatch, path: "/crm/v3/properties/contacts/rfm_segment", body: map[string]any{"options": []any{}}})
	wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	r = call(t, s, req{method: http.MethodPatch, path: "/crm/v3/properties/contacts/email", body: map[string]any{"label": "x"}})
	wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	r = call(t, s, req{method: http.MethodPatch, path: "/crm/v3/properties/contacts/rfm_nope", body: map[string]any{"label": "x"}})
	wantError(t, r, http.StatusNotFound, "OBJECT_NOT_FOUND")
}

func TestUniquePropertyCap(t *testing.T) {
	s := newServer(t, noLimits(Options{}))
	s.DefineGroup(Companies, PropertyGroup{Name: "g", Label: "g"})
	for i := range 11 {
		body := map[string]any{"name": "u" + string(rune('a'+i)), "label": "u", "groupName": "g",
			"type": "string", "fieldType": "text", "hasUniqueValue": true}
		r := post(t, s, "/crm/v3/properties/companies", body)
		if i < 10 {
			wantStatus(t, r, http.StatusCreated)
		} else {
			wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
		}
	}
}
