package rfm

import (
	"cmp"
	"fmt"
	"strconv"
)

// Params is everything that shapes scores, fixed for one run.
type Params struct {
	Bins     int
	R, F, M  Scale
	Segments *SegmentMap
	// NewCustomerDays, when > 0, puts customers whose earliest qualifying order
	// is less than that many days before asof into NewSegment; their scores
	// and ranks are unchanged.
	NewCustomerDays int
	NewSegment      Segment
}

// DefaultParams returns quantile scoring on 5 bins with the 11-segment map.
func DefaultParams() Params {
	m, err := NewSegmentMap(DefaultBins, ElevenSegments())
	if err != nil {
		panic(err) // the built-in map is covered by tests
	}
	return Params{Bins: DefaultBins, Segments: m}
}

// Validate checks the parameters.
func (p Params) Validate() error {
	if p.Bins < MinBins || p.Bins > MaxBins {
		return fmt.Errorf("bins %d is outside %d..%d", p.Bins, MinBins, MaxBins)
	}
	for _, s := range []struct {
		m Metric
		s Scale
	}{{Recency, p.R}, {Frequency, p.F}, {Monetary, p.M}} {
		if err := s.s.Validate(p.Bins); err != nil {
			return fmt.Errorf("%s: %w", s.m, err)
		}
	}
	if p.Segments == nil || p.Segments.Bins() != p.Bins {
		return fmt.Errorf("segment map is not defined for %d bins", p.Bins)
	}
	if p.NewCustomerDays > 0 && p.NewSegment.ID == "" {
		return fmt.Errorf("new-customer segment needs an id")
	}
	return nil
}

// Customer is one customer's key and aggregate, the input to scoring.
type Customer struct {
	Key string
	Agg Aggregate
}

// Score is one scored customer.
type Score struct {
	Key         string
	RecencyDays int64
	Frequency   int64
	Monetary    Money
	Last        Instant
	R, F, M     uint8
	Segment     Segment
	// New is set when the segment was replaced by the new-customer segment.
	New bool
}

// Code returns the RFM code, the three digits, e.g. "545".
func (s Score) Code() string {
	return string([]byte{'0' + s.R, '0' + s.F, '0' + s.M})
}

// FM is floor((f + m + 1) / 2), the combined F/M score segment rules use.
func FM(f, m int) int { return (f + m + 1) / 2 }

// ScoreAll scores every scorable customer (frequency > 0) against the others,
// in input order. It is a pure function of its inputs.
func ScoreAll(in []Customer, asof Instant, p Params) []Score {
	cs := make([]Customer, 0, len(in))
	for _, c := range in {
		if c.Agg.Scorable() {
			cs = append(cs, c)
		}
	}
	n := len(cs)
	out := make([]Score, n)
	if n == 0 {
		return out
	}
	w := Window{AsOf: asof}
	last := make([]Instant, n)
	freq := make([]int64, n)
	money := make([]Money, n)
	for i, c := range cs {
		last[i], freq[i], money[i] = c.Agg.Last, c.Agg.Frequency, c.Agg.Monetary
	}
	var r, f, m []uint8
	if p.R.Method == Threshold {
		r = thresholds(last, func(v Instant) uint8 { return thresholdRecency(w.RecencyDays(v), p.R.Cuts, p.Bins) })
	} else {
		r = quantileScores(last, p.Bins, cmp.Compare[Instant])
	}
	if p.F.Method == Threshold {
		f = thresholds(freq, func(v int64) uint8 { return thresholdHigher(MoneyFromInt(v), p.F.Cuts) })
	} else {
		f = quantileScores(freq, p.Bins, cmp.Compare[int64])
	}
	if p.M.Method == Threshold {
		m = thresholds(money, func(v Money) uint8 { return thresholdHigher(v, p.M.Cuts) })
	} else {
		m = quantileScores(money, p.Bins, Money.Cmp)
	}
	newBefore := asof - Instant(int64(p.NewCustomerDays)*microsPerDay)
	for i, c := range cs {
		s := Score{
			Key:         c.Key,
			RecencyDays: w.RecencyDays(c.Agg.Last),
			Frequency:   c.Agg.Frequency,
			Monetary:    c.Agg.Monetary,
			Last:        c.Agg.Last,
			R:           r[i], F: f[i], M: m[i],
		}
		s.Segment = p.Segments.Lookup(int(s.R), int(s.F), int(s.M))
		if p.NewCustomerDays > 0 && c.Agg.First > newBefore {
			s.Segment, s.New = p.NewSegment, true
		}
		out[i] = s
	}
	return out
}

func thresholds[T any](vals []T, score func(T) uint8) []uint8 {
	out := make([]uint8, len(vals))
	for i, v := range vals {
		out[i] = score(v)
	}
	return out
}

// itoa is strconv.Itoa, named for the segment grid printer.
func itoa(n int) string { return strconv.Itoa(n) }
