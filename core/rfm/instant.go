package rfm

import (
	"errors"
	"strings"
	"time"
)

// Instant is a point in time in microseconds since the Unix epoch, the
// contract's precision. Integers keep window arithmetic exact.
type Instant int64

// DaySeconds is the contract's day: exactly 86,400 s, no calendar arithmetic.
const DaySeconds = 86_400

// microsPerDay is one contract day in Instant units.
const microsPerDay = DaySeconds * 1_000_000

var errInstant = errors.New("not an RFC 3339 date-time or YYYY-MM-DD date")

// InstantOf converts t to an Instant, truncating sub-microsecond precision
// toward the past, so 00:00:00.0000009 stays in its microsecond.
func InstantOf(t time.Time) Instant {
	return Instant(t.Unix()*1_000_000 + int64(t.Nanosecond()/1_000))
}

// Time returns the Instant as a UTC time.
func (i Instant) Time() time.Time {
	return time.UnixMicro(int64(i)).UTC()
}

// String formats the instant as RFC 3339 in UTC with microseconds when present.
func (i Instant) String() string {
	return i.Time().Format("2006-01-02T15:04:05.999999Z07:00")
}

// instantLayouts are tried in order. RFC 3339 honours the offset; a value
// without one is UTC; a space may stand for the 'T', as RFC 3339 allows.
var instantLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
}

// ParseInstant parses closed_at per the contract: RFC 3339 offsets are
// honoured, a value without offset is UTC, a date-only value is 00:00 UTC of
// that day, and precision is microseconds (finer digits are truncated).
func ParseInstant(s string) (Instant, error) {
	s = strings.TrimSpace(s)
	if len(s) == len("2006-01-02") {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return 0, errInstant
		}
		return InstantOf(t), nil
	}
	if len(s) > 10 && (s[10] == ' ' || s[10] == 't') {
		s = s[:10] + "T" + s[11:]
	}
	if n := len(s); n > 0 && s[n-1] == 'z' {
		s = s[:n-1] + "Z"
	}
	for _, layout := range instantLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return InstantOf(t), nil
		}
	}
	return 0, errInstant
}

// Window is the look-back window of one run: orders count when
// AsOf − Days·86,400 s < closed_at ≤ AsOf.
type Window struct {
	AsOf Instant
	Days int
}

// Start is the exclusive lower bound of the window.
func (w Window) Start() Instant { return w.AsOf - Instant(int64(w.Days)*microsPerDay) }

// Contains reports whether t lies inside the window.
func (w Window) Contains(t Instant) bool { return t > w.Start() && t <= w.AsOf }

// RecencyDays is floor((AsOf − last) / 86,400 s).
func (w Window) RecencyDays(last Instant) int64 {
	d := int64(w.AsOf - last)
	q := d / microsPerDay
	if d%microsPerDay < 0 {
		q--
	}
	return q
}
