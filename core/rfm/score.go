package rfm

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"
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
	// New is set when the segment was replaced by the new-customer segment.
	New     bool
	Segment Segment
}

// Code returns the RFM code, the three digits, e.g. "545".
func (s Score) Code() string {
	return string([]byte{'0' + s.R, '0' + s.F, '0' + s.M})
}

// FM is floor((f + m + 1) / 2), the combined F/M score segment rules use.
func FM(f, m int) int { return (f + m + 1) / 2 }

// ScoreAll scores every scorable customer (frequency > 0) against the others,
// in input order. It is a pure function of its inputs.
//
// The three metrics are ranked in parallel, each through 64-bit keys and a
// radix sort (money falls back to exact comparison when an amount exceeds
// int64 micro-units), and the scores are assembled in parallel halves.
func ScoreAll(in []Customer, asof Instant, p Params) []Score {
	// pos maps an output row to its customer in in; nil when all are scorable.
	var pos []int32
	n := 0
	for i := range in {
		if in[i].Agg.Scorable() {
			n++
		}
	}
	if n < len(in) {
		pos = make([]int32, 0, n)
		for i := range in {
			if in[i].Agg.Scorable() {
				pos = append(pos, int32(i))
			}
		}
	}
	customer := func(k int) *Customer {
		if pos != nil {
			return &in[pos[k]]
		}
		return &in[k]
	}
	out := make([]Score, n)
	if n == 0 {
		return out
	}
	w := Window{AsOf: asof}
	var r, f, m []uint8
	var wg sync.WaitGroup
	wg.Go(func() {
		if p.R.Method == Threshold {
			r = make([]uint8, n)
			for k := range n {
				r[k] = thresholdRecency(w.RecencyDays(customer(k).Agg.Last), p.R.Cuts, p.Bins)
			}
			return
		}
		keys := make([]keyIdx, n)
		for k := range n {
			keys[k] = keyIdx{signedKey(int64(customer(k).Agg.Last)), uint32(k)}
		}
		r = quantileKeys(keys, p.Bins)
	})
	wg.Go(func() {
		if p.F.Method == Threshold {
			f = make([]uint8, n)
			for k := range n {
				f[k] = thresholdHigher(MoneyFromInt(customer(k).Agg.Frequency), p.F.Cuts)
			}
			return
		}
		keys := make([]keyIdx, n)
		for k := range n {
			keys[k] = keyIdx{signedKey(customer(k).Agg.Frequency), uint32(k)}
		}
		f = quantileKeys(keys, p.Bins)
	})
	wg.Go(func() {
		if p.M.Method == Threshold {
			m = make([]uint8, n)
			for k := range n {
				m[k] = thresholdHigher(customer(k).Agg.Monetary, p.M.Cuts)
			}
			return
		}
		m = moneyScores(n, func(k int) Money { return customer(k).Agg.Monetary }, p.Bins)
	})
	wg.Wait()
	newBefore := asof - Instant(int64(p.NewCustomerDays)*microsPerDay)
	fill := func(lo, hi int) {
		for k := lo; k < hi; k++ {
			c := customer(k)
			s := &out[k]
			*s = Score{
				Key:         c.Key,
				RecencyDays: w.RecencyDays(c.Agg.Last),
				Frequency:   c.Agg.Frequency,
				Monetary:    c.Agg.Monetary,
				Last:        c.Agg.Last,
				R:           r[k], F: f[k], M: m[k],
			}
			s.Segment = p.Segments.Lookup(int(s.R), int(s.F), int(s.M))
			if p.NewCustomerDays > 0 && c.Agg.First > newBefore {
				s.Segment, s.New = p.NewSegment, true
			}
		}
	}
	parts := min(runtime.GOMAXPROCS(0), 8, max(1, n/50_000))
	for k := range parts {
		wg.Go(func() { fill(k*n/parts, (k+1)*n/parts) })
	}
	wg.Wait()
	return out
}

// itoa is strconv.Itoa, named for the segment grid printer.
func itoa(n int) string { return strconv.Itoa(n) }
