package hubspottest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rfmServer has contacts with the RFM properties defined.
func rfmServer(t *testing.T) *Server {
	s := newServer(t, noLimits(Options{}))
	s.DefineGroup(Contacts, PropertyGroup{Name: "rfm", Label: "RFM"})
	s.DefineProperty(Contacts, Property{Name: "rfm_score", Label: "score", Type: "number", FieldType: "number", GroupName: "rfm"})
	s.DefineProperty(Contacts, Property{Name: "rfm_code", Label: "code", Type: "string", FieldType: "text", GroupName: "rfm"})
	s.DefineProperty(Contacts, Property{Name: "rfm_last_computed_at", Label: "at", Type: "datetime", FieldType: "date", GroupName: "rfm"})
	s.DefineProperty(Contacts, Property{Name: "rfm_day", Label: "day", Type: "date", FieldType: "date", GroupName: "rfm"})
	s.DefineProperty(Contacts, Property{Name: "rfm_segment", Label: "segment", Type: "enumeration", FieldType: "select", GroupName: "rfm",
		Options: []Option{{Label: "Champions", Value: "champions"}, {Label: "At risk", Value: "at_risk"}}})
	s.DefineProperty(Contacts, Property{Name: "rfm_tags", Label: "tags", Type: "enumeration", FieldType: "checkbox", GroupName: "rfm",
		Options: []Option{{Label: "A", Value: "a"}, {Label: "B", Value: "b"}, {Label: "C", Value: "c"}}})
	return s
}

type updateIn struct {
	ID         string            `json:"id"`
	IDProperty string            `json:"idProperty,omitempty"`
	TraceID    string            `json:"objectWriteTraceId,omitempty"`
	Properties map[string]string `json:"properties"`
}

func batchUpdate(t *testing.T, s *Server, in []updateIn) response {
	t.Helper()
	return post(t, s, "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": in})
}

func TestBatchUpdateWrites(t *testing.T) {
	s := rfmServer(t)
	ids := s.CreateMany(Contacts, 10, func(i int) Props {
		return Props{"email": "c" + strconv.Itoa(i) + "@example.com", "rfm_code": "old"}
	})
	s.Advance(time.Hour)
	in := make([]updateIn, len(ids))
	for i, id := range ids {
		in[i] = updateIn{ID: id, Properties: map[string]string{"rfm_score": "545", "rfm_segment": "champions",
			"rfm_last_computed_at": "1717200000000", "rfm_code": ""}}
	}
	r := batchUpdate(t, s, in)
	wantStatus(t, r, http.StatusOK)
	var body struct {
		Status  string `json:"status"`
		Results []struct {
			ID         string             `json:"id"`
			Properties map[string]*string `json:"properties"`
		} `json:"results"`
	}
	r.decode(t, &body)
	var got []string
	for _, res := range body.Results {
		got = append(got, res.ID)
		if *res.Properties["rfm_last_computed_at"] != "2024-06-01T00:00:00Z" || *res.Properties["hs_object_id"] != res.ID {
			t.Errorf("result properties %v", res.Properties)
		}
		if _, extra := res.Properties["email"]; extra {
			t.Errorf("result carries unwritten email")
		}
	}
	if slices.Equal(got, ids) {
		t.Errorf("results came back in input order")
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("result ids %v", got)
	}
	for _, id := range ids {
		if v, _ := s.Value(Contacts, id, "rfm_score"); v != "545" {
			t.Errorf("rfm_score %q", v)
		}
		if v, ok := s.Value(Contacts, id, "rfm_code"); !ok || v != "" {
			t.Errorf("empty string must clear: %q %v", v, ok)
		}
		rec, _ := s.Get(Contacts, id)
		if !rec.UpdatedAt.Equal(s.Now()) || *rec.Properties["lastmodifieddate"] != formatTime(s.Now()) {
			t.Errorf("write did not bump lastmodifieddate: %v", rec.UpdatedAt)
		}
	}
	if s.WriteCalls() != 1 || s.RecordWrites() != 10 {
		t.Errorf("write counters %d/%d", s.WriteCalls(), s.RecordWrites())
	}

	// Writing the same values again still bumps the modified date.
	s.Advance(time.Minute)
	wantStatus(t, batchUpdate(t, s, in[:1]), http.StatusOK)
	rec, _ := s.Get(Contacts, ids[0])
	if !rec.UpdatedAt.Equal(s.Now()) {
		t.Errorf("no-op write did not bump modified")
	}

	// Checkbox values append with a leading semicolon.
	wantStatus(t, batchUpdate(t, s, []updateIn{{ID: ids[0], Properties: map[string]string{"rfm_tags": "a"}}}), http.StatusOK)
	wantStatus(t, batchUpdate(t, s, []updateIn{{ID: ids[0], Properties: map[string]string{"rfm_tags": ";b;c", "rfm_day": "2024-06-01"}}}), http.StatusOK)
	if v, _ := s.Value(Contacts, ids[0], "rfm_tags"); v != "a;b;c" {
		t.Errorf("checkbox append %q", v)
	}
	// An empty string clears numbers and enumerations too.
	wantStatus(t, batchUpdate(t, s, []updateIn{{ID: ids[1], Properties: map[string]string{"rfm_score": "", "rfm_segment": ""}}}), http.StatusOK)
	if v, ok := s.Value(Contacts, ids[1], "rfm_score"); !ok || v != "" {
		t.Errorf("cleared rfm_score %q %v", v, ok)
	}
	// By unique property.
	wantStatus(t, batchUpdate(t, s, []updateIn{{ID: "C3@example.com", IDProperty: "email", Properties: map[string]string{"rfm_score": "111"}}}), http.StatusOK)
	if v, _ := s.Value(Contacts, ids[3], "rfm_score"); v != "111" {
		t.Errorf("idProperty email write: %q", v)
	}
}

