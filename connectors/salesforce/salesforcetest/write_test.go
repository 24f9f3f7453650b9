package salesforcetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func patch(t *testing.T, s *Server, tok string, body any) response {
	t.Helper()
	return call(t, req{method: http.MethodPatch, url: s.URL() + v + "/composite/sobjects", token: tok, body: body})
}

func rec(typ, id string, fields map[string]any) map[string]any {
	m := map[string]any{"attributes": map[string]string{"type": typ}, "id": id}
	for k, v := range fields {
		m[k] = v
	}
	return m
}

func rfmFields(s *Server) {
	s.SeedField(Account, FieldSpec{Name: "RFM_Score__c", Label: "RFM Score", Type: "Number", Precision: 3})
	s.SeedField(Account, FieldSpec{Name: "RFM_Segment__c", Label: "RFM Segment", Type: "Picklist", Picklist: []string{"Champions", "Lost"}, Restricted: true})
	s.SeedField(Account, FieldSpec{Name: "RFM_Scored_At__c", Label: "RFM Scored At", Type: "DateTime"})
	s.SeedField(Account, FieldSpec{Name: "RFM_Locked__c", Label: "RFM Locked", Type: "Number", ReadOnly: true})
}

func TestCollectionsUpdatePerRecordResults(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	rfmFields(s)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, s.Create(Account, F{"Name": fmt.Sprint("a", i)}))
	}
	s.Delete(ids[2])
	s.LockRow(ids[3], 1)
	s.SetValidation(func(object, id string, f map[string]any) *RecordError {
		if id == ids[6] {
			return &RecordError{StatusCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message: "Segment must be set when score is present"}
		}
		return nil
	})
	before := s.Get(ids[0])["SystemModstamp"].(time.Time)
	s.Advance(5 * time.Second)
	body := map[string]any{"allOrNone": false, "records": []any{
		rec("Account", ids[0], map[string]any{"RFM_Score__c": 545, "RFM_Segment__c": "Champions", "RFM_Scored_At__c": "2024-06-01T00:00:05.000+0000"}),
		rec("Account", ids[1], map[string]any{"RFM_Segment__c": "At Risk"}),
		rec("Account", ids[2], map[string]any{"RFM_Score__c": 111}),
		rec("Account", ids[3], map[string]any{"RFM_Score__c": 111}),
		rec("Account", ids[4], map[string]any{"Foo__c": 1}),
		rec("Account", ids[5], map[string]any{"RFM_Locked__c": 1}),
		rec("Account", ids[6], map[string]any{"RFM_Score__c": 1000}),
		rec("Account", "001000000000099AAA", map[string]any{"RFM_Score__c": 1}),
		rec("Account", "006000000000001AAA", map[string]any{"RFM_Score__c": 1}),
	}}
	r := patch(t, s, tok, body)
	wantStatus(t, r, 200)
	var res []struct {
		ID      *string       `json:"id"`
		Success bool          `json:"success"`
		Errors  []RecordError `json:"errors"`
	}
	r.decode(t, &res)
	want := []string{"", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "ENTITY_IS_DELETED", "UNABLE_TO_LOCK_ROW", "INVALID_FIELD",
		"INVALID_FIELD_FOR_INSERT_UPDATE", "NUMBER_OUTSIDE_VALID_RANGE", "INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID"}
	if len(res) != len(want) {
		t.Fatalf("%d results for %d records: %s", len(res), len(want), r.body)
	}
	for i, w := range want {
		got := ""
		if !res[i].Success {
			got = res[i].Errors[0].StatusCode
			if res[i].ID != nil {
				t.Errorf("failed result %d carries an id: correlate by index (§4.1)", i)
			}
		}
		if got != w {
			t.Errorf("record %d: %q, want %q", i, got, w)
		}
	}
	if !strings.Contains(string(r.body), `"statusCode"`) || strings.Contains(string(r.body), `"errorCode"`) {
		t.Errorf("per-record errors must use statusCode: %s", r.body)
	}
	if f := res[4].Errors[0].Fields; len(f) != 1 || f[0] != "Foo__c" {
		t.Errorf("INVALID_FIELD names %v", f)
	}
	got := s.Get(ids[0])
	if got["RFM_Score__c"] != Money("545") || got["RFM_Segment__c"] != "Champions" || !got["SystemModstamp"].(time.Time).After(before) {
		t.Errorf("written record %v", got)
	}
	if w := s.Writes(); len(w) != 1 || w[0].ID != ids[0] || w[0].Via != "collections" {
		t.Errorf("write log %+v", w)
	}
	// The locked row succeeds on retry; the validation rule still refuses.
	r = patch(t, s, tok, map[string]any{"records": []any{rec("Account", ids[3], map[string]any{"RFM_Score__c": 111}),
		rec("Account", ids[6], map[string]any{"RFM_Score__c": 11})}})
	r.decode(t, &res)
	if !res[0].Success || res[1].Success || res[1].Errors[0].StatusCode != "FIELD_CUSTOM_VALIDATION_EXCEPTION" {
		t.Errorf("retry: %s", r.body)
	}
	// allOrNone: nothing lands; the good rows are rolled back.
	r = patch(t, s, tok, map[string]any{"allOrNone": true, "records": []any{
		rec("Account", ids[0], map[string]any{"RFM_Score__c": 1}), rec("Account", ids[2], map[string]any{"RFM_Score__c": 1})}})
	r.decode(t, &res)
	if res[0].Success || res[0].Errors[0].StatusCode != "ALL_OR_NONE_OPERATION_ROLLED_BACK" || res[1].Errors[0].StatusCode != "ENTITY_IS_DELETED" {
		t.Errorf("allOrNone: %s", r.body)
	}
	if s.Value(ids[0], "RFM_Score__c") != Money("545") {
		t.Error("allOrNone committed a row")
	}
	// Whole-call refusals.
	var many []any
	for range 201 {
		many = append(many, rec("Account", ids[0], nil))
	}
	wantError(t, patch(t, s, tok, map[string]any{"records": many}), 400, "EXCEEDED_ID_LIMIT")
	wantError(t, patch(t, s, tok, map[string]any{"records": []any{map[string]any{"id": ids[0], "RFM_Score__c": 1}}}), 400, "INVALID_TYPE")
	wantError(t, patch(t, s, tok, map[string]any{"records": []any{rec("Account", ids[0], map[string]any{"RFM_Score__c": "545"})}}), 400, "JSON_PARSER_ERROR")
	wantError(t, patch(t, s, tok, "{not json"), 400, "JSON_PARSER_ERROR")
	r = call(t, req{method: http.MethodPost, url: s.URL() + v + "/composite/sobjects", token: tok, body: map[string]any{}})
	wantError(t, r, 405, "METHOD_NOT_ALLOWED")
	// A Collections call counts once against the allocation.
	used, _ := s.APIUsage()
	if used != len(s.Log())-1 {
		t.Errorf("usage %d for %d calls after the token call", used, len(s.Log())-1)
	}
}

