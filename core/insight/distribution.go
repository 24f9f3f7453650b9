package insight

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// Histogram counts customers by a raw value in buckets.
type Histogram struct {
	Unit    string   `json:"unit"`
	Buckets []Bucket `json:"buckets"`
}

// Bucket holds the customers whose value is in Lo..Hi (inclusive); Hi is −1
// for the open-ended long-tail bucket.
type Bucket struct {
	Lo    int64  `json:"lo"`
	Hi    int64  `json:"hi"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// Tail bounds of the frequency histogram: one bar per order count up to the
// 95th percentile (at least 8, at most 30 bars), the rest in one "N+" bar, so
// a few wholesale buyers do not flatten everyone else.
const (
	minFrequencyBars = 8
	maxFrequencyBars = 30
	maxRecencyBars   = 16
)

func frequencyHistogram(scores []rfm.Score) Histogram {
	h := Histogram{Unit: "orders"}
	if len(scores) == 0 {
		return h
	}
	freq := make([]int64, len(scores))
	for i := range scores {
		freq[i] = scores[i].Frequency
	}
	slices.Sort(freq)
	top := freq[len(freq)-1]
	p95 := freq[min(len(freq)-1, (95*len(freq)+99)/100-1)]
	limit := min(max(p95, minFrequencyBars), maxFrequencyBars)
	if top <= limit {
		for v := int64(1); v <= top; v++ {
			h.Buckets = append(h.Buckets, Bucket{Lo: v, Hi: v, Label: itoa(v)})
		}
	} else {
		for v := int64(1); v < limit; v++ {
			h.Buckets = append(h.Buckets, Bucket{Lo: v, Hi: v, Label: itoa(v)})
		}
		h.Buckets = append(h.Buckets, Bucket{Lo: limit, Hi: -1, Label: itoa(limit) + "+"})
	}
	for _, v := range freq {
		h.Buckets[min(int(v), len(h.Buckets))-1].Count++
	}
	return h
}

// recencyHistogram buckets days since the last order by a calendar-ish width
// (a week, a month, a quarter…) that keeps the window to at most 16 bars.
func recencyHistogram(scores []rfm.Score, windowDays int) Histogram {
	h := Histogram{Unit: "days since the last order"}
	if len(scores) == 0 {
		return h
	}
	span := int64(windowDays)
	for i := range scores {
		span = max(span, scores[i].RecencyDays+1)
	}
	width := int64(0)
	for _, w := range []int64{7, 14, 30, 60, 90, 180, 365} {
		if (span+w-1)/w <= maxRecencyBars {
			width = w
			break
		}
	}
	if width == 0 {
		width = (span + maxRecencyBars - 1) / maxRecencyBars
	}
	for lo := int64(0); lo < span; lo += width {
		hi := min(lo+width, span) - 1 // the last bar ends with the window
		h.Buckets = append(h.Buckets, Bucket{Lo: lo, Hi: hi, Label: fmt.Sprintf("%d–%d", lo, hi)})
	}
	for i := range scores {
		h.Buckets[min(int(max(scores[i].RecencyDays, 0)/width), len(h.Buckets)-1)].Count++
	}
	return h
}

// Scale is how one metric's raw values became scores in this run.
type Scale struct {
	Metric rfm.Metric `json:"metric"`
	Name   string     `json:"name"`
	Unit   string     `json:"unit"`
	Method rfm.Method `json:"method"`
	// Cuts are the threshold cut points in force (after any recalibration).
	Cuts []string `json:"cuts,omitempty"`
	// Recalibrated is when the cuts were last computed from the data.
	Recalibrated *time.Time `json:"recalibrated,omitempty"`
	// Scores give, per score 1..bins, its customers and the raw values seen.
	Scores []ScoreRange `json:"scores"`
	// Notes explain empty scores.
	Notes []string `json:"notes,omitempty"`
}

// ScoreRange is the raw values the customers of one score have (Lo and Hi
// empty when none).
type ScoreRange struct {
	Score     int    `json:"score"`
	Customers int    `json:"customers"`
	Lo        string `json:"lo,omitempty"`
	Hi        string `json:"hi,omitempty"`
}

// metricDef says how one metric reads from a score.
type metricDef struct {
	metric rfm.Metric
	name   string
	unit   string
	scale  rfm.Scale
	score  func(*rfm.Score) int
	raw    func(*rfm.Score) rfm.Money
	show   func(rfm.Money) string
}

func metricDefs(p rfm.Params) []metricDef {
	return []metricDef{
		{rfm.Recency, "Recency", "days since the last order", p.R,
			func(s *rfm.Score) int { return int(s.R) },
			func(s *rfm.Score) rfm.Money { return rfm.MoneyFromInt(s.RecencyDays) },
			func(m rfm.Money) string { return plural(plain(m), "day") }},
		{rfm.Frequency, "Frequency", "orders in the window", p.F,
			func(s *rfm.Score) int { return int(s.F) },
			func(s *rfm.Score) rfm.Money { return rfm.MoneyFromInt(s.Frequency) },
			func(m rfm.Money) string { return plural(plain(m), "order") }},
		{rfm.Monetary, "Monetary", "revenue in the window", p.M,
			func(s *rfm.Score) int { return int(s.M) },
			func(s *rfm.Score) rfm.Money { return s.Monetary },
			FormatMoney},
	}
}

func plural(n, unit string) string {
	if n == "1" {
		return n + " " + unit
	}
	return n + " " + unit + "s"
}

func scales(scores []rfm.Score, p rfm.Params, recalibrated map[rfm.Metric]time.Time) []Scale {
	var out []Scale
	for _, d := range metricDefs(p) {
		sc := Scale{Metric: d.metric, Name: d.name, Unit: d.unit, Method: d.scale.Method}
		if sc.Method == "" {
			sc.Method = rfm.Quantile
		}
		if sc.Method == rfm.Threshold {
			for _, c := range d.scale.Cuts {
				sc.Cuts = append(sc.Cuts, plain(c))
			}
			if t, ok := recalibrated[d.metric]; ok && !t.IsZero() {
				sc.Recalibrated = &t
			}
		}
		lo := make([]rfm.Money, p.Bins+1)
		hi := make([]rfm.Money, p.Bins+1)
		n := make([]int, p.Bins+1)
		for i := range scores {
			s := &scores[i]
			k, v := d.score(s), d.raw(s)
			if k < 1 || k > p.Bins {
				continue
			}
			if n[k] == 0 || v.Cmp(lo[k]) < 0 {
				lo[k] = v
			}
			if n[k] == 0 || v.Cmp(hi[k]) > 0 {
				hi[k] = v
			}
			n[k]++
		}
		for k := 1; k <= p.Bins; k++ {
			r := ScoreRange{Score: k, Customers: n[k]}
			if n[k] > 0 {
				r.Lo, r.Hi = d.show(lo[k]), d.show(hi[k])
			}
			sc.Scores = append(sc.Scores, r)
		}
		sc.Notes = emptyNotes(scores, d, sc.Method, n, lo, hi, p.Bins)
		out = append(out, sc)
	}
	return out
}

// emptyNotes explains each empty score: with quantiles, a tie group too big
// for one score jumps over the next; with thresholds, no value fell between
// two cuts.
func emptyNotes(scores []rfm.Score, d metricDef, method rfm.Method, n []int, lo, hi []rfm.Money, bins int) []string {
	var notes []string
	sym := strings.ToUpper(string(d.metric))
	for s := 1; s <= bins; s++ {
		if n[s] > 0 {
			continue
		}
		if method == rfm.Threshold {
			notes = append(notes, fmt.Sprintf("%s %d is empty: no customer's %s falls between its cuts (%s).",
				sym, s, d.unit, cutRange(d, s, bins)))
			continue
		}
		below, above := s-1, s+1
		for below >= 1 && n[below] == 0 {
			below--
		}
		for above <= bins && n[above] == 0 {
			above++
		}
		if below < 1 || above > bins {
			continue
		}
		// The tie at the edge of the score below, towards better values.
		edge := hi[below]
		if d.metric == rfm.Recency {
			edge = lo[below]
		}
		ties := 0
		for i := range scores {
			if d.score(&scores[i]) == below && d.raw(&scores[i]).Equal(edge) {
				ties++
			}
		}
		next := lo[above]
		if d.metric == rfm.Recency {
			next = hi[above]
		}
		notes = append(notes, fmt.Sprintf("%s %d is empty: %s customers (%.0f%%) have %s and all score %s %d, because quantile scores give equal values one score; the next value (%s) starts at %s %d.",
			sym, s, FormatCount(int64(ties)), 100*float64(ties)/float64(len(scores)), d.show(edge), sym, below, d.show(next), sym, above))
	}
	return notes
}

// cutRange describes the raw range a threshold score covers.
func cutRange(d metricDef, s, bins int) string {
	cuts := d.scale.Cuts
	cut := func(i int) string { return d.show(cuts[i]) }
	if d.metric == rfm.Recency {
		// R = bins − #{c : days ≥ c}: score s holds days in [c_k, c_k+1), k = bins − s.
		k := bins - s
		switch {
		case k == 0:
			return "under " + cut(0)
		case k >= len(cuts):
			return cut(len(cuts)-1) + " or more"
		}
		return "from " + cut(k-1) + " to under " + cut(k)
	}
	// F, M = 1 + #{c : value > c}: score s holds values in (c_s−1, c_s].
	k := s - 1
	switch {
	case k == 0:
		return "at most " + cut(0)
	case k >= len(cuts):
		return "over " + cut(len(cuts)-1)
	}
	return "over " + cut(k-1) + " and at most " + cut(k)
}