func TestBatchUpdateWholeBatchValidation(t *testing.T) {
	s := rfmServer(t)
	id := s.CreateContact(Props{"rfm_score": "1"})
	cases := []struct {
		name, prop, value, code string
	}{
		{"non-numeric number", "rfm_score", "5e3", "INVALID_INTEGER"},
		{"unknown option", "rfm_segment", "gold", "INVALID_OPTION"},
		{"option case", "rfm_segment", "Champions", "INVALID_OPTION"},
		{"unknown property", "rfm_typo", "1", "PROPERTY_DOESNT_EXIST"},
		{"read-only", "hs_object_id", "1", "READ_ONLY_VALUE"},
		{"modified date", "lastmodifieddate", "1", "READ_ONLY_VALUE"},
		{"bad datetime", "rfm_last_computed_at", "soon", "INVALID_DATE"},
		{"date not midnight", "rfm_day", "1717243200000", "INVALID_DATE"},
		{"bad email", "email", "not-an-email", "INVALID_EMAIL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := batchUpdate(t, s, []updateIn{
				{ID: id, Properties: map[string]string{"rfm_code": "ok"}},
				{ID: id + "0", Properties: map[string]string{tc.prop: tc.value}},
			})
			m := wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
			msg := m["message"].(string)
			rest, ok := strings.CutPrefix(msg, "Property values were not valid: ")
			if !ok {
				t.Fatalf("message %q", msg)
			}
			var embedded []map[string]any
			if err := json.Unmarshal([]byte(rest), &embedded); err != nil {
				t.Fatalf("embedded JSON %q: %v", rest, err)
			}
			if embedded[0]["error"] != tc.code || embedded[0]["name"] != tc.prop || embedded[0]["isValid"] != false {
				t.Errorf("embedded %v", embedded)
			}
			e := m["errors"].([]any)[0].(map[string]any)
			if e["code"] != tc.code || e["context"].(map[string]any)["propertyName"].([]any)[0] != tc.prop {
				t.Errorf("errors[0] %v", e)
			}
			if v, _ := s.Value(Contacts, id, "rfm_code"); v != "" {
				t.Errorf("a rejected batch wrote %q", v)
			}
		})
	}
	if s.WriteCalls() != 0 {
		t.Errorf("write calls %d", s.WriteCalls())
	}
}

