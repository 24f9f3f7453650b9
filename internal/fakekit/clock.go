package fakekit

import (
	"sync"
	"time"
)

// Clock is a fake's time source. Rate windows, token expiry, record stamps
// and visibility lags all read it, so a test drives them with Set and
// Advance instead of sleeping. In real-time mode it follows the wall clock
// (shifted by Set/Advance) so that a client's pacing can be measured against
// real limits.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	real   bool
	offset time.Duration
}

// NewClock returns a fake clock stopped at start, or a wall clock when real
// is true.
func NewClock(start time.Time, real bool) *Clock {
	return &Clock{now: start.UTC(), real: real}
}

// Now returns the current time in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		return time.Now().Add(c.offset).UTC()
	}
	return c.now
}

// Set moves the clock to t (backwards is allowed but makes windows odd).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		c.offset = time.Until(t)
		return
	}
	c.now = t.UTC()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		c.offset += d
		return
	}
	c.now = c.now.Add(d)
}
