package lift

import (
	"math"
	"slices"
	"strings"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// Observation is what one run recorded of one customer: its segment and
// the last purchase the run saw.
type Observation struct {
	At           rfm.Instant
	Segment      string
	LastPurchase rfm.Instant
}

// Timeline is one customer's observations over the run history, in time
// order, and whether the customer is held out.
type Timeline struct {
	Customer     string
	Holdout      bool
	Observations []Observation
}

// Entry is a customer entering a segment, and what followed.
type Entry struct {
	Customer string
	Segment  string
	Holdout  bool
	At       rfm.Instant
	// MovedUpAt is the first later run that saw the customer in a better
	// segment (0: none yet); BoughtAt the first purchase after At (0: none).
	MovedUpAt, BoughtAt rfm.Instant
}

// Entries turns a timeline into segment entries: each observation whose
// segment differs from the one before starts an entry (the first
// observation too). better says whether moving from one segment to
// another is an improvement.
func Entries(tl Timeline, better func(from, to string) bool) []Entry {
	var out []Entry
	obs := tl.Observations
	for i, o := range obs {
		if i > 0 && obs[i-1].Segment == o.Segment {
			continue
		}
		e := Entry{Customer: tl.Customer, Segment: o.Segment, Holdout: tl.Holdout, At: o.At}
		for _, later := range obs[i+1:] {
			if e.BoughtAt == 0 && later.LastPurchase > o.LastPurchase {
				e.BoughtAt = later.LastPurchase
			}
			if e.MovedUpAt == 0 && better(o.Segment, later.Segment) {
				e.MovedUpAt = later.At
			}
		}
		out = append(out, e)
	}
	return out
}

// Ranked makes a better function from segment ids listed best first;
// segments not listed are never better nor worse.
func Ranked(best ...string) func(from, to string) bool {
	rank := map[string]int{}
	for i, s := range best {
		rank[s] = i
	}
	return func(from, to string) bool {
		f, ok1 := rank[from]
		t, ok2 := rank[to]
		return ok1 && ok2 && t < f
	}
}

// Outcome is what counts as success after entering a segment.
type Outcome string

// The outcomes a lift report measures.
const (
	MovedUp     Outcome = "moved_up"
	BoughtAgain Outcome = "bought_again"
)

// Group is one arm's count of observable entries and successes.
type Group struct {
	Entries   int     `json:"entries"`
	Successes int     `json:"successes"`
	Rate      float64 `json:"rate"`
	// Low and High bound the rate's 95 % Wilson score interval.
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Row is one segment's lift.
type Row struct {
	Segment string `json:"segment"`
	Treated Group  `json:"treated"`
	Holdout Group  `json:"holdout"`
	// Enough is false when either arm has fewer entries than the minimum:
	// then Difference and its interval are not computed, and Verdict says so.
	Enough bool `json:"enough"`
	// Difference is the treated rate minus the holdout rate, with its 95 %
	// interval by Newcombe's hybrid score method (from the Wilson intervals).
	Difference float64 `json:"difference"`
	Low        float64 `json:"low"`
	High       float64 `json:"high"`
	Verdict    string  `json:"verdict"`
}

// Verdicts a row can carry.
const (
	TooFew       = "too few customers"
	Lift         = "treated better"
	Harm         = "treated worse"
	Inconclusive = "no clear difference"
)

// z95 is the normal quantile of a two-sided 95 % interval.
const z95 = 1.959963984540054

// Report computes the lift per segment over entries observed for a full
// window: an entry counts only once days have passed since it (by asof),
// so recent entries, whose outcome is not known yet, never bias the rates.
// Success is the outcome within days of entering. Rows are sorted by
// segment; minEntries is the per-arm minimum below which a row says
// TooFew instead of showing noise.
func Report(entries []Entry, asof rfm.Instant, days int, outcome Outcome, minEntries int) []Row {
	t := NewTally(asof, days, outcome)
	for _, e := range entries {
		t.Add(e)
	}
	return t.Rows(minEntries)
}

// Tally is Report one entry at a time, so a report over millions of
// customers holds counts per segment, not every entry.
type Tally struct {
	asof, window rfm.Instant
	outcome      Outcome
	bySeg        map[string]*counts
	// Counted is how many entries were old enough to count.
	Counted int
}

type counts struct{ treated, held [2]int }

// NewTally starts a tally as of asof over a window of days.
func NewTally(asof rfm.Instant, days int, outcome Outcome) *Tally {
	return &Tally{asof: asof, window: rfm.Instant(int64(days) * rfm.DaySeconds * 1_000_000),
		outcome: outcome, bySeg: map[string]*counts{}}
}

// Add counts one entry, if its window has passed.
func (t *Tally) Add(e Entry) {
	if e.At+t.window > t.asof {
		return
	}
	at := e.MovedUpAt
	if t.outcome == BoughtAgain {
		at = e.BoughtAt
	}
	success := at > e.At && at <= e.At+t.window
	c := t.bySeg[e.Segment]
	if c == nil {
		c = &counts{}
		t.bySeg[e.Segment] = c
	}
	arm := &c.treated
	if e.Holdout {
		arm = &c.held
	}
	arm[0]++
	if success {
		arm[1]++
	}
	t.Counted++
}

// Rows is the report of what was added, sorted by segment.
func (t *Tally) Rows(minEntries int) []Row {
	rows := make([]Row, 0, len(t.bySeg))
	for seg, c := range t.bySeg {
		r := Row{Segment: seg, Treated: group(c.treated), Holdout: group(c.held)}
		// An arm without entries has no rate, whatever the minimum.
		need := max(minEntries, 1)
		r.Enough = r.Treated.Entries >= need && r.Holdout.Entries >= need
		if !r.Enough {
			r.Verdict = TooFew
		} else {
			r.Difference, r.Low, r.High = newcombe(r.Treated, r.Holdout)
			switch {
			case r.Low > 0:
				r.Verdict = Lift
			case r.High < 0:
				r.Verdict = Harm
			default:
				r.Verdict = Inconclusive
			}
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b Row) int { return strings.Compare(a.Segment, b.Segment) })
	return rows
}

func group(c [2]int) Group {
	g := Group{Entries: c[0], Successes: c[1]}
	if g.Entries > 0 {
		g.Rate = float64(g.Successes) / float64(g.Entries)
		g.Low, g.High = Wilson(g.Successes, g.Entries, z95)
	}
	return g
}

// Wilson is the Wilson score interval for k successes in n trials.
func Wilson(k, n int, z float64) (low, high float64) {
	if n == 0 {
		return 0, 1
	}
	fn := float64(n)
	p := float64(k) / fn
	z2 := z * z
	centre := (p + z2/(2*fn)) / (1 + z2/fn)
	half := z / (1 + z2/fn) * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// newcombe is the difference of two rates with Newcombe's (1998) hybrid
// score interval, method 10.
func newcombe(a, b Group) (d, low, high float64) {
	d = a.Rate - b.Rate
	low = d - math.Sqrt((a.Rate-a.Low)*(a.Rate-a.Low)+(b.High-b.Rate)*(b.High-b.Rate))
	high = d + math.Sqrt((a.High-a.Rate)*(a.High-a.Rate)+(b.Rate-b.Low)*(b.Rate-b.Low))
	return d, low, high
}