func TestBatchUpdateShapesAndLimits(t *testing.T) {
	s := rfmServer(t)
	id := s.CreateContact(nil)
	big := make([]updateIn, 101)
	for i := range big {
		big[i] = updateIn{ID: strconv.Itoa(i + 1), Properties: map[string]string{"rfm_score": "1"}}
	}
	wantError(t, batchUpdate(t, s, big), http.StatusBadRequest, "VALIDATION_ERROR")
	r := batchUpdate(t, s, []updateIn{{ID: id, Properties: map[string]string{}}, {ID: id, Properties: map[string]string{}}})
	m := wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	if !strings.Contains(m["message"].(string), "Duplicate IDs") {
		t.Errorf("duplicate message %v", m["message"])
	}
	r = batchUpdate(t, s, []updateIn{{ID: "x", IDProperty: "firstname", Properties: map[string]string{}}})
	m = wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	if !strings.Contains(m["message"].(string), "non-unique 0-1 property firstname") {
		t.Errorf("non-unique message %v", m["message"])
	}

	// Unknown IDs: 207 with context ids; traced inputs get their own error.
	r = batchUpdate(t, s, []updateIn{
		{ID: id, Properties: map[string]string{"rfm_score": "2"}},
		{ID: "404", Properties: map[string]string{"rfm_score": "2"}},
		{ID: "405", Properties: map[string]string{"rfm_score": "2"}},
		{ID: "406", TraceID: "trace-6", Properties: map[string]string{"rfm_score": "2"}},
	})
	wantStatus(t, r, http.StatusMultiStatus)
	var partial struct {
		Results   []map[string]any `json:"results"`
		NumErrors int              `json:"numErrors"`
		Errors    []struct {
			Status   string              `json:"status"`
			Category string              `json:"category"`
			Message  string              `json:"message"`
			Context  map[string][]string `json:"context"`
		} `json:"errors"`
	}
	r.decode(t, &partial)
	if len(partial.Results) != 1 || partial.NumErrors != 2 {
		t.Fatalf("207 %s", r.body)
	}
	if e := partial.Errors[0]; e.Category != "OBJECT_NOT_FOUND" || !slices.Equal(e.Context["ids"], []string{"404", "405"}) ||
		!strings.Contains(e.Message, "CONTACT objects") || e.Status != "error" {
		t.Errorf("error %+v", e)
	}
	if e := partial.Errors[1]; !slices.Equal(e.Context["ids"], []string{"406"}) || !slices.Equal(e.Context["objectWriteTraceId"], []string{"trace-6"}) {
		t.Errorf("traced error %+v", e)
	}
	if v, _ := s.Value(Contacts, id, "rfm_score"); v != "2" {
		t.Errorf("found record not written in a 207: %q", v)
	}
	// Numbers may be sent as JSON numbers.
	r = post(t, s, "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": []any{map[string]any{"id": id, "properties": map[string]any{"rfm_score": 545}}}})
	wantStatus(t, r, http.StatusOK)
}

func TestBatchUpdateDropsMergedRecordsSilently(t *testing.T) {
	s := rfmServer(t)
	keep := s.CreateContact(nil)
	gone := s.CreateContact(nil)
	s.MergeContacts(keep, gone)
	r := batchUpdate(t, s, []updateIn{
		{ID: keep, Properties: map[string]string{"rfm_score": "3"}},
		{ID: gone, Properties: map[string]string{"rfm_score": "3"}},
	})
	wantStatus(t, r, http.StatusOK)
	m := r.obj(t)
	if n := len(m["results"].([]any)); n != 1 || m["errors"] != nil {
		t.Errorf("merged record not dropped silently: %s", r.body)
	}
	if _, ok := s.Value(Contacts, gone, "rfm_score"); ok {
		t.Errorf("merged record was written")
	}
}

func TestPatchOne(t *testing.T) {
	s := rfmServer(t)
	id := s.CreateContact(nil)
	r := call(t, s, req{method: http.MethodPatch, path: "/crm/v3/objects/contacts/" + id, body: map[string]any{"properties": map[string]string{"rfm_score": "42"}}})
	wantStatus(t, r, http.StatusOK)
	if v, _ := s.Value(Contacts, id, "rfm_score"); v != "42" {
		t.Errorf("rfm_score %q", v)
	}
	r = call(t, s, req{method: http.MethodPatch, path: "/crm/v3/objects/contacts/" + id, body: map[string]any{"properties": map[string]string{"rfm_score": "x"}}})
	wantError(t, r, http.StatusBadRequest, "VALIDATION_ERROR")
	r = call(t, s, req{method: http.MethodPatch, path: "/crm/v3/objects/contacts/999", body: map[string]any{"properties": map[string]string{"rfm_score": "1"}}})
	wantStatus(t, r, http.StatusNotFound)
	if s.WriteCalls() != 1 || s.Calls(RouteBatchUpdate) != 3 {
		t.Errorf("write calls %d, route calls %d", s.WriteCalls(), s.Calls(RouteBatchUpdate))
	}
}
