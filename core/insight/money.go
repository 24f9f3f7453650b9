package insight

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// Float returns m as a float64, for drawing only: figures people read are
// formatted from the exact value.
func Float(m rfm.Money) float64 {
	f, _ := strconv.ParseFloat(m.String(), 64)
	return f
}

// DivRound2 returns m ÷ n rounded half away from zero to the cent, exactly
// (zero when n is 0).
func DivRound2(m rfm.Money, n int64) rfm.Money {
	if n == 0 {
		return rfm.Money{}
	}
	num, ok := new(big.Rat).SetString(m.String())
	if !ok {
		return rfm.Money{}
	}
	q := num.Quo(num, new(big.Rat).SetInt64(n))
	// Cents, rounded half away from zero.
	c := new(big.Rat).Mul(q, big.NewRat(100, 1))
	neg := c.Sign() < 0
	c.Abs(c)
	c.Add(c, big.NewRat(1, 2))
	cents := new(big.Int).Quo(c.Num(), c.Denom())
	if neg {
		cents.Neg(cents)
	}
	s := new(big.Rat).SetFrac(cents, big.NewInt(100)).FloatString(2)
	out, err := rfm.ParseAmount(s)
	if err != nil {
		return rfm.Money{}
	}
	return out
}

// FormatMoney prints m to the cent with thousands separators: "1,234,567.89".
// No currency sign: amounts are in the CRM's home currency, whatever it is.
func FormatMoney(m rfm.Money) string {
	s := m.Round2()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}

// FormatShort prints m rounded for an axis or a tight table: "12.3k", "4.5M".
func FormatShort(v float64) string {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 1e9:
		return trimZero(strconv.FormatFloat(v/1e9, 'f', 1, 64)) + "G"
	case a >= 1e6:
		return trimZero(strconv.FormatFloat(v/1e6, 'f', 1, 64)) + "M"
	case a >= 1e3:
		return trimZero(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	case a >= 10 || a == 0:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return trimZero(strconv.FormatFloat(v, 'f', 2, 64))
}

// FormatCount prints n with thousands separators: "1,976".
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// plain prints an exact amount without trailing zeros: "12.5", "3".
func plain(m rfm.Money) string { return trimZero(m.String()) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func join(parts []string, sep string) string { return strings.Join(parts, sep) }
