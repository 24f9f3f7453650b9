package crmhttp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

func TestClassifierSeesSuccessBodies(t *testing.T) {
	// vtenext answers handled errors with HTTP 200; the classifier turns them into verdicts.
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.inc() == 1 {
			io.WriteString(w, `{"success":false,"error":{"code":"INTERNAL_SERVER_ERROR","message":"Unknown Error"}}`)
			return
		}
		io.WriteString(w, `{"success":true,"result":[]}`)
	})
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) {
		o.Classifier = func(a Attempt) Verdict {
			s, b := a.Status, a.Body
			_, _ = s, b
			if bytes.Contains(b, []byte(`"success":false`)) {
				return Verdict{Class: crmerr.Transient, Code: "INTERNAL_SERVER_ERROR"}
			}
			return DefaultClassifier(a)
		}
	})
	var out struct{ Success bool }
	if _, err := c.DoJSON(context.Background(), "GET", "/webservice.php", nil, nil, &out); err != nil || !out.Success || hits.get() != 2 {
		t.Fatalf("err = %v, out = %+v, hits = %d", err, out, hits.get())
	}
}

func TestDoJSONDecodeErrors(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/html" {
			io.WriteString(w, "<html>maintenance</html>")
			return
		}
		switch r.URL.Path {
		case "/null":
			io.WriteString(w, " null\n")
		case "/empty":
		case "/nocontent":
			w.WriteHeader(204)
		default:
			io.WriteString(w, `{"n":"not a number"}`)
		}
	})
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) { o.RetryBudget = time.Second })
	var out struct{ N int }
	// An empty or null answer is never "no data".
	if _, err := c.DoJSON(context.Background(), "GET", "/empty", nil, nil, &out); crmerr.ClassOf(err) != crmerr.Transient {
		t.Errorf("empty 200: %v, want transient", err)
	}
	if _, err := c.DoJSON(context.Background(), "GET", "/null", nil, nil, &out); crmerr.ClassOf(err) != crmerr.Permanent {
		t.Errorf("null 200: %v, want permanent", err)
	}
	if status, err := c.DoJSON(context.Background(), "GET", "/nocontent", nil, nil, &out); err != nil || status != 204 {
		t.Errorf("204: %d %v, want no error", status, err)
	}
	if _, err := c.DoJSON(context.Background(), "GET", "/html", nil, nil, &out); crmerr.ClassOf(err) != crmerr.Transient {
		t.Errorf("non-JSON 200: %v, want transient", err)
	}
	if _, err := c.DoJSON(context.Background(), "GET", "/typed", nil, nil, &out); crmerr.ClassOf(err) != crmerr.Permanent {
		t.Errorf("mistyped JSON: %v, want permanent", err)
	}
}

func TestResolve(t *testing.T) {
	c, err := New(Options{BaseURL: "https://crm.example.it/vtenext/"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		query url.Values
		want  string
	}{
		{"webservice.php", url.Values{"operation": {"query"}}, "https://crm.example.it/vtenext/webservice.php?operation=query"},
		{"/crm/v3/objects/deals?after=abc", url.Values{"limit": {"100"}}, "https://crm.example.it/vtenext/crm/v3/objects/deals?after=abc&limit=100"},
		{"https://acme.my.salesforce.com/services/data/v62.0/query/01g-2000", nil, "https://acme.my.salesforce.com/services/data/v62.0/query/01g-2000"},
	}
	for _, tt := range tests {
		u, err := c.resolve(context.Background(), tt.path, tt.query)
		if err != nil || u.String() != tt.want {
			t.Errorf("resolve(%q) = %v, %v; want %s", tt.path, u, err, tt.want)
		}
	}
	noBase, _ := New(Options{})
	if _, err := noBase.Do(context.Background(), &Request{Method: "GET", Path: "/x"}); err == nil {
		t.Error("relative path without base URL accepted")
	}
}

func TestRedirectToOtherHostIsNotFollowed(t *testing.T) {
	var strangerHits counter
	stranger := serve(t, func(w http.ResponseWriter, r *http.Request) {
		strangerHits.inc()
		if r.Header.Get("Authorization") != "" {
			t.Error("credentials sent to another host")
		}
	})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, stranger.URL+"/steal", http.StatusFound)
	})
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) { o.Auth = StaticBearer("tok") })
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	if strangerHits.get() != 0 || crmerr.ClassOf(err) != crmerr.Validation {
		t.Fatalf("stranger hits = %d, err = %v", strangerHits.get(), err)
	}
}

func TestOnResponseAndUserAgent(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != DefaultUserAgent {
			t.Errorf("User-Agent = %q", r.Header.Get("User-Agent"))
		}
		w.Header().Set("Sforce-Limit-Info", "api-usage=12/15000")
	})
	var seen string
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) {
		o.OnResponse = func(_ int, h http.Header) { seen = h.Get("Sforce-Limit-Info") }
	})
	if _, err := c.DoJSON(context.Background(), "GET", "/limits", nil, nil, nil); err != nil || seen != "api-usage=12/15000" {
		t.Fatalf("err = %v, header seen = %q", err, seen)
	}
}

func TestOptionsValidation(t *testing.T) {
	bad := []Options{
		{BaseURL: "api.hubapi.com"},
		{MinWait: time.Second, MaxWait: time.Millisecond},
		{Buckets: []Bucket{{Name: "a", Limit: 1, Per: time.Second}, {Name: "a", Limit: 2, Per: time.Second}}},
		{Buckets: []Bucket{{Name: "", Limit: 1, Per: time.Second}}},
		{Buckets: []Bucket{{Name: "a", Limit: -1, Per: time.Second}}},
		{Buckets: []Bucket{{Name: "a", Limit: 5}}},
	}
	for i, o := range bad {
		if _, err := New(o); err == nil {
			t.Errorf("options %d accepted: %+v", i, o)
		}
	}
}
