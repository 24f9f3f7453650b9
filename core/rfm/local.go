package rfm

import (
	"errors"
	"strings"
	"time"
)

// Skip reasons of connector records whose instants cannot be placed.
const (
	// SkipNoOffset: a datetime from a CRM without a UTC offset. A CRM that
	// sends server-local times needs its zone configured; reading such a
	// time as UTC would shift every order by hours.
	SkipNoOffset Skip = "no_offset"
)

var errNoOffset = errors.New("datetime has no UTC offset")

// ParseCRMInstant parses a datetime as a connector delivers it: an RFC 3339
// instant with Z or ±hh:mm, Salesforce's ±hhmm (2024-05-01T13:45:10.000+0000),
// or a date alone (00:00 UTC, the contract's rule for dates, e.g. a
// CloseDate). A datetime without an offset is an error (SkipNoOffset),
// never silently UTC.
func ParseCRMInstant(s string) (Instant, Skip) {
	if len(s) > 10 {
		n, ok := normaliseOffset(s)
		if !ok {
			return 0, SkipNoOffset
		}
		s = n
	}
	t, err := ParseInstant(s)
	if err != nil {
		return 0, SkipBadClosedAt
	}
	return t, SkipNone
}

// normaliseOffset rewrites a ±hhmm offset as ±hh:mm and reports whether s
// ends in an offset at all.
func normaliseOffset(s string) (string, bool) {
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return s, true
	}
	if len(s) >= 6 && (s[len(s)-6] == '+' || s[len(s)-6] == '-') && s[len(s)-3] == ':' {
		return s, true
	}
	if len(s) >= 5 && (s[len(s)-5] == '+' || s[len(s)-5] == '-') && allDigits(s[len(s)-4:]) {
		return s[:len(s)-2] + ":" + s[len(s)-2:], true
	}
	return s, false
}

// ParseLocal reads a wall-clock value in layout (a Go time layout without
// a zone) as a time in loc, with the two DST cases defined rather than left
// to chance:
//
//   - a time in a spring-forward gap (02:30 on a day that jumps from 02:00
//     to 03:00) does not exist; it is read with the offset in force before
//     the gap, which lands it as far past the jump as it was past 02:00
//     (03:30 local), as most databases do;
//   - a time in a repeated autumn hour (02:30 happens twice) is the first
//     occurrence, the earlier instant.
//
// vtenext datetimes ("2024-03-31 02:30:00", server-local) and user-format
// dates go through here.
func ParseLocal(layout, value string, loc *time.Location) (Instant, error) {
	naive, err := time.ParseInLocation(layout, value, time.UTC)
	if err != nil {
		return 0, err
	}
	return InstantOf(wallToInstant(naive, loc)), nil
}

// wallToInstant finds the instant whose wall clock in loc reads as naive
// (given in UTC only to carry its fields).
func wallToInstant(naive time.Time, loc *time.Location) time.Time {
	// The candidate offsets are those in force a day either side: no zone
	// changes its offset twice within two days.
	_, before := naive.Add(-26 * time.Hour).In(loc).Zone()
	_, after := naive.Add(26 * time.Hour).In(loc).Zone()
	var best time.Time
	for _, off := range []int{before, after} {
		t := naive.Add(-time.Duration(off) * time.Second)
		if sameWall(t.In(loc), naive) && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	if !best.IsZero() {
		return best
	}
	// In a gap: no instant has this wall time; use the offset before it.
	return naive.Add(-time.Duration(before) * time.Second)
}

func sameWall(t, naive time.Time) bool {
	y1, m1, d1 := t.Date()
	y2, m2, d2 := naive.Date()
	return y1 == y2 && m1 == m2 && d1 == d2 && t.Hour() == naive.Hour() &&
		t.Minute() == naive.Minute() && t.Second() == naive.Second() && t.Nanosecond() == naive.Nanosecond()
}
