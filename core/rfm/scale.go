package rfm

import (
	"fmt"
	"slices"
)

// Method is how one metric's raw value becomes a 1..bins score.
type Method string

// The scoring methods. Quantile is the default.
const (
	Quantile  Method = "quantile"
	Threshold Method = "threshold"
)

// Metric names one of the three RFM dimensions.
type Metric string

// The three metrics.
const (
	Recency   Metric = "r"
	Frequency Metric = "f"
	Monetary  Metric = "m"
)

// Scale scores one metric. Cuts are used by Threshold only: bins−1 strictly
// ascending cut points; for R they are days, for F counts, for M money.
type Scale struct {
	Method Method
	Cuts   []Money
}

// MinBins and MaxBins bound the number of score levels.
const (
	MinBins     = 2
	MaxBins     = 9
	DefaultBins = 5
)

// Validate checks a scale against the bin count.
func (s Scale) Validate(bins int) error {
	switch s.Method {
	case Quantile, "":
		if len(s.Cuts) > 0 {
			return fmt.Errorf("cuts are only used by the threshold method")
		}
	case Threshold:
		if len(s.Cuts) != bins-1 {
			return fmt.Errorf("threshold needs bins−1 = %d cut points, got %d", bins-1, len(s.Cuts))
		}
		for i := 1; i < len(s.Cuts); i++ {
			if s.Cuts[i].Cmp(s.Cuts[i-1]) <= 0 {
				return fmt.Errorf("cut points must be strictly ascending: %s is not above %s", s.Cuts[i], s.Cuts[i-1])
			}
		}
	default:
		return fmt.Errorf("unknown method %q (want quantile or threshold)", s.Method)
	}
	return nil
}

// quantileScores scores values by percentile: score = 1 + floor(bins·(rank−1)/N)
// with rank = 1 + the number of values strictly smaller, so ties share a score
// and the lowest value always scores 1. Larger values are better.
// Values are sorted as (value, index) pairs, which keeps the sort cache-friendly.
func quantileScores[T any](vals []T, bins int, compare func(a, b T) int) []uint8 {
	type pair struct {
		v T
		i int32
	}
	n := len(vals)
	pairs := make([]pair, n)
	for i, v := range vals {
		pairs[i] = pair{v, int32(i)}
	}
	slices.SortFunc(pairs, func(a, b pair) int { return compare(a.v, b.v) })
	out := make([]uint8, n)
	rank := 1
	for k, p := range pairs {
		if k > 0 && compare(pairs[k-1].v, p.v) != 0 {
			rank = k + 1
		}
		out[p.i] = uint8(1 + int64(bins)*int64(rank-1)/int64(n))
	}
	return out
}

// thresholdHigher scores a metric where more is better: 1 + #{c : value > c}.
func thresholdHigher(v Money, cuts []Money) uint8 {
	s := uint8(1)
	for _, c := range cuts {
		if v.Cmp(c) > 0 {
			s++
		}
	}
	return s
}

// thresholdRecency scores recency in days: bins − #{c : recency_days ≥ c}.
func thresholdRecency(days int64, cuts []Money, bins int) uint8 {
	d := MoneyFromInt(days)
	s := bins
	for _, c := range cuts {
		if d.Cmp(c) >= 0 {
			s--
		}
	}
	return uint8(s)
}
