package hubspottest

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// formatTime renders t the way HubSpot does: ISO-8601 UTC with Z, milliseconds
// precision, and no fraction at all when the milliseconds are zero
// ("2026-06-15T00:00:00Z", §0) so clients must parse optional fractions.
func formatTime(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// epochMS reports t as Unix epoch milliseconds.
func epochMS(t time.Time) float64 { return float64(t.UnixMilli()) }

var epochRe = regexp.MustCompile(`^-?[0-9]+$`)

// parseTimeInput accepts what HubSpot accepts for datetime values on writes
// and in search filters: epoch milliseconds or ISO-8601 (with or without a
// fraction or zone; a bare date means midnight UTC).
func parseTimeInput(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if epochRe.MatchString(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseDateInput accepts a date-type value: YYYY-MM-DD or epoch milliseconds
// that fall exactly on midnight UTC (§5.2); anything else is INVALID_DATE.
func parseDateInput(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if epochRe.MatchString(s) {
		t, ok := parseTimeInput(s)
		if !ok || !t.Equal(t.Truncate(24*time.Hour)) {
			return time.Time{}, false
		}
		return t, true
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

var numberRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// isNumber reports whether s is a number HubSpot accepts: digits with at most
// one decimal point (§5.2). Exponents are rejected, as observed
// ("1.4210854715202004e-14 was not a valid number.").
func isNumber(s string) bool { return numberRe.MatchString(s) }

// parseNumber converts a stored number string for comparisons.
func parseNumber(s string) (float64, bool) {
	if !isNumber(strings.TrimSpace(s)) {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}

// mulDecimal multiplies two decimal strings exactly and prints the result
// without trailing zeros; ok is false when either is not a number.
func mulDecimal(a, b string) (string, bool) {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	if !ok1 || !ok2 {
		return "", false
	}
	out := new(big.Rat).Mul(x, y).FloatString(10)
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}
	return out, true
}
