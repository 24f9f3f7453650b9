// Package insight summarises one run's scored customers for the people who
// act on them: size and money per segment, the raw distributions behind the
// scores, the cuts in force and why a score can be empty. It is pure: scores
// in, figures out; the status page and the demo draw from the same figures.
package insight

import (
	"cmp"
	"slices"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// Insight is the summary of one run's scores.
type Insight struct {
	Bins      int       `json:"bins"`
	Customers int       `json:"customers"`
	Orders    int64     `json:"orders"`
	Revenue   rfm.Money `json:"revenue"`
	// Segments are in rule order (the new-customer segment first, since it
	// overrides the rules), every segment of the map, empty ones included.
	Segments  []Segment `json:"segments"`
	Frequency Histogram `json:"frequency_histogram"`
	Recency   Histogram `json:"recency_histogram"`
	// RF has one cell per (R, F) pair, R from bins down to 1, F from 1 up.
	RF     []Cell  `json:"rf_cells"`
	Scales []Scale `json:"scales"`
}

// Segment is one segment's figures.
type Segment struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Rule is the segment's rule in the score terms, e.g. "R 5, FM 4-5".
	Rule         string    `json:"rule"`
	Customers    int       `json:"customers"`
	Share        float64   `json:"share"`
	Orders       int64     `json:"orders"`
	Revenue      rfm.Money `json:"revenue"`
	RevenueShare float64   `json:"revenue_share"`
	// AOV is revenue ÷ orders, to the cent (zero without orders).
	AOV               rfm.Money `json:"average_order_value"`
	MedianRecencyDays float64   `json:"median_recency_days"`
	// Monetary is the spread of customers' monetary value; nil when empty.
	Monetary *Box `json:"monetary,omitempty"`
}

// Box is a five-number summary. Quartiles are by nearest rank, so each is
// some customer's exact value.
type Box struct {
	Min    rfm.Money `json:"min"`
	Q1     rfm.Money `json:"q1"`
	Median rfm.Money `json:"median"`
	Q3     rfm.Money `json:"q3"`
	Max    rfm.Money `json:"max"`
}

// Cell is one (R, F) cell of the heat map. Segment is the segment most of
// its customers are in (the segment depends on M as well, so a cell can hold
// several: Split lists them); empty for an empty cell.
type Cell struct {
	R       int     `json:"r"`
	F       int     `json:"f"`
	Count   int     `json:"count"`
	Segment string  `json:"segment,omitempty"`
	Split   []Count `json:"split,omitempty"`
}

// Count is a number of customers of one segment.
type Count struct {
	Segment string `json:"segment"`
	N       int    `json:"n"`
}

// Options are what the scores alone do not say.
type Options struct {
	// WindowDays scales the recency histogram (default: the largest recency).
	WindowDays int
	// Recalibrated is when each threshold metric's cuts were last computed.
	Recalibrated map[rfm.Metric]time.Time
}

// Summarize computes the insight of scores scored with p.
func Summarize(scores []rfm.Score, p rfm.Params, o Options) *Insight {
	in := &Insight{Bins: p.Bins, Customers: len(scores)}
	segs, index := segmentList(p)
	// Two passes: count first, so each segment's values fit one allocation.
	seg := make([]int32, len(scores))
	sizes := make([]int, len(segs))
	for i := range scores {
		id := scores[i].Segment.ID
		k, ok := index[id]
		if !ok { // not in the map (cannot happen with ScoreAll); keep the figures whole
			k = len(segs)
			index[id] = k
			segs = append(segs, Segment{ID: id, Label: scores[i].Segment.Label})
			sizes = append(sizes, 0)
		}
		seg[i] = int32(k)
		sizes[k]++
	}
	money := make([]moneyList, len(segs))
	days := make([][]int64, len(segs))
	for k, n := range sizes {
		money[k] = newMoneyList(n)
		days[k] = make([]int64, 0, n)
	}
	for i := range scores {
		s := &scores[i]
		k := seg[i]
		g := &segs[k]
		g.Customers++
		g.Orders += s.Frequency
		g.Revenue = g.Revenue.Add(s.Monetary)
		money[k].add(s.Monetary)
		days[k] = append(days[k], s.RecencyDays)
		in.Orders += s.Frequency
		in.Revenue = in.Revenue.Add(s.Monetary)
	}
	for k := range segs {
		g := &segs[k]
		if g.Customers == 0 {
			continue
		}
		g.Share = float64(g.Customers) / float64(len(scores))
		if in.Revenue.Sign() > 0 {
			g.RevenueShare = Float(g.Revenue) / Float(in.Revenue)
		}
		g.AOV = DivRound2(g.Revenue, g.Orders)
		slices.Sort(days[k])
		g.MedianRecencyDays = medianInt(days[k])
		g.Monetary = money[k].box()
	}
	in.Segments = segs
	in.Frequency = frequencyHistogram(scores)
	in.Recency = recencyHistogram(scores, o.WindowDays)
	in.RF = rfCells(scores, p.Bins, index)
	in.Scales = scales(scores, p, o.Recalibrated)
	return in
}

