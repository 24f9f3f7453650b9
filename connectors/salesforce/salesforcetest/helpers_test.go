package salesforcetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const v = "/services/data/v62.0"

func newServer(t *testing.T, o Options) *Server {
	t.Helper()
	s := New(o)
	t.Cleanup(s.Close)
	return s
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

type req struct {
	method, url, token string
	body               any // string: sent as is; otherwise JSON
	contentType        string
	header             map[string]string
}

func call(t testing.TB, r req) response {
	t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(j)
		if r.contentType == "" {
			r.contentType = "application/json"
		}
	}
	hr, err := http.NewRequest(r.method, r.url, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.contentType != "" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// login runs the refresh_token grant on the login host and returns the
// access token.
func login(t testing.TB, s *Server) string {
	t.Helper()
	r := tokenCall(t, s.TokenURL(), url.Values{"grant_type": {GrantRefreshToken}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "refresh_token": {DefaultRefreshToken}})
	wantStatus(t, r, 200)
	m := r.obj(t)
	if m["instance_url"] != s.URL() {
		t.Fatalf("instance_url %v, want %s", m["instance_url"], s.URL())
	}
	return m["access_token"].(string)
}

func tokenCall(t testing.TB, u string, form url.Values) response {
	t.Helper()
	return call(t, req{method: http.MethodPost, url: u, body: form.Encode(), contentType: "application/x-www-form-urlencoded"})
}

func get(t testing.TB, s *Server, tok, path string) response {
	t.Helper()
	return call(t, req{method: http.MethodGet, url: s.URL() + path, token: tok})
}

func runQuery(t testing.TB, s *Server, tok, endpoint, q string, header map[string]string) response {
	t.Helper()
	return call(t, req{method: http.MethodGet, url: s.URL() + v + "/" + endpoint + "?q=" + url.QueryEscape(q), token: tok, header: header})
}

func wantStatus(t testing.TB, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// wantError checks a REST error array (§7) and returns its first element.
func wantError(t testing.TB, r response, status int, code string) apiError {
	t.Helper()
	wantStatus(t, r, status)
	var errs []apiError
	if err := json.Unmarshal(r.body, &errs); err != nil || len(errs) != 1 {
		t.Fatalf("error body is not a one-element array: %s", r.body)
	}
	if errs[0].ErrorCode != code || errs[0].Message == "" {
		t.Fatalf("error %+v, want errorCode %s with a message", errs[0], code)
	}
	return errs[0]
}

func wantTokenError(t testing.TB, r response, code, desc string) {
	t.Helper()
	wantStatus(t, r, http.StatusBadRequest)
	var e tokenError
	r.decode(t, &e)
	if e.Error != code || e.ErrorDescription != desc {
		t.Errorf("token error %+v, want %s / %s", e, code, desc)
	}
}

type queryResult struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL *string          `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func (q queryResult) ids() []string {
	var out []string
	for _, r := range q.Records {
		out = append(out, r["Id"].(string))
	}
	return out
}
