package rfm

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"math/bits"
	"strings"
)

// Money is an exact signed decimal amount in micro-units (6 decimal places).
// It never passes through a float: 10.10 + 20.20 is exactly 30.30. Values are
// held in 128 bits, which covers any real order book without allocation; a
// value beyond ±1.7·10³² units moves to a big.Int, so no amount the contract
// accepts and no sum of them ever overflows.
type Money struct {
	hi  int64    // high word, two's complement
	lo  uint64   // low word
	big *big.Int // set (and hi, lo unused) when the value needs more than 128 bits
}

// microsPerUnit is the scale of Money: the contract rounds amounts to 6 places.
const microsPerUnit = 1_000_000

var errAmountSyntax = errors.New("amount is not a plain decimal number")

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
	if m.big == nil && o.big == nil {
		lo, carry := bits.Add64(m.lo, o.lo, 0)
		hi, _ := bits.Add64(uint64(m.hi), uint64(o.hi), carry)
		// Signed overflow: both operands share a sign the result lacks.
		if (m.hi < 0) != (int64(hi) < 0) && (m.hi < 0) == (o.hi < 0) {
			return fromBig(new(big.Int).Add(m.toBig(), o.toBig()))
		}
		return Money{hi: int64(hi), lo: lo}
	}
	return fromBig(new(big.Int).Add(m.toBig(), o.toBig()))
}

// Neg returns −m.
func (m Money) Neg() Money {
	if m.big != nil || (m.hi == math.MinInt64 && m.lo == 0) {
		return fromBig(new(big.Int).Neg(m.toBig()))
	}
	lo, borrow := bits.Sub64(0, m.lo, 0)
	hi, _ := bits.Sub64(0, uint64(m.hi), borrow)
	return Money{hi: int64(hi), lo: lo}
}

// Equal reports whether m and o are the same amount.
func (m Money) Equal(o Money) bool { return m.Cmp(o) == 0 }

// toBig returns m as a big.Int of micro-units.
func (m Money) toBig() *big.Int {
	if m.big != nil {
		return m.big
	}
	b := new(big.Int).SetInt64(m.hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(m.lo))
}

var (
	min128 = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 127))
	max128 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 127), big.NewInt(1))
)

// fromBig returns b in the 128-bit form when it fits, so the fast path is back.
func fromBig(b *big.Int) Money {
	if b.Cmp(min128) < 0 || b.Cmp(max128) > 0 {
		return Money{big: b}
	}
	var u big.Int
	u.And(b, new(big.Int).SetUint64(math.MaxUint64))
	lo := u.Uint64()
	var h big.Int
	h.Rsh(b, 64)
	return Money{hi: h.Int64(), lo: lo}
}

// Sub returns m − o.
func (m Money) Sub(o Money) Money { return m.Add(o.Neg()) }

