package rfm

import "slices"

// Calibrate returns threshold cut points for metric that split the given
// customers into bins groups of about equal size: fixed thresholds go stale
// as a business grows, and this recomputes them from recent data. Cuts are
// strictly ascending; where ties make two cuts equal, the later one moves up
// by the metric's smallest step (1 order, 1 day, 0.000001), leaving a bin empty.
func Calibrate(metric Metric, cs []Customer, asof Instant, bins int) []Money {
	var vals []Money
	w := Window{AsOf: asof}
	for _, c := range cs {
		if !c.Agg.Scorable() {
			continue
		}
		switch metric {
		case Frequency:
			vals = append(vals, MoneyFromInt(c.Agg.Frequency))
		case Monetary:
			vals = append(vals, c.Agg.Monetary)
		case Recency:
			vals = append(vals, MoneyFromInt(w.RecencyDays(c.Agg.Last)))
		}
	}
	if len(vals) == 0 || bins < MinBins {
		return nil
	}
	slices.SortFunc(vals, Money.Cmp)
	step := MoneyFromInt(1)
	if metric == Monetary {
		step = MoneyFromMicros(1)
	}
	n := len(vals)
	cuts := make([]Money, 0, bins-1)
	for k := 1; k < bins; k++ {
		// The last value of the k-th group of n/bins customers.
		idx := (k*n+bins-1)/bins - 1
		c := vals[max(idx, 0)]
		if metric == Recency {
			// R scores bins − #{c : days ≥ c}: a cut one day above the group's
			// last value keeps the whole group below it.
			c = c.Add(step)
		}
		if len(cuts) > 0 && c.Cmp(cuts[len(cuts)-1]) <= 0 {
			c = cuts[len(cuts)-1].Add(step)
		}
		cuts = append(cuts, c)
	}
	return cuts
}