func TestSingleRecordPatchAndGet(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	rfmFields(s)
	a := s.Create(Account, F{"Name": "a"})
	url := s.URL() + v + "/sobjects/Account/" + a
	r := call(t, req{method: http.MethodPatch, url: url, token: tok, body: map[string]any{"RFM_Score__c": 545}})
	wantStatus(t, r, 204)
	if len(r.body) != 0 || r.header.Get("Sforce-Limit-Info") == "" {
		t.Errorf("204 body %q", r.body)
	}
	r = get(t, s, tok, v+"/sobjects/Account/"+a)
	if m := r.obj(t); m["RFM_Score__c"] != 545.0 || m["Name"] != "a" {
		t.Errorf("GET: %s", r.body)
	}
	wantError(t, call(t, req{method: http.MethodPatch, url: s.URL() + v + "/sobjects/Account/001000000000099AAA", token: tok, body: map[string]any{"Name": "x"}}), 404, "NOT_FOUND")
	s.Delete(a)
	wantError(t, call(t, req{method: http.MethodPatch, url: url, token: tok, body: map[string]any{"Name": "x"}}), 404, "ENTITY_IS_DELETED")
	wantError(t, get(t, s, tok, v+"/sobjects/Account/"+a), 404, "ENTITY_IS_DELETED")
}

