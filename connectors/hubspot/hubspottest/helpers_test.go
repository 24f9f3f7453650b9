package hubspottest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// newServer starts a fake that the test closes on cleanup.
func newServer(t *testing.T, o Options) *Server {
	t.Helper()
	s := New(o)
	t.Cleanup(s.Close)
	return s
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v, failing the test on error.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %d body %q: %v", r.status, r.body, err)
	}
}

// obj decodes the body as a JSON object.
func (r response) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// req describes one request; zero fields take sensible defaults.
type req struct {
	method string
	path   string
	body   any // string: sent raw; nil: no body; else JSON-encoded
	token  string
	ctype  string
	noAuth bool
}

// call sends r with DefaultToken unless told otherwise.
func call(t *testing.T, s *Server, r req) response {
	t.Helper()
	var body io.Reader
	ctype := r.ctype
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
		if ctype == "" {
			ctype = "application/json"
		}
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(raw)
		if ctype == "" {
			ctype = "application/json"
		}
	}
	method := r.method
	if method == "" {
		method = http.MethodGet
		if r.body != nil {
			method = http.MethodPost
		}
	}
	hr, err := http.NewRequest(method, s.URL()+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		hr.Header.Set("Content-Type", ctype)
	}
	if !r.noAuth {
		tok := r.token
		if tok == "" {
			tok = DefaultToken
		}
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := s.HTTPClient().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// get is a GET with the default token.
func get(t *testing.T, s *Server, path string) response {
	t.Helper()
	return call(t, s, req{path: path})
}

// post is a JSON POST with the default token.
func post(t *testing.T, s *Server, path string, body any) response {
	t.Helper()
	return call(t, s, req{path: path, body: body})
}

// form posts a form-encoded body to the token endpoint.
func form(t *testing.T, s *Server, path string, v url.Values) response {
	t.Helper()
	return call(t, s, req{path: path, body: v.Encode(), ctype: "application/x-www-form-urlencoded", noAuth: true})
}

// wantStatus fails unless r has the status.
func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

// wantError checks status, category and correlation ID of an error body.
func wantError(t *testing.T, r response, status int, category string) map[string]any {
	t.Helper()
	wantStatus(t, r, status)
	m := r.obj(t)
	if m["status"] != "error" {
		t.Errorf("status field %v, want error", m["status"])
	}
	if got, _ := m["category"].(string); got != category {
		t.Errorf("category %q, want %q; body %s", got, category, r.body)
	}
	if cid := r.header.Get("X-HubSpot-Correlation-Id"); cid == "" || cid != m["correlationId"] {
		t.Errorf("correlation header %q, body %v", cid, m["correlationId"])
	}
	return m
}

// searchBody builds a search request.
type searchBody = map[string]any

// f builds one filter.
func f(prop, op string, val any) map[string]any {
	m := map[string]any{"propertyName": prop, "operator": op}
	if val != nil {
		m["value"] = val
	}
	return m
}

// groups wraps filter lists as filterGroups.
func groups(gs ...[]map[string]any) []map[string]any {
	out := make([]map[string]any, len(gs))
	for i, g := range gs {
		out[i] = map[string]any{"filters": g}
	}
	return out
}

// searchResult is a decoded search response.
type searchResult struct {
	Total   int `json:"total"`
	Results []struct {
		ID         string             `json:"id"`
		Properties map[string]*string `json:"properties"`
		CreatedAt  string             `json:"createdAt"`
		UpdatedAt  string             `json:"updatedAt"`
		Archived   bool               `json:"archived"`
	} `json:"results"`
	Paging *struct {
		Next struct {
			After string `json:"after"`
			Link  string `json:"link"`
		} `json:"next"`
	} `json:"paging"`
}

// ids lists the result IDs.
func (r searchResult) ids() []string {
	out := make([]string, len(r.Results))
	for i, x := range r.Results {
		out[i] = x.ID
	}
	return out
}

// search posts a deal search and decodes a 200 answer; the fake's search
// limit is lifted so tests can search freely.
func search(t *testing.T, s *Server, typ string, body searchBody) searchResult {
	t.Helper()
	r := post(t, s, "/crm/v3/objects/"+typ+"/search", body)
	wantStatus(t, r, http.StatusOK)
	var out searchResult
	r.decode(t, &out)
	return out
}

// noLimits lifts every rate limit for tests that are not about them.
func noLimits(o Options) Options {
	o.BurstLimit, o.DailyLimit, o.SearchPerSecond, o.AssociationBurst = -1, -1, -1, -1
	return o
}
