package rfm

import (
	"errors"
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

// ParseInstant parses closed_at per the contract: an RFC 3339 date-time with
// its offset honoured, the same without an offset (UTC), or a date alone
// (00:00 UTC). The grammar is RFC 3339's, strictly: two-digit fields, seconds
// required, a '.' fraction, 'T', 't' or a space between date and time,
// offsets up to ±23:59, no leap second, no surrounding spaces. Precision is
// microseconds: finer digits are truncated toward the past.
func ParseInstant(s string) (Instant, error) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, errInstant
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return 0, errInstant
	}
	secs := daysFromCivil(year, month, day) * DaySeconds
	if len(s) == 10 {
		return Instant(secs * 1_000_000), nil
	}
	t := s[10:]
	if len(t) < 9 || (t[0] != 'T' && t[0] != 't' && t[0] != ' ') || t[3] != ':' || t[6] != ':' {
		return 0, errInstant
	}
	hh, ok1 := digits(t[1:3])
	mm, ok2 := digits(t[4:6])
	ss, ok3 := digits(t[7:9])
	if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 59 {
		return 0, errInstant
	}
	secs += int64(hh)*3600 + int64(mm)*60 + int64(ss)
	t = t[9:]
	var micros int64
	if len(t) > 0 && t[0] == '.' {
		n := 1
		for n < len(t) && t[n] >= '0' && t[n] <= '9' {
			if n <= 6 {
				micros = micros*10 + int64(t[n]-'0')
			}
			n++
		}
		if n == 1 {
			return 0, errInstant
		}
		for k := n; k <= 6; k++ {
			micros *= 10
		}
		t = t[n:]
	}
	switch {
	case t == "" || t == "Z" || t == "z":
	case len(t) == 6 && (t[0] == '+' || t[0] == '-') && t[3] == ':':
		oh, ok1 := digits(t[1:3])
		om, ok2 := digits(t[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, errInstant
		}
		off := int64(oh)*3600 + int64(om)*60
		if t[0] == '+' {
			off = -off
		}
		secs += off
	default:
		return 0, errInstant
	}
	return Instant(secs*1_000_000 + micros), nil
}

// digits parses a fixed-width run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil counts days from 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's algorithm), so parsing needs no time.Parse.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
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