// Sign returns -1, 0 or +1.
func (m Money) Sign() int {
	if m.big != nil {
		return m.big.Sign()
	}
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
func (m Money) IsZero() bool { return m.big == nil && m.hi == 0 && m.lo == 0 }

// Cmp compares m and o: -1 if m < o, 0 if equal, +1 if m > o.
func (m Money) Cmp(o Money) int {
	if m.big != nil || o.big != nil {
		return m.toBig().Cmp(o.toBig())
	}
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
	return n, m.big == nil && m.hi == n>>63
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
	if m.big != nil || m.hi > math.MaxInt32 || m.hi < math.MinInt32 || k > math.MaxInt32 || k < math.MinInt32 {
		return fromBig(new(big.Int).Mul(m.toBig(), big.NewInt(k)))
	}
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

// AppendRound2 appends Round2's text to b: a caller comparing a million
// values against stored bytes allocates nothing.
func (m Money) AppendRound2(b []byte) []byte {
	if m.big != nil {
		return append(b, formatBig(m.big, 2)...)
	}
	return m.appendSmall(b, 2)
}

// format prints m with places (0..6) decimals, rounding half away from zero.
func (m Money) format(places int) string {
	if m.big != nil {
		return formatBig(m.big, places)
	}
	var buf [56]byte
	return string(m.appendSmall(buf[:0], places))
}

// appendSmall is format for a value that fits 128 bits.
func (m Money) appendSmall(out []byte, places int) []byte {
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
	digits := buf[i:]
	if neg && len(bytes.Trim(digits, "0.")) > 0 { // no "-0.00"
		out = append(out, '-')
	}
	return append(out, digits...)
}

func formatBig(v *big.Int, places int) string {
	neg := v.Sign() < 0
	mag := new(big.Int).Abs(v)
	div := big.NewInt(1)
	for i := places; i < 6; i++ {
		div.Mul(div, big.NewInt(10))
	}
	q, r := new(big.Int).QuoRem(mag, div, new(big.Int))
	if r.Lsh(r, 1).Cmp(div) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	s := q.String()
	if places > 0 {
		for len(s) <= places {
			s = "0" + s
		}
		s = s[:len(s)-places] + "." + s[len(s)-places:]
	}
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
	// Half away from zero: the magnitude rounds up when the 7th decimal is 5 or more.
	roundUp := len(frac) > 6 && frac[6] >= '5'
	if len(intPart) <= maxFastIntDigits {
		return parseMicros64(neg, intPart, frac, roundUp), nil
	}
	return parseWide(neg, intPart, frac, roundUp), nil
}

// maxFastIntDigits bounds the whole-unit digits parseMicros64 takes:
// (10¹² − 1)·10⁶ + 999,999 + 1 micro-units fit an int64.
const maxFastIntDigits = 12

// parseMicros64 is ParseAmount's common path, for amounts whose micro-units
// fit 64 bits: the same value as parseWide, in one machine word.
func parseMicros64(neg bool, intPart, frac string, roundUp bool) Money {
	var v uint64
	for i := 0; i < len(intPart); i++ {
		v = v*10 + uint64(intPart[i]-'0')
	}
	for i := range 6 {
		v *= 10
		if i < len(frac) {
			v += uint64(frac[i] - '0')
		}
	}
	if roundUp {
		v++
	}
	n := int64(v)
	if neg {
		n = -n
	}
	return MoneyFromMicros(n)
}

// parseWide is ParseAmount's exact path for any magnitude: 128 bits, then
// a big.Int beyond.
func parseWide(neg bool, intPart, frac string, roundUp bool) Money {
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
	fits := true
	for i := 0; fits && i < len(intPart); i++ {
		fits = push(intPart[i] - '0')
	}
	for i := 0; fits && i < 6; i++ {
		d := byte(0)
		if i < len(frac) {
			d = frac[i] - '0'
		}
		fits = push(d)
	}
	if fits && roundUp {
		var c uint64
		lo, c = bits.Add64(lo, 1, 0)
		hi += c
		fits = hi>>63 == 0
	}
	if !fits {
		return parseBig(neg, intPart, frac, roundUp)
	}
	m := Money{hi: int64(hi), lo: lo}
	if neg {
		m = m.Neg()
	}
	return m
}

// parseBig is ParseAmount's path for magnitudes beyond 128 bits.
func parseBig(neg bool, intPart, frac string, roundUp bool) Money {
	f6 := frac
	if len(f6) > 6 {
		f6 = f6[:6]
	}
	f6 += strings.Repeat("0", 6-len(f6))
	v, _ := new(big.Int).SetString(intPart+f6, 10)
	if roundUp {
		v.Add(v, big.NewInt(1))
	}
	if neg {
		v.Neg(v)
	}
	return fromBig(v)
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

// Wide reports whether m is beyond 128 bits; AppendBinary cannot hold it
// and callers store its decimal String instead.
func (m Money) Wide() bool { return m.big != nil }

// AppendBinary appends m's fixed 16-byte big-endian form, for compact state
// records. It panics for a Wide value.
func (m Money) AppendBinary(b []byte) []byte {
	if m.big != nil {
		panic("rfm: AppendBinary of a value beyond 128 bits")
	}
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
