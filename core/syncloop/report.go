package syncloop

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// Report is what one run did (or, dry, would do). It is also what the
// status page and metrics show, so it holds counts, never secrets.
type Report struct {
	AsOf    rfm.Instant `json:"asof"`
	DryRun  bool        `json:"dry_run"`
	Resumed bool        `json:"resumed_interrupted_run,omitempty"`
	// Repull is set when a change of what is pulled reset every source.
	Repull bool `json:"repull,omitempty"`
	// FullRewrite is set when a change of scoring rewrote every customer.
	FullRewrite bool   `json:"full_rewrite,omitempty"`
	Stopped     string `json:"stopped,omitempty"`

	Pulled  map[string]int      `json:"pulled"`
	Applied map[string]*Applied `json:"applied"`
	Skipped map[rfm.Skip]int    `json:"skipped"`
	// Reread counts what the periodic order re-read changed, per source.
	Reread map[string]*Applied `json:"reread,omitempty"`
	// Reassigned counts orders moved to another customer, whether the pull
	// saw the move (Salesforce) or the re-read found it (HubSpot).
	Reassigned int `json:"reassigned"`
	// SampleSkipped holds up to SampleSize "source/record id" per skip
	// reason, so an admin can open the records and fix them.
	SampleSkipped map[rfm.Skip][]string `json:"sample_skipped,omitempty"`
	Scans         []string              `json:"scans,omitempty"`
	// QuotaSkipped lists the due scans put off because less than the
	// reserve of the CRM's daily allocation was left.
	QuotaSkipped []string `json:"quota_skipped,omitempty"`

	// Recalibrated lists threshold cuts recomputed from the data this run.
	Recalibrated []string       `json:"recalibrated,omitempty"`
	Scored       int            `json:"scored"`
	Segments     map[string]int `json:"segments"`
	// RDist, FDist and MDist count customers per score (index 1..bins).
	RDist []int `json:"r_distribution"`
	FDist []int `json:"f_distribution"`
	MDist []int `json:"m_distribution"`
	// HeatRF counts customers per (R, F) cell: HeatRF[r][f].
	HeatRF [][]int `json:"heat_rf"`
	// Moves counts segment moves as "from → to".
	Moves       map[string]int `json:"moves"`
	Inactivated int            `json:"inactivated"`
	Gone        int            `json:"gone"`
	// Repaired counts customers whose CRM values a person or workflow had
	// changed, found by the periodic repair pass and written back.
	Repaired int `json:"repaired"`
	// Restored counts customers found again in the CRM after being gone.
	Restored       int      `json:"restored,omitempty"`
	SampleRepaired []string `json:"sample_repaired,omitempty"`

	Changed          int            `json:"changed_customers"`
	FieldChanges     map[string]int `json:"field_changes"`
	ChangesBySegment map[string]int `json:"changes_by_segment"`
	WriteCallsNeeded int            `json:"write_calls_needed"`
	SampleChanged    []string       `json:"sample_changed,omitempty"`

	WriteCalls int `json:"write_calls"`
	Written    int `json:"written"`
	NotFound   int `json:"not_found"`
	Rejected   int `json:"rejected"`
	// Deferred counts writes the CRM refused for now (a locked row, a
	// timeout): not committed, written again by the next run.
	Deferred       int      `json:"deferred"`
	SampleDeferred []string `json:"sample_deferred,omitempty"`
	SampleNotFound []string `json:"sample_not_found,omitempty"`
	SampleRejected []string `json:"sample_rejected,omitempty"`

	APICalls       map[string]int64 `json:"api_calls"`
	DailyRemaining *int64           `json:"daily_quota_remaining,omitempty"`

	// Insight is money per segment, raw distributions and the cuts in force.
	Insight *insight.Insight `json:"insight,omitempty"`
	// Predict is the predictive models' refit, predictions and lift (nil
	// when neither predictions nor the holdout are on).
	Predict *PredictReport `json:"predict,omitempty"`

	phases phaseTimes
}

// Applied is what one source's pages did to state.
type Applied struct {
	Inserted, Updated, Unchanged, Deleted, Moved int
}

func newReport(dry bool) *Report {
	return &Report{
		DryRun: dry, Pulled: map[string]int{}, Applied: map[string]*Applied{}, Skipped: map[rfm.Skip]int{},
		Segments: map[string]int{}, Moves: map[string]int{}, FieldChanges: map[string]int{},
		ChangesBySegment: map[string]int{}, APICalls: map[string]int64{},
	}
}

func (rep *Report) addApplied(source string, records int, a state.Applied) {
	rep.Pulled[source] += records
	s := rep.Applied[source]
	if s == nil {
		s = &Applied{}
		rep.Applied[source] = s
	}
	s.Inserted += a.Inserted
	s.Updated += a.Updated
	s.Unchanged += a.Unchanged
	s.Deleted += a.Deleted
	s.Moved += a.Moved
	rep.Reassigned += a.Moved
}

