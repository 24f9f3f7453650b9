package rfm

import (
	"errors"
	"math/bits"
	"strings"
)

// Money is an exact signed decimal amount in micro-units (6 decimal places),
// held in 128 bits so that sums of any realistic order book cannot overflow
// and never pass through a float: 10.10 + 20.20 is exactly 30.30.
type Money struct {
	hi int64  // high word, two's complement
	lo uint64 // low word
}

// microsPerUnit is the scale of Money: the contract rounds amounts to 6 places.
const microsPerUnit = 1_000_000

var (
	errAmountSyntax = errors.New("amount is not a plain decimal number")
	errAmountRange  = errors.New("amount is too large")
)

// MoneyFromMicros returns the amount of n micro-units.
func MoneyFromMicros(n int64) Money {
	return Money{hi: n >> 63, lo: uint64(n)}
}

// MoneyFromInt returns n whole units.
func MoneyFromInt(n int64) Money {
	return MoneyFromMicros(n).mulSmall(microsPerUnit)
}

// Add returns m + o.
func (m Money) Add(o Money) Money {
	lo, carry := bits.Add64(m.lo, o.lo, 0)
	hi, _ := bits.Add64(uint64(m.hi), uint64(o.hi), carry)
	return Money{hi: int64(hi), lo: lo}
}

// Neg returns −m.
func (m Money) Neg() Money {
	lo, borrow := bits.Sub64(0, m.lo, 0)
	hi, _ := bits.Sub64(0, uint64(m.hi), borrow)
	return Money{hi: int64(hi), lo: lo}
}

// Sub returns m − o.
func (m Money) Sub(o Money) Money { return m.Add(o.Neg()) }

// Sign returns -1, 0 or +1.
func (m Money) Sign() int {
	switch {
	case m.hi < 0:
		return -1
	case m.hi == 0 && m.lo == 0:
		return 0
	default:
		return 1
	}
}

// IsZero reports whether m is exactly zero.
func (m Money) IsZero() bool { return m.hi == 0 && m.lo == 0 }

// Cmp compares m and o: -1 if m < o, 0 if equal, +1 if m > o.
func (m Money) Cmp(o Money) int {
	switch {
	case m.hi < o.hi:
		return -1
	case m.hi > o.hi:
		return 1
	case m.lo < o.lo:
		return -1
	case m.lo > o.lo:
		return 1
	}
	return 0
}

// Micros returns m in micro-units and whether it fits in an int64.
func (m Money) Micros() (int64, bool) {
	n := int64(m.lo)
	return n, m.hi == n>>63
}

// abs returns |m| as an unsigned 128-bit value (hi, lo).
func (m Money) abs() (uint64, uint64) {
	if m.hi < 0 {
		n := m.Neg()
		return uint64(n.hi), n.lo
	}
	return uint64(m.hi), m.lo
}

// MulInt returns m·k exactly (k a whole number, e.g. a quantity).
func (m Money) MulInt(k int64) Money {
	if k < 0 {
		return m.mulSmall(uint64(-k)).Neg()
	}
	return m.mulSmall(uint64(k))
}

func (m Money) mulSmall(k uint64) Money {
	neg := m.hi < 0
	hi, lo := m.abs()
	h1, l := bits.Mul64(lo, k)
	_, h2 := bits.Mul64(hi, k)
	r := Money{hi: int64(h1 + h2), lo: l}
	if neg {
		return r.Neg()
	}
	return r
}

// divmod10 divides the unsigned 128-bit (hi, lo) by d, returning quotient and remainder.
func divmod(hi, lo, d uint64) (qhi, qlo, rem uint64) {
	qhi, r := bits.Div64(0, hi, d)
	qlo, rem = bits.Div64(r, lo, d)
	return qhi, qlo, rem
}

// String prints m with all 6 decimal places, e.g. "-12.500000".
func (m Money) String() string { return m.format(6) }

// Round2 prints m rounded half away from zero to 2 decimal places, the way
// monetary is reported: "30.30", "-0.01". A value that rounds to zero prints "0.00".
func (m Money) Round2() string { return m.format(2) }

// format prints m with places (0..6) decimals, rounding half away from zero.
func (m Money) format(places int) string {
	neg := m.hi < 0
	hi, lo := m.abs()
	div := uint64(1)
	for i := places; i < 6; i++ {
		div *= 10
	}
	if div > 1 {
		var rem uint64
		hi, lo, rem = divmod(hi, lo, div)
		if rem*2 >= div {
			var c uint64
			lo, c = bits.Add64(lo, 1, 0)
			hi += c
		}
	}
	// Decimal digits of the scaled magnitude, least significant first.
	var buf [48]byte
	i := len(buf)
	for n := 0; hi != 0 || lo != 0 || n <= places; n++ {
		var d uint64
		hi, lo, d = divmod(hi, lo, 10)
		i--
		buf[i] = byte('0' + d)
		if n == places-1 {
			i--
			buf[i] = '.'
		}
	}
	s := string(buf[i:])
	if neg && strings.Trim(s, "0.") != "" {
		s = "-" + s
	}
	return s
}

// ParseAmount parses an amount the way the scoring contract demands: trimmed,
// it must match ^[+-]?(\d+(\.\d*)?|\.\d+)$ — no exponent, thousands separator,
// currency sign or NaN — and is rounded half away from zero to 6 decimal places.
func ParseAmount(s string) (Money, error) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if (intPart == "" && frac == "") || (!hasDot && intPart == "") || !allDigits(intPart) || !allDigits(frac) {
		return Money{}, errAmountSyntax
	}
	var hi, lo uint64
	push := func(d byte) bool {
		// (hi, lo) = (hi, lo)*10 + d, failing on overflow past 127 bits.
		h1, l := bits.Mul64(lo, 10)
		h2hi, h2 := bits.Mul64(hi, 10)
		var c uint64
		l, c = bits.Add64(l, uint64(d), 0)
		nh, c2 := bits.Add64(h1, h2, c)
		if h2hi != 0 || c2 != 0 || nh>>63 != 0 {
			return false
		}
		hi, lo = nh, l
		return true
	}
	for i := 0; i < len(intPart); i++ {
		if !push(intPart[i] - '0') {
			return Money{}, errAmountRange
		}
	}
	for i := 0; i < 6; i++ {
		d := byte(0)
		if i < len(frac) {
			d = frac[i] - '0'
		}
		if !push(d) {
			return Money{}, errAmountRange
		}
	}
	// Half away from zero: the magnitude rounds up when the 7th decimal is 5 or more.
	if len(frac) > 6 && frac[6] >= '5' {
		var c uint64
		lo, c = bits.Add64(lo, 1, 0)
		hi += c
		if hi>>63 != 0 {
			return Money{}, errAmountRange
		}
	}
	m := Money{hi: int64(hi), lo: lo}
	if neg {
		m = m.Neg()
	}
	return m, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MarshalText encodes m exactly (6 places) for state and config files.
func (m Money) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes a value written by MarshalText (or any contract amount).
func (m *Money) UnmarshalText(b []byte) error {
	v, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// AppendBinary appends m's fixed 16-byte big-endian form, for compact state records.
func (m Money) AppendBinary(b []byte) []byte {
	u := uint64(m.hi)
	for s := 56; s >= 0; s -= 8 {
		b = append(b, byte(u>>uint(s)))
	}
	for s := 56; s >= 0; s -= 8 {
		b = append(b, byte(m.lo>>uint(s)))
	}
	return b
}

// MoneyFromBinary decodes the 16-byte form written by AppendBinary.
func MoneyFromBinary(b []byte) Money {
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return Money{hi: int64(hi), lo: lo}
}
