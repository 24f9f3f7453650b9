package crmhttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

func TestRetryOn500ThenSuccessReplaysBody(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) != `{"limit":100}` || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("attempt got body %q, content type %q", body, r.Header.Get("Content-Type"))
		}
		if hits.inc() <= 2 {
			w.WriteHeader(500)
			io.WriteString(w, "<html>oops</html>")
			return
		}
		io.WriteString(w, `{"total":3}`)
	})
	clock := newFakeClock()
	c := newTestClient(t, srv, clock, func(o *Options) { o.MinWait = 500 * time.Millisecond })
	var out struct{ Total int }
	status, err := c.DoJSON(context.Background(), "POST", "/search", nil, map[string]int{"limit": 100}, &out)
	if err != nil || status != 200 || out.Total != 3 {
		t.Fatalf("DoJSON = %d, %v, %+v", status, err, out)
	}
	if hits.get() != 3 {
		t.Errorf("server hits = %d, want 3", hits.get())
	}
	sleeps := clock.Sleeps()
	if len(sleeps) != 2 {
		t.Fatalf("sleeps = %v, want 2 backoff waits", sleeps)
	}
	for i, bounds := range [][2]time.Duration{{250 * time.Millisecond, 500 * time.Millisecond}, {500 * time.Millisecond, time.Second}} {
		if sleeps[i] < bounds[0] || sleeps[i] > bounds[1] {
			t.Errorf("backoff %d = %v, want within %v", i, sleeps[i], bounds)
		}
	}
	if s := c.Stats().Snapshot(); s.Calls != 3 || s.Retries != 2 {
		t.Errorf("stats = %+v, want 3 calls, 2 retries", s)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{400, crmerr.ErrValidation}, {403, crmerr.ErrValidation}, {404, crmerr.ErrNotFound}, {409, crmerr.ErrValidation},
	}
	for _, tt := range tests {
		var hits counter
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			hits.inc()
			w.WriteHeader(tt.status)
			io.WriteString(w, `{"category":"X","errors":[{"id":"7"}]}`)
		})
		clock := newFakeClock()
		c := newTestClient(t, srv, clock, nil)
		resp, err := c.Do(context.Background(), &Request{Method: "GET", Path: "/deals/7"})
		if !errors.Is(err, tt.want) {
			t.Errorf("%d: err = %v, want %v", tt.status, err, tt.want)
		}
		if hits.get() != 1 || len(clock.Sleeps()) != 0 {
			t.Errorf("%d: hits = %d, sleeps = %v; want one attempt, no waits", tt.status, hits.get(), clock.Sleeps())
		}
		if resp == nil || resp.Status != tt.status || !bytes.Contains(resp.Body, []byte(`"id":"7"`)) {
			t.Errorf("%d: response not returned with the error: %+v", tt.status, resp)
		}
		ce, _ := crmerr.As(err)
		if ce == nil || ce.Status != tt.status || !strings.Contains(err.Error(), "GET /deals/7") {
			t.Errorf("%d: error lacks status or request: %v", tt.status, err)
		}
	}
}

func TestRetriesExhaustedIsTransient(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		w.WriteHeader(503)
	})
	clock := newFakeClock()
	c := newTestClient(t, srv, clock, func(o *Options) { o.MaxRetries = 2 })
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	if !errors.Is(err, crmerr.ErrTransient) || hits.get() != 3 {
		t.Fatalf("err = %v, hits = %d; want transient after 3 attempts", err, hits.get())
	}
}

func TestNegativeMaxRetriesMeansNone(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { hits.inc(); w.WriteHeader(500) })
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) { o.MaxRetries = -1 })
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); !errors.Is(err, crmerr.ErrTransient) || hits.get() != 1 {
		t.Fatalf("err = %v, hits = %d", err, hits.get())
	}
}

func Test429RetryAfterHonoured(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.inc() == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			return
		}
		io.WriteString(w, `{}`)
	})
	clock := newFakeClock()
	c := newTestClient(t, srv, clock, nil)
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := clock.Sleeps(); len(got) != 1 || got[0] != 7*time.Second {
		t.Errorf("sleeps = %v, want exactly [7s]", got)
	}
	if s := c.Stats().Snapshot(); s.RateLimited != 1 || s.Calls != 2 {
		t.Errorf("stats = %+v", s)
	}
}

