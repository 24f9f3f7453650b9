package hubspottest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// postTB is post for benchmarks and tests alike.
func postTB(tb testing.TB, s *Server, path string, body any) response {
	tb.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	hr, err := http.NewRequest(http.MethodPost, s.URL()+path, bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+DefaultToken)
	res, err := s.HTTPClient().Do(hr)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
