package crmhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// shortTimeouts makes a stall cost a fraction of a second in these tests;
// each test shortens only the phase it stalls, so a loaded machine cannot
// trip the others.
var shortTimeouts = Timeouts{Connect: 5 * time.Second, ResponseHeader: 5 * time.Second,
	IdleRead: 5 * time.Second, Attempt: 20 * time.Second}

// A server that sends headers and part of a body, then nothing: each
// attempt ends after IdleRead, and the call after the stall budget, with an
// error that says what stalled.
func TestIdleBodyStallIsBoundedByTheStallBudget(t *testing.T) {
	var hits counter
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, `{"results":[`)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	to := shortTimeouts
	to.IdleRead = 100 * time.Millisecond
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) {
		o.Timeouts, o.StallBudget = to, 250*time.Millisecond
	})
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, &struct{}{})
	var te *TimeoutError
	if !errors.Is(err, crmerr.ErrTransient) || !errors.As(err, &te) || te.Phase != "body read" {
		t.Fatalf("err = %v, want a transient body-read timeout", err)
	}
	if hits.get() != 3 || !strings.Contains(err.Error(), "stall budget") || !strings.Contains(err.Error(), "sent nothing") {
		t.Errorf("hits = %d, err = %v; want 3 attempts (300ms of stalls > 250ms budget)", hits.get(), err)
	}
}

// No headers at all: the first-byte timeout ends the attempt.
func TestResponseHeaderTimeout(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.inc() == 1 {
			<-r.Context().Done()
			return
		}
		io.WriteString(w, `{}`)
	})
	to := shortTimeouts
	to.ResponseHeader = 300 * time.Millisecond
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) { o.Timeouts = to })
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil || hits.get() < 2 {
		t.Fatalf("err = %v, hits = %d; want success after the stalled first attempt", err, hits.get())
	}
	if s := c.Stats().Snapshot(); s.Retries < 1 {
		t.Errorf("retries = %d, want the stalled attempt retried", s.Retries)
	}
}

// A body that trickles a byte at a time never trips IdleRead, but the
// attempt timeout bounds it.
func TestAttemptTimeoutBoundsATrickle(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, " "); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(10 * time.Millisecond):
			case <-r.Context().Done():
			}
		}
	})
	to := shortTimeouts
	to.Attempt = 300 * time.Millisecond
	c := newTestClient(t, srv, newFakeClock(), func(o *Options) { o.Timeouts, o.StallBudget = to, -1 })
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Phase != "attempt" || !errors.Is(err, crmerr.ErrTransient) {
		t.Fatalf("err = %v, want a transient attempt timeout", err)
	}
}

func TestTimeoutDefaults(t *testing.T) {
	got := Timeouts{IdleRead: -1}.withDefaults()
	want := Timeouts{Connect: DefaultConnectTimeout, ResponseHeader: DefaultResponseHeaderTimeout, Attempt: DefaultAttemptTimeout}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	for _, d := range []time.Duration{want.Connect, want.ResponseHeader, DefaultIdleReadTimeout} {
		if d >= time.Minute {
			t.Errorf("default timeout %v is minutes, not seconds", d)
		}
	}
}

// Retries are bounded by time, not by count: a server that fails 30 times
// before it heals is waited out within the budget, while one that never
// heals fails after the budget, whatever the count.
func TestRetryByTimeNotCount(t *testing.T) {
	var hits counter
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.inc() <= 30 {
			w.WriteHeader(502)
			return
		}
		io.WriteString(w, `{}`)
	})
	clock := newFakeClock()
	c := newTestClient(t, srv, clock, func(o *Options) {
		o.MinWait, o.MaxWait, o.RetryBudget = 100*time.Millisecond, 2*time.Second, 3*time.Minute
	})
	if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil || hits.get() != 31 {
		t.Fatalf("err = %v, hits = %d; want success after 30 failures", err, hits.get())
	}
	var total time.Duration
	for _, d := range clock.Sleeps() {
		if d > 2*time.Second {
			t.Errorf("a wait of %v exceeds MaxWait", d)
		}
		total += d
	}
	if total > 3*time.Minute {
		t.Errorf("waited %v, over the budget", total)
	}
}

func TestRetryBudgetEndsANeverHealingServer(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	clock := newFakeClock()
	start := clock.Now()
	c := newTestClient(t, srv, clock, func(o *Options) { o.RetryBudget = time.Minute })
	_, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil)
	if !errors.Is(err, crmerr.ErrTransient) || !crmerr.ClassOf(err).RetryRunSoon() {
		t.Fatalf("err = %v, want transient", err)
	}
	if spent := clock.Now().Sub(start); spent > time.Minute || spent < 30*time.Second {
		t.Errorf("spent %v retrying; want most of the 1m budget, never more", spent)
	}
	if n := c.Stats().Snapshot().Retries; n <= 5 {
		t.Errorf("retries = %d; the budget, not a count of 5, should end the call", n)
	}
}

// Odd Retry-After values fall back to the jittered backoff.
func TestOddRetryAfterValuesUseBackoff(t *testing.T) {
	for _, ra := range []string{"-5", "garbage", "0", "1e9", "Thu, 01 Jan 1970 00:00:00 GMT", "99999999999999999999999"} {
		var hits counter
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			if hits.inc() == 1 {
				w.Header().Set("Retry-After", ra)
				w.WriteHeader(503)
				return
			}
			io.WriteString(w, `{}`)
		})
		clock := newFakeClock()
		c := newTestClient(t, srv, clock, func(o *Options) { o.MinWait = time.Second })
		if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
			t.Fatalf("Retry-After %q: %v", ra, err)
		}
		if got := clock.Sleeps(); len(got) != 1 || got[0] < 500*time.Millisecond || got[0] > time.Second {
			t.Errorf("Retry-After %q: sleeps %v, want one backoff in [0.5s, 1s]", ra, got)
		}
	}
}