func (rep *Report) addReread(source string, a state.Applied) {
	if rep.Reread == nil {
		rep.Reread = map[string]*Applied{}
	}
	s := rep.Reread[source]
	if s == nil {
		s = &Applied{}
		rep.Reread[source] = s
	}
	s.Updated += a.Updated
	s.Deleted += a.Deleted
	s.Moved += a.Moved
	rep.Reassigned += a.Moved
}

func (rep *Report) addScores(scores []rfm.Score, bins int) {
	rep.Scored = len(scores)
	rep.RDist, rep.FDist, rep.MDist = make([]int, bins+1), make([]int, bins+1), make([]int, bins+1)
	rep.HeatRF = make([][]int, bins+1)
	for i := range rep.HeatRF {
		rep.HeatRF[i] = make([]int, bins+1)
	}
	for i := range scores {
		s := &scores[i]
		rep.Segments[s.Segment.ID]++
		rep.RDist[s.R]++
		rep.FDist[s.F]++
		rep.MDist[s.M]++
		rep.HeatRF[s.R][s.F]++
	}
}

// addSkip counts a skipped record and keeps a bounded sample of its ids.
func (rep *Report) addSkip(skip rfm.Skip, source, id string, n int) {
	rep.Skipped[skip]++
	if rep.SampleSkipped == nil {
		rep.SampleSkipped = map[rfm.Skip][]string{}
	}
	if len(rep.SampleSkipped[skip]) < n && id != "" {
		rep.SampleSkipped[skip] = append(rep.SampleSkipped[skip], source+"/"+id)
	}
}

func (rep *Report) addMove(from, to string) { rep.Moves[from+" → "+to]++ }

// addDiff adds what one range of a parallel diff counted (see forDiff).
func (rep *Report) addDiff(part *Report) {
	rep.Gone += part.Gone
	rep.Inactivated += part.Inactivated
	for move, n := range part.Moves {
		rep.Moves[move] += n
	}
	if rep.Predict != nil && part.Predict != nil {
		rep.Predict.HeldOut += part.Predict.HeldOut
		rep.Predict.Treated += part.Predict.Treated
	}
}

func (rep *Report) sample(list *[]string, s string, n int) {
	if len(*list) < n {
		*list = append(*list, s)
	}
}

func (rep *Report) planned(p *plan, calls func(n int) int, samples int) {
	rep.Changed = len(p.updates)
	perType := map[string]int{}
	for _, u := range p.updates {
		perType[u.key.Type]++
		seg := u.next.Segment
		rep.ChangesBySegment[seg]++
		for f := range u.fields {
			rep.FieldChanges[f]++
		}
		rep.sample(&rep.SampleChanged, u.key.String(), samples)
	}
	for _, n := range perType {
		rep.WriteCallsNeeded += calls(n)
	}
}

// TotalCalls is the number of API calls the run made.
func (rep *Report) TotalCalls() int64 {
	var n int64
	for _, v := range rep.APICalls {
		n += v
	}
	return n
}

