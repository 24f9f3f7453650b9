package callobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestTransportObservesEveryAttempt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/busy":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/down":
			w.WriteHeader(http.StatusBadGateway)
		case "/bad":
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	var mu sync.Mutex
	var calls []Call
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	kind := func(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/") }
	c := &http.Client{Transport: Transport(nil, "crm", kind, func(c Call) { mu.Lock(); calls = append(calls, c); mu.Unlock() }, log)}
	for _, p := range []string{"/ok", "/busy", "/down", "/bad"} {
		resp, err := c.Get(srv.URL + p + "?secret=x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	srv.Close()
	if _, err := c.Get(srv.URL + "/gone"); err == nil {
		t.Fatal("a closed server answered")
	}
	want := map[string]string{"ok": OutcomeOK, "busy": OutcomeRateLimited, "down": OutcomeServerError, "bad": OutcomeClientError, "gone": OutcomeNetwork}
	if len(calls) != len(want) {
		t.Fatalf("%d calls observed, want %d", len(calls), len(want))
	}
	ids := map[string]bool{}
	for _, c := range calls {
		if c.Outcome != want[c.Kind] || c.Connector != "crm" || c.RequestID == "" {
			t.Errorf("call %+v, want outcome %s", c, want[c.Kind])
		}
		ids[c.RequestID] = true
	}
	if len(ids) != len(calls) {
		t.Error("request ids repeat")
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != len(calls) {
		t.Fatalf("%d debug lines for %d calls", len(lines), len(calls))
	}
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["request_id"] != calls[i].RequestID || rec["msg"] != "crm call" {
			t.Errorf("log line %d = %s, want request id %s", i, l, calls[i].RequestID)
		}
		if strings.Contains(l, "secret") {
			t.Errorf("query string logged: %s", l)
		}
	}
}

func TestTransportIsQuietAboveDebug(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	rt := Transport(roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("refused") }), "crm", nil, nil, log)
	req, _ := http.NewRequest("GET", "http://example.invalid/x", nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("error lost")
	}
	if logs.Len() != 0 {
		t.Errorf("logged at info: %s", logs.String())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
