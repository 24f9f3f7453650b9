package crmhttp

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Bucket paces the requests it matches so that no window of length Per
// holds more than Limit sends, before the CRM has to answer 429. HubSpot's
// ten-second app tier (100/110/190/250 per 10 s) and its search limit
// (5/s; configure 4 for headroom) are one bucket each. A request waits on
// every bucket that matches it before each attempt, retries included.
type Bucket struct {
	Name  string                   // reported in Stats.ByBucket
	Limit int                      // sends per window; 0 leaves matching requests unpaced (benchmarks) but counted
	Per   time.Duration            // window length
	Match func(*http.Request) bool // nil matches every request
	// Headroom widens the window by this fraction (0.03: 10 s become
	// 10.3 s), so sends spaced exactly at the limit on our clock cannot
	// arrive bunched inside the server's window after network jitter. It
	// costs that fraction of throughput.
	Headroom float64
	// Remaining, if set, reads the server's count of calls left in this
	// window from each response to a matching request (HubSpot's
	// X-HubSpot-RateLimit-Remaining). When it reports fewer left than
	// LowWater (default: Limit·Headroom, at least 1) the bucket holds its
	// next send back by one slot (Per/Limit) per missing call: other
	// clients of the same account are using the window too.
	Remaining HeaderParser
	LowWater  int
}

// bucket is a rolling-window limiter. A token bucket (x/time/rate with burst
// = Limit and rate = Limit/Per) would let up to 2×Limit through in the first
// window after an idle spell, which a server counting a rolling window (as
// HubSpot's TEN_SECONDLY_ROLLING does) answers with 429s. Instead each bucket
// remembers the scheduled times of its last Limit sends and schedules the
// next one no earlier than the oldest of them plus Per. Schedules are kept in
// order (a request never overtakes an earlier one in the same bucket), so the
// ring is sorted and the bound is exact.
type bucket struct {
	name      string
	limit     int
	per       time.Duration
	match     func(*http.Request) bool
	remaining HeaderParser
	lowWater  int

	mu   sync.Mutex
	ring []time.Time // scheduled send times, oldest at next
	next int
	last time.Time // latest scheduled send
	hold time.Time // no send before this (the server reported the window nearly full)
}

func newBucket(b Bucket) (*bucket, error) {
	switch {
	case b.Name == "":
		return nil, fmt.Errorf("pacing bucket: name is empty")
	case b.Limit < 0:
		return nil, fmt.Errorf("pacing bucket %q: limit %d is negative", b.Name, b.Limit)
	case b.Limit > 0 && b.Per <= 0:
		return nil, fmt.Errorf("pacing bucket %q: window %v must be positive", b.Name, b.Per)
	case b.Headroom < 0 || b.Headroom >= 1:
		return nil, fmt.Errorf("pacing bucket %q: headroom %v is not in [0, 1)", b.Name, b.Headroom)
	}
	per := b.Per + time.Duration(float64(b.Per)*b.Headroom)
	low := b.LowWater
	if low <= 0 {
		low = max(1, int(float64(b.Limit)*b.Headroom))
	}
	return &bucket{name: b.Name, limit: b.Limit, per: per, match: b.Match, remaining: b.Remaining,
		lowWater: low, ring: make([]time.Time, b.Limit)}, nil
}

// observe applies the server's count of calls left in the window.
func (b *bucket) observe(now time.Time, h http.Header) {
	if b.remaining == nil || b.limit == 0 {
		return
	}
	r, ok := b.remaining(h)
	if !ok || r.Remaining >= int64(b.lowWater) {
		return
	}
	slot := b.per / time.Duration(b.limit)
	hold := now.Add(slot * time.Duration(int64(b.lowWater)-r.Remaining))
	b.mu.Lock()
	if hold.After(b.hold) {
		b.hold = hold
	}
	b.mu.Unlock()
}

func (b *bucket) matches(req *http.Request) bool { return b.match == nil || b.match(req) }

// earliest is the first time ≥ t at which b may schedule a send. Caller holds b.mu.
func (b *bucket) earliest(t time.Time) time.Time {
	if b.limit == 0 {
		return t
	}
	if t.Before(b.last) {
		t = b.last
	}
	if t.Before(b.hold) {
		t = b.hold
	}
	if oldest := b.ring[b.next]; !oldest.IsZero() && t.Before(oldest.Add(b.per)) {
		t = oldest.Add(b.per)
	}
	return t
}

// record books a send at t (≥ earliest). Caller holds b.mu.
func (b *bucket) record(t time.Time) {
	if b.limit == 0 {
		return
	}
	b.ring[b.next] = t
	b.next = (b.next + 1) % b.limit
	b.last = t
}

// reserve books one send in every bucket at the earliest time all of them
// allow and returns that time. Buckets are locked in slice order (the order
// of Options.Buckets) so concurrent callers cannot deadlock. A reservation
// whose wait is later cancelled keeps its slot: conservative, never over limit.
func reserve(buckets []*bucket, now time.Time) time.Time {
	for _, b := range buckets {
		b.mu.Lock()
	}
	at := now
	for _, b := range buckets {
		at = b.earliest(at)
	}
	for _, b := range buckets {
		b.record(at)
		b.mu.Unlock()
	}
	return at
}

// pace waits until every bucket in buckets lets one more request through.
func (c *Client) pace(ctx context.Context, buckets []*bucket) error {
	if len(buckets) == 0 {
		return nil
	}
	now := c.now()
	at := reserve(buckets, now)
	if wait := at.Sub(now); wait > 0 {
		return c.sleep(ctx, wait)
	}
	return nil
}

// matching returns the buckets that pace req, in Options.Buckets order.
func (c *Client) matching(req *http.Request) []*bucket {
	var out []*bucket
	for _, b := range c.buckets {
		if b.matches(req) {
			out = append(out, b)
		}
	}
	return out
}

// observeBuckets hands a response's headers to the buckets pacing its request.
func (c *Client) observeBuckets(req *http.Request, h http.Header) {
	if req == nil {
		return
	}
	now := c.now()
	for _, b := range c.buckets {
		if b.remaining != nil && b.matches(req) {
			b.observe(now, h)
		}
	}
}
