package crmhttp

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// rollingServer is a CRM enforcing limit calls per rolling window on the
// times calls arrive: the client's send time plus a random network delay of
// up to jitter. It answers 429 when a call would exceed the window, and
// reports calls left in X-Remaining. foreign calls per window are spent by
// another client of the same account.
type rollingServer struct {
	clock  *fakeClock
	limit  int
	per    time.Duration
	jitter time.Duration
	rng    *rand.Rand

	mu       sync.Mutex
	arrivals []time.Time
	got429   int
}

func (s *rollingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.clock.Now().Add(time.Duration(s.rng.Int64N(int64(s.jitter) + 1)))
	n := 0
	for _, a := range s.arrivals {
		if a.After(at.Add(-s.per)) && !a.After(at) {
			n++
		}
	}
	if n >= s.limit {
		s.got429++
		w.WriteHeader(429)
		return
	}
	s.arrivals = append(s.arrivals, at)
	w.Header().Set("X-Remaining", strconv.Itoa(s.limit-n-1))
	io.WriteString(w, `{}`)
}

// runClean sends calls through a client paced at the server's own limit
// with headroom h, and returns the 429s met and the throughput as a
// fraction of the ceiling.
func runClean(t *testing.T, h float64, calls int) (int, float64) {
	t.Helper()
	clock := newFakeClock()
	s := &rollingServer{clock: clock, limit: 100, per: 10 * time.Second, jitter: 200 * time.Millisecond,
		rng: rand.New(rand.NewPCG(1, 2))}
	srv := serve(t, s.ServeHTTP)
	c := newTestClient(t, srv, clock, func(o *Options) {
		o.MaxRetries = -1
		o.Buckets = []Bucket{{Name: "app", Limit: 100, Per: 10 * time.Second, Headroom: h,
			Remaining: RemainingHeader("X-Remaining", "")}}
	})
	start := clock.Now()
	for range calls {
		if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil && !errors.Is(err, crmerr.ErrRateLimited) {
			t.Fatal(err)
		}
	}
	elapsed := clock.Now().Sub(start)
	ceiling := float64(calls-100) / elapsed.Seconds() / 10 // the first 100 are a burst
	return s.got429, ceiling
}

// Paced at exactly the limit, network jitter bunches sends inside the
// server's rolling window and meets 429s; with 3 % headroom a clean run
// meets none and stays within 5 % of the ceiling.
func TestHeadroomAvoids429sWithinFivePercent(t *testing.T) {
	n0, _ := runClean(t, 0, 2000)
	t.Logf("no headroom: %d 429s", n0)
	if n0 == 0 {
		t.Errorf("without headroom met no 429: the jitter model does not bite")
	}
	n, rate := runClean(t, 0.03, 2000)
	t.Logf("3%% headroom: %d 429s, %.3f of the ceiling", n, rate)
	if n != 0 {
		t.Errorf("with 3%% headroom met %d 429s, want 0", n)
	}
	if rate < 0.95 || rate > 1 {
		t.Errorf("throughput %.3f of the ceiling, want within 5%%", rate)
	}
}

// When the server reports the window nearly full (another client of the
// account uses it), the bucket holds its next send back.
func TestRemainingHeaderHoldsTheBucket(t *testing.T) {
	clock := newFakeClock()
	var sent []time.Time
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		sent = append(sent, clock.Now())
		w.Header().Set("X-Remaining", "0")
		io.WriteString(w, `{}`)
	})
	c := newTestClient(t, srv, clock, func(o *Options) {
		o.Buckets = []Bucket{{Name: "app", Limit: 100, Per: 10 * time.Second, LowWater: 3,
			Remaining: RemainingHeader("X-Remaining", "")}}
	})
	for range 3 {
		if _, err := c.DoJSON(context.Background(), "GET", "/x", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// One slot is 100 ms; 0 left against a low water of 3 holds 3 slots.
	for i := 1; i < len(sent); i++ {
		if gap := sent[i].Sub(sent[i-1]); gap < 300*time.Millisecond {
			t.Errorf("send %d came %v after the previous, want ≥ 300ms", i, gap)
		}
	}
}