// Print writes the report for a person: the plan of a dry run, or the
// figures of a real one.
func (rep *Report) Print(w io.Writer) {
	mode := "sync"
	if rep.DryRun {
		mode = "dry run (nothing written to the CRM)"
	}
	fmt.Fprintf(w, "%s as of %s\n", mode, rep.AsOf)
	if rep.Resumed {
		fmt.Fprintln(w, "  resumed an interrupted run with its asof")
	}
	if rep.Repull {
		fmt.Fprintln(w, "  what is pulled changed: every source was re-pulled")
	}
	if rep.FullRewrite {
		fmt.Fprintln(w, "  scoring changed: every customer is rewritten")
	}
	for _, s := range slices.Sorted(maps.Keys(rep.Pulled)) {
		a := rep.Applied[s]
		fmt.Fprintf(w, "pulled %s: %d records (%d new, %d changed, %d unchanged, %d removed, %d re-assigned)\n",
			s, rep.Pulled[s], a.Inserted, a.Updated, a.Unchanged, a.Deleted, a.Moved)
	}
	for _, s := range rep.Scans {
		fmt.Fprintf(w, "ran %s\n", s)
	}
	if len(rep.QuotaSkipped) > 0 {
		fmt.Fprintf(w, "put off to keep the daily API quota's reserve: %s (still due)\n", strings.Join(rep.QuotaSkipped, ", "))
	}
	for _, s := range slices.Sorted(maps.Keys(rep.Reread)) {
		a := rep.Reread[s]
		if a.Updated+a.Deleted+a.Moved > 0 {
			fmt.Fprintf(w, "re-read %s: %d changed, %d removed, %d re-assigned\n", s, a.Updated, a.Deleted, a.Moved)
		}
	}
	if len(rep.Skipped) > 0 {
		fmt.Fprintf(w, "skipped: %s\n", skipLine(rep.Skipped))
		for _, k := range slices.Sorted(maps.Keys(rep.SampleSkipped)) {
			fmt.Fprintf(w, "  %s e.g. %s\n", k, strings.Join(rep.SampleSkipped[k], ", "))
		}
	}
	for _, c := range rep.Recalibrated {
		fmt.Fprintf(w, "recalibrated %s\n", c)
	}
	fmt.Fprintf(w, "scored %d customers\n", rep.Scored)
	printCounts(w, "segments", rep.labelled(rep.Segments))
	printCounts(w, "moves", rep.labelledMoves())
	rep.Predict.print(w)
	if rep.Repaired > 0 {
		fmt.Fprintf(w, "repaired: %d customers had values changed in the CRM (e.g. %s); they are written back\n",
			rep.Repaired, strings.Join(rep.SampleRepaired, ", "))
	}
	if rep.Restored > 0 {
		fmt.Fprintf(w, "restored: %d customers deleted earlier are back in the CRM and written again\n", rep.Restored)
	}
	if rep.Inactivated > 0 {
		fmt.Fprintf(w, "stopped qualifying: %d (inactive treatment)\n", rep.Inactivated)
	}
	fmt.Fprintf(w, "changed customers: %d, write calls needed: %d\n", rep.Changed, rep.WriteCallsNeeded)
	printCounts(w, "changes by field", rep.FieldChanges)
	printCounts(w, "changes by segment", rep.labelled(rep.ChangesBySegment))
	if len(rep.SampleChanged) > 0 {
		fmt.Fprintf(w, "sample changed records: %s\n", strings.Join(rep.SampleChanged, ", "))
	}
	if !rep.DryRun {
		fmt.Fprintf(w, "written: %d customers in %d calls; not found: %d; rejected: %d\n",
			rep.Written, rep.WriteCalls, rep.NotFound, rep.Rejected)
		for _, s := range rep.SampleRejected {
			fmt.Fprintf(w, "  rejected %s\n", s)
		}
		for _, s := range rep.SampleNotFound {
			fmt.Fprintf(w, "  not found (deleted or merged) %s\n", s)
		}
		if rep.Deferred > 0 {
			fmt.Fprintf(w, "deferred: %d customers the CRM could not take now; the next run writes them again\n", rep.Deferred)
			for _, s := range rep.SampleDeferred {
				fmt.Fprintf(w, "  deferred %s\n", s)
			}
		}
	}
	fmt.Fprintf(w, "API calls: %d", rep.TotalCalls())
	if len(rep.APICalls) > 0 {
		fmt.Fprintf(w, " (%s)", countLine(rep.APICalls))
	}
	fmt.Fprintln(w)
	if rep.DailyRemaining != nil {
		fmt.Fprintf(w, "daily quota left: %d\n", *rep.DailyRemaining)
	}
	if rep.Stopped != "" {
		fmt.Fprintf(w, "stopped: %s\n", rep.Stopped)
	}
}

// labelled keys counts by segment label instead of id, as people read
// them (the demo, score and the page speak labels too); ids without a
// label (inactive, none) stay as they are.
func (rep *Report) labelled(m map[string]int) map[string]int {
	if rep.Insight == nil {
		return m
	}
	labels := map[string]string{}
	for _, s := range rep.Insight.Segments {
		labels[s.ID] = s.Label
	}
	out := make(map[string]int, len(m))
	for id, n := range m {
		if l, ok := labels[id]; ok && l != "" {
			id = l
		}
		out[id] += n
	}
	return out
}

// labelledMoves is Moves with both ends labelled.
func (rep *Report) labelledMoves() map[string]int {
	if rep.Insight == nil {
		return rep.Moves
	}
	label := func(id string) string {
		for _, s := range rep.Insight.Segments {
			if s.ID == id && s.Label != "" {
				return s.Label
			}
		}
		return id
	}
	out := make(map[string]int, len(rep.Moves))
	for k, n := range rep.Moves {
		from, to, ok := strings.Cut(k, " → ")
		if ok {
			k = label(from) + " → " + label(to)
		}
		out[k] += n
	}
	return out
}

func printCounts(w io.Writer, title string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	keys := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(keys, func(a, b string) int { return m[b] - m[a] })
	for _, k := range keys {
		fmt.Fprintf(w, "  %-40s %d\n", k, m[k])
	}
}

func skipLine(m map[rfm.Skip]int) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func countLine(m map[string]int64) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
