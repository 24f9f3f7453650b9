package crmhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// fakeClock is a controllable clock: Sleep advances time at once and
// records the duration, so tests assert waits without waiting.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	slept   []time.Duration
	onSleep func(time.Duration) // optional, called after each Sleep
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.slept = append(f.slept, d)
	hook := f.onSleep
	f.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	return ctx.Err()
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}

// newTestClient returns a client for srv on clock, with opts applied.
func newTestClient(t *testing.T, srv *httptest.Server, clock *fakeClock, opts func(*Options)) *Client {
	t.Helper()
	o := Options{BaseURL: srv.URL, Now: clock.Now, Sleep: clock.Sleep, Transport: srv.Client().Transport}
	if opts != nil {
		opts(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// counter is a concurrency-safe hit counter for fake servers.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// serve starts a test server, closed when the test ends.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
