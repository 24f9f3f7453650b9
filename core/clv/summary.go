package clv

import (
	"slices"
)

// SegmentValue is what a segment's customers are predicted to bring, for
// the status page beside the RFM segment sizes.
type SegmentValue struct {
	Segment   string  `json:"segment"`
	Customers int     `json:"customers"`
	Value     float64 `json:"predicted_value"`
	Orders    float64 `json:"expected_orders"`
	// MeanPAlive is the segment's average probability of being alive.
	MeanPAlive float64 `json:"mean_p_alive"`
}

// BySegment totals predictions per segment, sorted by predicted value,
// largest first. segment maps a customer index to its segment.
func BySegment(preds []Prediction, segment func(i int) string) []SegmentValue {
	idx := map[string]int{}
	var out []SegmentValue
	for i, p := range preds {
		s := segment(i)
		k, ok := idx[s]
		if !ok {
			k = len(out)
			idx[s] = k
			out = append(out, SegmentValue{Segment: s})
		}
		v := &out[k]
		v.Customers++
		v.Value += p.PredictedValue
		v.Orders += p.ExpectedOrders
		v.MeanPAlive += p.PAlive
	}
	for i := range out {
		out[i].MeanPAlive /= float64(out[i].Customers)
	}
	slices.SortFunc(out, func(a, b SegmentValue) int {
		switch {
		case a.Value > b.Value:
			return -1
		case a.Value < b.Value:
			return 1
		}
		return 0
	})
	return out
}

// PAliveHistogram counts customers by P(alive) in bins of equal width over
// [0, 1]; 1 falls in the last bin.
func PAliveHistogram(preds []Prediction, bins int) []int {
	if bins < 1 {
		bins = 1
	}
	out := make([]int, bins)
	for _, p := range preds {
		out[min(int(p.PAlive*float64(bins)), bins-1)]++
	}
	return out
}
