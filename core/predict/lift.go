package predict

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/lift"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// LiftOptions say how the lift report counts.
type LiftOptions struct {
	// Key and Share choose the holdout, as the sync wrote it.
	Key   []byte
	Share float64
	// WindowDays is how long after an entry its success may come.
	WindowDays int
	MinEntries int
	Outcome    lift.Outcome
	// Better says whether a move between two segments is an improvement
	// (SegmentRank gives the usual order).
	Better func(from, to string) bool
	// Purchases is the window of orders that count as buying again.
	Purchases rfm.Window
}

// LiftResult is the lift report with what it was measured on.
type LiftResult struct {
	Outcome    lift.Outcome `json:"outcome"`
	WindowDays int          `json:"window_days"`
	MinEntries int          `json:"min_entries"`
	// Customers is how many customers have a segment log, HeldOut how
	// many of them are in the holdout; Entries is how many segment entries
	// were old enough to count.
	Customers int        `json:"customers"`
	HeldOut   int        `json:"held_out"`
	Entries   int        `json:"entries"`
	Rows      []lift.Row `json:"rows"`
}

// Lift measures, from the segment log in state (what the CRM accepted, run
// by run), the rate at which treated and held-out customers succeed after
// entering each segment, as of asof.
func Lift(db *state.DB, asof rfm.Instant, o LiftOptions) (LiftResult, error) {
	res := LiftResult{Outcome: o.Outcome, WindowDays: o.WindowDays, MinEntries: o.MinEntries}
	t := lift.NewTally(asof, o.WindowDays, o.Outcome)
	holdout := lift.NewChooser(o.Key, o.Share)
	err := db.ForEachTimeline(o.Purchases, func(key connector.CustomerKey, steps []state.SegmentStep, purchases []rfm.Instant) error {
		id := HoldoutID(key)
		tl := lift.Timeline{Customer: id, Holdout: holdout.InHoldout(id)}
		for _, s := range steps {
			tl.Observations = append(tl.Observations, lift.Observation{At: s.At, Segment: s.Segment})
		}
		res.Customers++
		if tl.Holdout {
			res.HeldOut++
		}
		for _, e := range lift.Entries(tl, o.Better) {
			// The first purchase after the entry, not merely a later
			// observation's last one: a customer who bought within the
			// window and again after it still bought within the window.
			if i, _ := slices.BinarySearch(purchases, e.At+1); i < len(purchases) {
				e.BoughtAt = purchases[i]
			}
			t.Add(e)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Entries = t.Counted
	res.Rows = t.Rows(o.MinEntries)
	return res, nil
}

// HoldoutID is the text a customer's holdout hash is taken of: type and
// id, so the same id in two modules (vtenext Accounts and Contacts) is two
// customers.
func HoldoutID(key connector.CustomerKey) string { return key.String() }

// SegmentRank lists segment ids best first: the map's segments by the mean
// R+F+M of the score cells each one holds, then inactive (every move out
// of it is a win-back). The new-customer segment is not ranked: where a new
// customer lands says nothing about a strategy.
func SegmentRank(p rfm.Params, inactive string) []string {
	if p.Segments == nil {
		return []string{inactive}
	}
	bins := p.Segments.Bins()
	sum, n := map[string]int{}, map[string]int{}
	for r := 1; r <= bins; r++ {
		for f := 1; f <= bins; f++ {
			for m := 1; m <= bins; m++ {
				id := p.Segments.Lookup(r, f, m).ID
				sum[id] += r + f + m
				n[id]++
			}
		}
	}
	var ids []string
	for id := range n {
		if id != inactive {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		// Compare means without division: sum_a/n_a > sum_b/n_b.
		if c := cmp.Compare(sum[b]*n[a], sum[a]*n[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return append(ids, inactive)
}

// Print writes the lift table for a person.
func (res LiftResult) Print(w io.Writer) {
	what := "moving to a better segment"
	if res.Outcome == lift.BoughtAgain {
		what = "buying again"
	}
	fmt.Fprintf(w, "lift: the rate of %s within %d days of entering a segment, treated against held out\n", what, res.WindowDays)
	fmt.Fprintf(w, "%d customers with a segment log (%d held out); %d entries old enough to count\n", res.Customers, res.HeldOut, res.Entries)
	if len(res.Rows) == 0 {
		fmt.Fprintln(w, "no segment entry is old enough yet: the first rows appear once the window has passed")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "segment\ttreated\tholdout\tdifference (95% CI)\tverdict")
	arm := func(g lift.Group) string {
		if g.Entries == 0 {
			return "0"
		}
		return fmt.Sprintf("%d/%d = %.1f%% (%.1f–%.1f)", g.Successes, g.Entries, 100*g.Rate, 100*g.Low, 100*g.High)
	}
	for _, r := range res.Rows {
		diff := "—"
		if r.Enough {
			diff = fmt.Sprintf("%+.1f pts (%+.1f to %+.1f)", 100*r.Difference, 100*r.Low, 100*r.High)
		}
		verdict := r.Verdict
		if !r.Enough {
			verdict = fmt.Sprintf("%s (fewer than %d entries in an arm)", r.Verdict, res.MinEntries)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Segment, arm(r.Treated), arm(r.Holdout), diff, verdict)
	}
	tw.Flush()
}
