package rfm

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
)

// RateOp says how a conversion rate applies to an amount.
type RateOp int

const (
	// Multiply: home = amount × rate (a rate quoted as home per unit).
	Multiply RateOp = iota
	// Divide: home = amount ÷ rate, as Salesforce's CurrencyType
	// (ConversionRate = units per corporate unit) and vtenext's
	// conversion_rate (hdnGrandTotal / conversion_rate) quote it.
	Divide
)

var rateRE = regexp.MustCompile(`^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)

var errRate = errors.New("conversion rate is not a positive decimal")

// ConvertRate converts an amount into the home currency by a decimal rate,
// exactly: the product or quotient is computed as a rational number and
// rounded half away from zero to 6 decimals, the contract's precision for
// amounts. The rate must be a positive decimal in the contract's amount
// grammar (no exponent, no separators).
func ConvertRate(amount Money, rate string, op RateOp) (Money, error) {
	// The rate keeps every digit it has: rounding it to 6 places first
	// would bias every converted amount.
	rate = strings.TrimSpace(rate)
	if !rateRE.MatchString(rate) {
		return Money{}, errRate
	}
	a, ok1 := new(big.Rat).SetString(amount.String())
	r, ok2 := new(big.Rat).SetString(rate)
	if !ok1 || !ok2 || r.Sign() <= 0 {
		return Money{}, errRate
	}
	if op == Divide {
		a.Quo(a, r)
	} else {
		a.Mul(a, r)
	}
	return ParseAmount(roundRat6(a))
}

// roundRat6 renders x rounded half away from zero to 6 decimals.
func roundRat6(x *big.Rat) string {
	neg := x.Sign() < 0
	abs := new(big.Rat).Abs(x)
	scaled := new(big.Rat).Mul(abs, big.NewRat(1_000_000, 1))
	q, rem := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	// Round up when the remainder is at least half the denominator.
	if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(scaled.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	s := q.String()
	if len(s) <= 6 {
		s = strings.Repeat("0", 7-len(s)) + s
	}
	out := s[:len(s)-6] + "." + s[len(s)-6:]
	if neg && q.Sign() != 0 {
		out = "-" + out
	}
	return out
}
