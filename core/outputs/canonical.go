package outputs

import (
	"math/big"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// TimeLayout is how rfmsync writes datetimes: ISO 8601 in UTC with
// milliseconds, a form every supported CRM accepts.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// DateLayout is how rfmsync writes dates (the UTC calendar day).
const DateLayout = "2006-01-02"

// FormatTime renders an instant as a datetime value.
func FormatTime(i rfm.Instant) string { return i.Time().Format(TimeLayout) }

// FormatDate renders an instant's UTC day as a date value.
func FormatDate(i rfm.Instant) string { return i.Time().Format(DateLayout) }

// readLayouts are the datetime forms CRMs hand back: RFC 3339 with or
// without fraction, and Salesforce's offset without a colon (+0000).
var readLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700"}

// Canonical returns the one form of a value of kind k, so values that only
// look different compare equal: numbers 545, 545.0 and "545.000"; datetimes
// …Z and ….000+0000; a date and that day's midnight. A value that does not
// parse as its kind is returned unchanged (and so compares as text), and ""
// stays "" (a cleared field).
func Canonical(k Kind, v string) string {
	s := strings.TrimSpace(v)
	if s == "" {
		return ""
	}
	switch k {
	case Number:
		if c, ok := canonicalNumber(s); ok {
			return c
		}
	case DateTime:
		if t, ok := parseTime(s); ok {
			return t.UTC().Format(TimeLayout)
		}
	case Date:
		if t, err := time.Parse(DateLayout, s); err == nil {
			return t.Format(DateLayout)
		}
		if t, ok := parseTime(s); ok {
			return t.UTC().Format(DateLayout)
		}
	}
	return v
}

// Equal reports whether a and b are the same value of kind k.
func Equal(k Kind, a, b string) bool { return a == b || Canonical(k, a) == Canonical(k, b) }

func parseTime(s string) (time.Time, bool) {
	for _, l := range readLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// canonicalNumber renders a decimal exactly, without a sign on zero,
// leading zeros or trailing fraction zeros: "0545.50" → "545.5".
// Exponents (5.45E2, as JSON encoders write doubles) are accepted.
func canonicalNumber(s string) (string, bool) {
	if c, ok := canonicalPlain(s); ok {
		return c, true
	}
	if strings.ContainsAny(s, "/_, ") || strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return "", false
	}
	return canonicalRat(s)
}

// canonicalPlain is canonicalNumber for a plain decimal (an optional
// sign, digits, at most one point): nearly every value, here without
// big.Rat, whose parse costs microseconds a diff of many changes feels.
func canonicalPlain(s string) (string, bool) {
	neg, body := false, s
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg, body = body[0] == '-', body[1:]
	}
	whole, frac, _ := strings.Cut(body, ".")
	if whole == "" && frac == "" {
		return "", false
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return "", false
			}
		}
	}
	whole, frac = strings.TrimLeft(whole, "0"), strings.TrimRight(frac, "0")
	if whole == "" {
		whole = "0"
	}
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out, true
}

// canonicalRat is canonicalNumber through big.Rat: exponents and the rest.
func canonicalRat(s string) (string, bool) {
	var r big.Rat
	if _, ok := r.SetString(s); !ok {
		return "", false
	}
	if r.IsInt() {
		return r.Num().String(), true
	}
	// A decimal's denominator divides a power of ten; 40 places cover any
	// value a CRM number field holds. Anything else (a repeating fraction
	// cannot come from decimal text) is rendered at that precision.
	out := strings.TrimRight(r.FloatString(40), "0")
	return strings.TrimSuffix(out, "."), true
}