// segmentList returns every segment of p's map in rule order with its rule,
// and the index of each id.
func segmentList(p rfm.Params) ([]Segment, map[string]int) {
	var segs []Segment
	if p.NewCustomerDays > 0 {
		segs = append(segs, Segment{ID: p.NewSegment.ID, Label: p.NewSegment.Label,
			Rule: "first order in the last " + itoa(int64(p.NewCustomerDays)) + " days"})
	}
	if p.Segments != nil {
		for _, r := range p.Segments.Rules() {
			segs = append(segs, Segment{ID: r.ID, Label: r.Label, Rule: RuleText(r)})
		}
	}
	index := make(map[string]int, len(segs))
	for i, s := range segs {
		if _, dup := index[s.ID]; !dup {
			index[s.ID] = i
		}
	}
	for i := range segs {
		if segs[i].Label == "" {
			segs[i].Label = segs[i].ID
		}
	}
	return segs, index
}

// RuleText describes a rule's ranges, e.g. "R 5, FM 4-5"; "any" for a catch-all.
func RuleText(r rfm.SegmentRule) string {
	var parts []string
	for _, x := range []struct {
		name string
		r    rfm.Range
	}{{"R", r.R}, {"F", r.F}, {"M", r.M}, {"FM", r.FM}} {
		if !x.r.Any() {
			parts = append(parts, x.name+" "+x.r.String())
		}
	}
	if len(parts) == 0 {
		return "any"
	}
	return join(parts, ", ")
}

func medianInt(sorted []int64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return float64(sorted[n/2])
	}
	return float64(sorted[n/2-1]+sorted[n/2]) / 2
}

// moneyList holds one segment's monetary values: as micro-units while they
// fit an int64 (sorting those is several times faster), exact Money once one
// does not.
type moneyList struct {
	micros []int64
	wide   []rfm.Money
}

func newMoneyList(n int) moneyList { return moneyList{micros: make([]int64, 0, n)} }

func (l *moneyList) add(m rfm.Money) {
	if l.wide == nil {
		if v, ok := m.Micros(); ok {
			l.micros = append(l.micros, v)
			return
		}
		l.wide = make([]rfm.Money, len(l.micros), cap(l.micros))
		for i, v := range l.micros {
			l.wide[i] = rfm.MoneyFromMicros(v)
		}
		l.micros = nil
	}
	l.wide = append(l.wide, m)
}

// box sorts the values and summarises them by nearest rank: the p-quantile
// is the value at rank ceil(p·n).
func (l *moneyList) box() *Box {
	n := len(l.micros)
	var at func(i int) rfm.Money
	if l.wide != nil {
		n = len(l.wide)
		slices.SortFunc(l.wide, rfm.Money.Cmp)
		at = func(i int) rfm.Money { return l.wide[i] }
	} else {
		slices.Sort(l.micros)
		at = func(i int) rfm.Money { return rfm.MoneyFromMicros(l.micros[i]) }
	}
	if n == 0 {
		return nil
	}
	rank := func(num, den int) rfm.Money { return at(max((num*n+den-1)/den-1, 0)) }
	return &Box{Min: at(0), Q1: rank(1, 4), Median: rank(1, 2), Q3: rank(3, 4), Max: at(n - 1)}
}

// rfCells counts customers per (R, F) cell and names each cell's main segment.
func rfCells(scores []rfm.Score, bins int, index map[string]int) []Cell {
	counts := make([]map[string]int, (bins+1)*(bins+1))
	at := func(r, f int) int { return r*(bins+1) + f }
	for i := range scores {
		s := &scores[i]
		k := at(int(s.R), int(s.F))
		if counts[k] == nil {
			counts[k] = map[string]int{}
		}
		counts[k][s.Segment.ID]++
	}
	var cells []Cell
	for r := bins; r >= 1; r-- {
		for f := 1; f <= bins; f++ {
			c := Cell{R: r, F: f}
			for id, n := range counts[at(r, f)] {
				c.Count += n
				c.Split = append(c.Split, Count{Segment: id, N: n})
			}
			// Most customers first; ties in rule order.
			slices.SortFunc(c.Split, func(a, b Count) int {
				if a.N != b.N {
					return b.N - a.N
				}
				return cmp.Compare(index[a.Segment], index[b.Segment])
			})
			if len(c.Split) > 0 {
				c.Segment = c.Split[0].Segment
			}
			cells = append(cells, c)
		}
	}
	return cells
}

// Lookup returns the segment of id, if the insight has it.
func (in *Insight) Lookup(id string) (Segment, bool) {
	for _, s := range in.Segments {
		if s.ID == id {
			return s, true
		}
	}
	return Segment{}, false
}

// Label returns the display label of a segment id, or the id itself.
func (in *Insight) Label(id string) string {
	if in != nil {
		if s, ok := in.Lookup(id); ok {
			return s.Label
		}
	}
	return id
}
