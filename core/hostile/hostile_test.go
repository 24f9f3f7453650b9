package hostile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const page = `{"results":[{"id":"1","n":2,"ok":true}],"paging":{"next":{"after":"2"}}}`

func fake() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, page)
	})
}

func get(t *testing.T, h *Handler, path string) (*http.Response, []byte, error) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(h.Release)
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(srv.URL + path)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestJSONSpoilers(t *testing.T) {
	tests := []struct {
		name  string
		spoil Spoil
		check func(v map[string]any) bool
	}{
		{"null results", SetField("results", nil), func(v map[string]any) bool { r, ok := v["results"]; return ok && r == nil }},
		{"missing results", DropField("results"), func(v map[string]any) bool { _, ok := v["results"]; return !ok }},
		{"wrong types", WrongTypes(), func(v map[string]any) bool { _, isMap := v["results"].(map[string]any); return isMap }},
		{"huge page", HugePage(10), func(v map[string]any) bool { r, _ := v["results"].([]any); return len(r) == 10 }},
	}
	for _, tt := range tests {
		h := Wrap(fake(), Scenario{Name: tt.name, Spoil: tt.spoil})
		_, b, err := get(t, h, "/x")
		var v map[string]any
		if err != nil || json.Unmarshal(b, &v) != nil || !tt.check(v) {
			t.Errorf("%s: body %s, err %v", tt.name, b, err)
		}
	}
}

func TestTruncatedAndResetFailTheRead(t *testing.T) {
	for name, s := range map[string]Spoil{"truncated": Truncated(), "reset": Reset()} {
		_, b, err := get(t, Wrap(fake(), Scenario{Name: name, Spoil: s}), "/x")
		if err == nil {
			t.Errorf("%s: read %q without an error", name, b)
		}
	}
}

func TestScenarioCountsAndMatching(t *testing.T) {
	h := Wrap(fake(), Scenario{Name: "once", Match: PathSuffix("/search"), After: 1, Times: 1, Spoil: Status(503, "")})
	codes := []int{}
	for _, p := range []string{"/a/search", "/a/search", "/a/search", "/a/list"} {
		resp, _, err := get(t, h, p)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{200, 503, 200, 200}; !equal(codes, want) || h.Spoiled("once") != 1 {
		t.Errorf("codes %v (want %v), spoiled %d", codes, want, h.Spoiled("once"))
	}
}

// A stall holds the client until it gives up: its own timeout ends it.
func TestStallHoldsUntilTheClientGivesUp(t *testing.T) {
	h := Wrap(fake(), Scenario{Name: "stall", Spoil: Stall(true)})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Release()
	c := &http.Client{Timeout: 100 * time.Millisecond}
	resp, err := c.Get(srv.URL)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a client timeout", err)
	}
}

func TestCasesCoverTheIssue(t *testing.T) {
	names := map[string]bool{}
	for _, c := range Cases(nil) {
		names[c.Name] = true
	}
	for _, want := range []string{"truncated body", "null body", "wrong JSON types", "page ten times too large",
		"stall after headers", "connection reset", "503 Retry-After Fri, 01 Jan 2163 00:00:00 GMT", "429 Retry-After 4000000000",
		"503 Retry-After 86400", "429 Retry-After -60", "503 Retry-After soon"} {
		if !names[want] {
			t.Errorf("Cases lack %q", want)
		}
	}
	if len(names) < 20 || strings.Contains(strings.Join(keys(names), ","), "hubspot") {
		t.Errorf("cases %v", keys(names))
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestCursorBack(t *testing.T) {
	n := 0
	pages := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		fmt.Fprintf(w, `{"results":[],"paging":{"next":{"after":"c%d"}}}`, n)
	})
	h := Wrap(pages, Scenario{Name: "back", Spoil: CursorBack("after", 2)})
	var got []string
	for range 4 {
		_, b, err := get(t, h, "/x")
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Paging struct{ Next struct{ After string } }
		}
		json.Unmarshal(b, &v)
		got = append(got, v.Paging.Next.After)
	}
	if strings.Join(got, ",") != "c1,c2,c1,c1" {
		t.Errorf("cursors %v, want c1,c2,c1,c1", got)
	}
}