func TestFieldsEnsureThroughToolingAndPermissionSets(t *testing.T) {
	s := newServer(t, Options{})
	tok := login(t, s)
	a := s.Create(Account, F{"Name": "a"})
	describe := func() map[string]map[string]any {
		r := get(t, s, tok, v+"/sobjects/Account/describe")
		wantStatus(t, r, 200)
		var d struct {
			Name   string           `json:"name"`
			Fields []map[string]any `json:"fields"`
		}
		r.decode(t, &d)
		out := map[string]map[string]any{}
		for _, f := range d.Fields {
			out[f["name"].(string)] = f
		}
		return out
	}
	if _, ok := describe()["RFM_Segment__c"]; ok {
		t.Fatal("field exists before creation")
	}
	create := func(body any) response {
		return call(t, req{method: http.MethodPost, url: s.URL() + v + "/tooling/sobjects/CustomField", token: tok, body: body})
	}
	seg := map[string]any{"FullName": "Account.RFM_Segment__c", "Metadata": map[string]any{"type": "Picklist", "label": "RFM Segment",
		"valueSet": map[string]any{"restricted": true, "valueSetDefinition": map[string]any{"sorted": false, "value": []any{
			map[string]any{"fullName": "Champions", "label": "Champions", "default": false},
			map[string]any{"fullName": "At Risk", "label": "At Risk", "default": false}}}}}}
	r := create(seg)
	wantStatus(t, r, 201)
	if m := r.obj(t); !strings.HasPrefix(m["id"].(string), "00N") || m["success"] != true {
		t.Errorf("create: %s", r.body)
	}
	wantError(t, create(seg), 400, "DUPLICATE_DEVELOPER_NAME")
	wantError(t, create(map[string]any{"FullName": "Account.RFM_Code__c", "Metadata": map[string]any{"type": "Text", "label": "RFM Code"}}), 400, "FIELD_INTEGRITY_EXCEPTION")
	wantError(t, create(map[string]any{"FullName": "Account.RFM_Score__c", "Metadata": map[string]any{"type": "Number", "label": "RFM Score"}}), 400, "FIELD_INTEGRITY_EXCEPTION")
	wantError(t, create(map[string]any{"FullName": "Widget.RFM_Score__c", "Metadata": map[string]any{"type": "Number", "label": "RFM Score", "precision": 3}}), 400, "INVALID_FIELD")
	wantError(t, create(map[string]any{"FullName": "Account.RFM_Score", "Metadata": map[string]any{"type": "Number", "label": "RFM Score", "precision": 3}}), 400, "INVALID_FIELD")
	r = create(map[string]any{"FullName": "Account.RFM_Score__c", "Metadata": map[string]any{"type": "Number", "label": "RFM Score", "precision": 3, "scale": 0}})
	wantStatus(t, r, 201)
	// Invisible until granted (§5.3): describe, SOQL and writes all miss it.
	if _, ok := describe()["RFM_Segment__c"]; ok {
		t.Error("new field visible before FLS")
	}
	wantError(t, runQuery(t, s, tok, "query", "SELECT RFM_Segment__c FROM Account", nil), 400, "INVALID_FIELD")
	var res []collectionResult
	patch(t, s, tok, map[string]any{"records": []any{rec("Account", a, map[string]any{"RFM_Segment__c": "Champions"})}}).decode(t, &res)
	if res[0].Success || res[0].Errors[0].StatusCode != "INVALID_FIELD" {
		t.Errorf("write to a hidden field: %+v", res)
	}
	// The Tooling query finds it by DeveloperName (no __c).
	var q queryResult
	r = call(t, req{method: http.MethodGet, url: s.URL() + v + "/tooling/query?q=SELECT+Id,DeveloperName+FROM+CustomField+WHERE+TableEnumOrId='Account'+AND+DeveloperName='RFM_Segment'", token: tok})
	r.decode(t, &q)
	if q.TotalSize != 1 {
		t.Errorf("tooling query: %s", r.body)
	}
	post := func(obj string, body any) string {
		r := call(t, req{method: http.MethodPost, url: s.URL() + v + "/sobjects/" + obj, token: tok, body: body})
		wantStatus(t, r, 201)
		return r.obj(t)["id"].(string)
	}
	ps := post(PermissionSet, map[string]any{"Name": "RFM_Sync", "Label": "RFM Sync"})
	post(FieldPermissions, map[string]any{"ParentId": ps, "SobjectType": "Account", "Field": "Account.RFM_Segment__c", "PermissionsRead": true, "PermissionsEdit": true})
	wantError(t, call(t, req{method: http.MethodPost, url: s.URL() + v + "/sobjects/FieldPermissions", token: tok,
		body: map[string]any{"ParentId": ps, "SobjectType": "Account", "Field": "Account.RFM_Segment__c", "PermissionsRead": true}}), 400, "DUPLICATE_VALUE")
	if _, ok := describe()["RFM_Segment__c"]; ok {
		t.Error("visible before the permission set is assigned")
	}
	post(PermissionSetAssignment, map[string]any{"AssigneeId": UserID, "PermissionSetId": ps})
	f := describe()["RFM_Segment__c"]
	if f == nil || f["type"] != "picklist" || f["updateable"] != true || f["custom"] != true {
		t.Fatalf("after grant: %v", f)
	}
	b, _ := json.Marshal(f["picklistValues"])
	if !strings.Contains(string(b), `"value":"At Risk"`) {
		t.Errorf("picklist values %s", b)
	}
	patch(t, s, tok, map[string]any{"records": []any{rec("Account", a, map[string]any{"RFM_Segment__c": "Champions"})}}).decode(t, &res)
	if !res[0].Success {
		t.Errorf("write after grant: %+v", res)
	}
	wantError(t, call(t, req{method: http.MethodPost, url: s.URL() + v + "/sobjects/Account", token: tok, body: map[string]any{"Name": "x"}}), 403, "INSUFFICIENT_ACCESS_OR_READONLY")
	if got := s.CustomFields(); len(got) != 2 || got[0] != "Account.RFM_Score__c" || got[1] != "Account.RFM_Segment__c" {
		t.Errorf("custom fields %v", got)
	}
}
