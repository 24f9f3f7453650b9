package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A 200 batch/read whose results list stops short (no errors) must not
// report the records it left out as missing: the repair pass would mark
// them gone and stop writing to them on no evidence.
func TestTruncatedBatchReadIsNotEvidenceOfGone(t *testing.T) {
	s, keys := writeFixture(t, 10)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/batch/read") {
			s.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if res, ok := body["results"].([]any); ok && len(res) > 1 {
			body["results"] = res[:1]
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		json.NewEncoder(w).Encode(body)
	}))
	defer front.Close()
	c := build(t, connectOpts(t, s, front.URL, nil), nil)
	got, err := c.ReadFields(context.Background(), keys, []string{"rfm_code"})
	if err == nil && len(got) < len(keys) {
		t.Fatalf("a truncated answer reported %d of %d existing records missing (gone), no error", len(keys)-len(got), len(keys))
	}
}
