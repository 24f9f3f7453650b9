package crmhttp

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustBucket(t *testing.T, b Bucket) *bucket {
	t.Helper()
	pb, err := newBucket(b)
	if err != nil {
		t.Fatal(err)
	}
	return pb
}

// maxInWindow is the largest number of times in any half-open window of length per.
func maxInWindow(times []time.Time, per time.Duration) int {
	s := slices.SortedFunc(slices.Values(times), func(a, b time.Time) int { return a.Compare(b) })
	best := 0
	for i := range s {
		n := 0
		for j := i; j < len(s) && s[j].Before(s[i].Add(per)); j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

func TestReserveConcurrentCallersShareTheWindow(t *testing.T) {
	b := mustBucket(t, Bucket{Name: "search", Limit: 4, Per: time.Second})
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var (
		mu  sync.Mutex
		got []time.Time
		wg  sync.WaitGroup
	)
	for range 12 {
		wg.Go(func() {
			at := reserve([]*bucket{b}, t0)
			mu.Lock()
			got = append(got, at)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.SortFunc(got, func(a, b time.Time) int { return a.Compare(b) })
	for i, at := range got {
		if want := t0.Add(time.Duration(i/4) * time.Second); !at.Equal(want) {
			t.Errorf("reservation %d at %v, want %v", i, at.Sub(t0), want.Sub(t0))
		}
	}
}

func TestReserveNeverExceedsRollingWindow(t *testing.T) {
	// Bursty arrivals, an idle spell, then more bursts: a token bucket with
	// burst = Limit would let 2×Limit through one window here.
	b := mustBucket(t, Bucket{Name: "app", Limit: 10, Per: 10 * time.Second})
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var sent []time.Time
	for i := range 300 {
		if i%50 == 0 {
			now = now.Add(time.Minute) // idle: the bucket is full again
		}
		now = now.Add(time.Duration(rng.IntN(400)) * time.Millisecond)
		at := reserve([]*bucket{b}, now)
		if at.Before(now) {
			t.Fatalf("scheduled in the past: %v < %v", at, now)
		}
		sent = append(sent, at)
	}
	if n := maxInWindow(sent, 10*time.Second); n > 10 {
		t.Errorf("%d sends in one 10 s window, limit 10", n)
	}
}

func TestPacingThroughClient(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	var (
		mu      sync.Mutex
		arrived = map[string][]time.Duration{}
	)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived[r.URL.Path] = append(arrived[r.URL.Path], clock.Now().Sub(t0))
		mu.Unlock()
	})
	isSearch := func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/search") }
	c := newTestClient(t, srv, clock, func(o *Options) {
		o.Buckets = []Bucket{
			{Name: "search", Limit: 4, Per: time.Second, Match: isSearch},
			{Name: "app", Limit: 0, Match: func(r *http.Request) bool { return !isSearch(r) }},
		}
	})
	for range 10 {
		if _, err := c.DoJSON(context.Background(), "POST", "/deals/search", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.DoJSON(context.Background(), "GET", "/deals", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	s := time.Second
	want := []time.Duration{0, 0, 0, 0, s, s, s, s, 2 * s, 2 * s}
	if got := arrived["/deals/search"]; !slices.Equal(got, want) {
		t.Errorf("search arrivals %v, want %v", got, want)
	}
	for _, d := range clock.Sleeps() {
		if d > time.Second {
			t.Errorf("waited %v, more than one window", d)
		}
	}
	if got := c.Stats().Snapshot().ByBucket; got["search"] != 10 || got["app"] != 10 {
		t.Errorf("ByBucket = %v, want 10 each (limit 0 is unpaced but counted)", got)
	}
}

func TestPacingAppliesToRetriesAndAllMatchingBuckets(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	var (
		mu      sync.Mutex
		arrived []time.Duration
	)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived = append(arrived, clock.Now().Sub(t0))
		n := len(arrived)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
		}
	})
	c := newTestClient(t, srv, clock, func(o *Options) {
		o.Buckets = []Bucket{
			{Name: "app", Limit: 100, Per: 10 * time.Second},
			{Name: "strict", Limit: 1, Per: 5 * time.Second},
		}
	})
	for range 2 {
		if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Attempt 1 at 0 s (429, Retry-After 1 s); the retry waits 1 s, then the
	// strict bucket holds it until 5 s; the next call waits until 10 s.
	want := []time.Duration{0, 5 * time.Second, 10 * time.Second}
	if !slices.Equal(arrived, want) {
		t.Errorf("arrivals %v, want %v", arrived, want)
	}
	if got := c.Stats().Snapshot().ByBucket; got["app"] != 3 || got["strict"] != 3 {
		t.Errorf("ByBucket = %v, want 3 each (retries count)", got)
	}
}
