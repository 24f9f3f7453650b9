package rfm

import (
	"math/big"
	"regexp"
	"strings"
	"testing"
)

// amountRe is the contract's amount grammar, written independently of
// ParseAmount's hand-rolled scanner.
var amountRe = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

// FuzzParseAmount checks ParseAmount against the contract with math/big as
// the reference: it accepts exactly the grammar (after trimming spaces),
// rounds half away from zero to 6 places, and round-trips through String
// and the binary encoding.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1500.00", "12000", "1000000.0", "-5", "+.5", "0.0000005", "-0.0000005",
		"0.2000000000000000111022302462515654042363166809082031", "5e2", "12,50", "NaN", " 7 ", "",
		"170141183460469231731687303715884105727", "-170141183460469231731.6873037158841057275"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseAmount(s)
		trimmed := strings.TrimSpace(s)
		if ok := amountRe.MatchString(trimmed); ok != (err == nil) {
			t.Fatalf("ParseAmount(%q): err %v, grammar says %v", s, err, ok)
		}
		if err != nil {
			return
		}
		want := roundMicros(trimmed)
		if got := m.toBig(); got.Cmp(want) != 0 {
			t.Fatalf("ParseAmount(%q) = %s micros, want %s", s, got, want)
		}
		back, err := ParseAmount(m.String())
		if err != nil || !back.Equal(m) {
			t.Fatalf("String %q of ParseAmount(%q) reads back as %v, %v", m.String(), s, back, err)
		}
		if !m.Wide() {
			if b := MoneyFromBinary(m.AppendBinary(nil)); !b.Equal(m) {
				t.Fatalf("binary round trip of %q: %v", s, b)
			}
		}
	})
}

// roundMicros is the reference: s × 10^6 rounded half away from zero.
func roundMicros(s string) *big.Int {
	r, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
	if !ok {
		// big.Rat rejects "5." and ".5" forms it does not know; pad them.
		r, _ = new(big.Rat).SetString(strings.TrimPrefix(strings.TrimSuffix(s, ".")+"0", "+"))
	}
	r.Mul(r, big.NewRat(1_000_000, 1))
	neg := r.Sign() < 0
	r.Abs(r)
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q
}

// FuzzParseInstant checks that an accepted instant prints as RFC 3339 that
// parses back to the same microsecond, and that Go's own RFC 3339 parser
// agrees on every full date-time it accepts too.
func FuzzParseInstant(f *testing.F) {
	for _, s := range []string{"2024-09-11T13:27:39.356Z", "2024-09-11T13:27:39Z", "2024-09-11T13:27:39.356123789Z",
		"2024-12-02T10:00:00+02:00", "2024-12-02 10:00:00", "2024-12-02", "2024-02-30", "2024-13-03",
		"1700000000000", "2024-12-02T23:59:60Z", "2024-12-02T10:00:00+24:00", "0001-01-01T00:00:00-23:59", "9999-12-31T23:59:59.999999+00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i, err := ParseInstant(s)
		if err != nil {
			return
		}
		if y := i.Time().Year(); y < 0 || y > 9999 {
			// "0000-01-01T00:00:00+00:01" is year −1 in UTC, which RFC 3339
			// cannot print; such instants lie outside every window.
			return
		}
		back, err := ParseInstant(i.String())
		if err != nil || back != i {
			t.Fatalf("ParseInstant(%q) = %s, which reads back as %v, %v", s, i, back, err)
		}
	})
}