// A Retry-After of an hour, a day, 4e9 seconds or an HTTP date a century
// ahead on a single 503/429 is a wait capped at MaxRetryAfter inside the
// call, never a quota reset: the call succeeds once the server heals.
func TestLongRetryAfterIsABoundedWait(t *testing.T) {
	for _, ra := range []string{"3600", "86400", "4000000000", "Fri, 01 Jan 2163 00:00:00 GMT"} {
		for _, status := range []int{429, 503} {
			var hits counter
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if hits.inc() == 1 {
					w.Header().Set("Retry-After", ra)
					w.WriteHeader(status)
					return
				}
				io.WriteString(w, `{}`)
			})
			clock := newFakeClock()
			c := newTestClient(t, srv, clock, func(o *Options) { o.MaxRetryAfter = time.Minute })
			if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
				t.Fatalf("%d Retry-After %q: %v", status, ra, err)
			}
			if got := clock.Sleeps(); len(got) != 1 || got[0] != time.Minute {
				t.Errorf("%d Retry-After %q: sleeps %v, want [1m]", status, ra, got)
			}
		}
	}
}

// A server that keeps answering 503 with a Retry-After of a day fails the
// call as Transient once the retry budget is spent: no reset time, nothing
// that could pause a later run, and the daemon may retry the run soon.
func TestLongRetryAfterNeverBecomesAPause(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(503)
	})
	clock := newFakeClock()
	start := clock.Now()
	c := newTestClient(t, srv, clock, func(o *Options) { o.MaxRetryAfter, o.RetryBudget = time.Minute, 3*time.Minute })
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	ce, ok := crmerr.As(err)
	if !ok || ce.Class != crmerr.Transient || !ce.ResetAt.IsZero() {
		t.Fatalf("err = %v, want transient without a reset", err)
	}
	if _, pause := crmerr.PauseUntil(err, clock.Now()); pause {
		t.Errorf("a Retry-After hint pauses later runs: %v", err)
	}
	if !ce.Class.RetryRunSoon() || !strings.Contains(err.Error(), "retry budget") {
		t.Errorf("err = %v, want a retry-soon class naming the budget", err)
	}
	if spent := clock.Now().Sub(start); spent > 3*time.Minute {
		t.Errorf("call spent %v, over its 3m budget", spent)
	}
}

func TestClassifierQuotaVerdictStopsAtOnce(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		w.WriteHeader(429)
		io.WriteString(w, `{"policyName":"DAILY"}`)
	})
	clock := newFakeClock()
	reset := clock.Now().Add(15 * time.Hour)
	c := newTestClient(t, srv, clock, func(o *Options) {
		o.Classifier = func(a Attempt) Verdict {
			s, b := a.Status, a.Body
			_, _ = s, b
			v := DefaultClassifier(a)
			if bytes.Contains(b, []byte("DAILY")) {
				v.Class, v.Code, v.ResetAt = crmerr.QuotaExhausted, "DAILY", reset
			}
			return v
		}
	})
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	ce, _ := crmerr.As(err)
	if ce == nil || ce.Class != crmerr.QuotaExhausted || ce.Code != "DAILY" || !ce.ResetAt.Equal(reset) {
		t.Fatalf("err = %v", err)
	}
	if hits.get() != 1 || len(clock.Sleeps()) != 0 {
		t.Errorf("hits = %d, sleeps = %v", hits.get(), clock.Sleeps())
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { hits.inc(); w.WriteHeader(500) })
	clock := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	clock.onSleep = func(time.Duration) { cancel() } // the run is stopped during the first backoff
	c := newTestClient(t, srv, clock, nil)
	_, err := c.DoJSON(ctx, "GET", "/x", nil, nil, nil)
	if !errors.Is(err, context.Canceled) || hits.get() != 1 {
		t.Fatalf("err = %v, hits = %d; want context.Canceled after one attempt", err, hits.get())
	}
	if _, ok := crmerr.As(err); ok {
		t.Errorf("cancellation reported as a CRM failure: %v", err)
	}
	if _, err := c.DoJSON(ctx, "GET", "/x", nil, nil, nil); !errors.Is(err, context.Canceled) || hits.get() != 1 {
		t.Errorf("cancelled context still sent: err = %v, hits = %d", err, hits.get())
	}
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.inc() == 1 {
			<-r.Context().Done() // hang until the client gives up on this attempt
			return
		}
		io.WriteString(w, `{}`)
	})
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) { o.Timeouts.Attempt = 300 * time.Millisecond })
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil || hits.get() < 2 {
		t.Fatalf("err = %v, hits = %d; want success on the second attempt", err, hits.get())
	}
}

func TestTransportErrorRetriedThenTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens any more
	clock := newFakeClock()
	c, err := New(Options{BaseURL: srv.URL, Now: clock.Now, Sleep: clock.Sleep, MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), &Request{Method: "GET", Path: "/x", Query: url.Values{"sessionName": {"s3cr3t"}}})
	if !errors.Is(err, crmerr.ErrTransient) || len(clock.Sleeps()) != 2 {
		t.Fatalf("err = %v, sleeps = %v", err, clock.Sleeps())
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error leaks the query: %v", err)
	}
}
