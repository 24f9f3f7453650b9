package status

import (
	_ "embed"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"money": insight.FormatMoney,
	"count": func(n any) string {
		switch v := n.(type) {
		case int:
			return insight.FormatCount(int64(v))
		case int64:
			return insight.FormatCount(v)
		}
		return fmt.Sprint(n)
	},
	"pct":  func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"days": func(f float64) string { return trimFloat(f) },
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"calls": func(m map[string]int64) int64 {
		var n int64
		for _, v := range m {
			n += v
		}
		return n
	},
}).Parse(pageHTML))

// servePage renders the dashboard; ?moves= picks the period of the second
// move matrix (7d, 30d, 90d, 365d or all).
func (b *Board) servePage(w http.ResponseWriter, r *http.Request) {
	v := buildPage(b.snapshot(), r.URL.Query().Get("moves"))
	b.mu.RLock()
	v.Lookup = b.lookup != nil
	b.mu.RUnlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, v); err != nil {
		http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
	}
}

// pageView is the dashboard's data, computed from lists of runs: the
// board's memory (full reports) and the persisted history (figures that
// survive a restart).
type pageView struct {
	snapshot
	Last *Run
	In   *insight.Insight
	// Rows are the segment table in rule order.
	Rows                                          []segRow
	FreqSVG, RecencySVG, HeatSVG, BoxSVG, SizeSVG template.HTML
	// Legend is every segment drawn over time, in rule order.
	Legend []segRow
	// EmptyNotes explain empty R and F scores next to the heat map.
	EmptyNotes  []string
	LastMoves   moveView
	PeriodMoves moveView
	Periods     []periodLink
	Recent      []runRow
	// Lookup says /customer is on.
	Lookup bool
	// Predict is the predictive section (predict_page.go), nil when off.
	Predict *predictView
}

// HistoryNewest is the persisted run history, newest first, at most 30.
func (v pageView) HistoryNewest() []state.RunRecord {
	out := slices.Clone(v.RunHistory)
	slices.Reverse(out)
	return out[:min(len(out), 30)]
}

type segRow struct {
	insight.Segment
	Colour string
}

type moveView struct {
	Title  string
	Matrix insight.Matrix
	Rows   []moveRow
	Cols   []insight.Ref
	Totals []int
}

type moveRow struct {
	From  insight.Ref
	Out   int
	Cells []moveCell
}

type moveCell struct {
	N     int
	Shade template.CSS
	Title string
}

type periodLink struct {
	Key, Label string
	Current    bool
}

type runRow struct {
	Run     Run
	Moved   int
	Scored  int
	Changed int
	Written int
	Calls   int64
	DryRun  bool
}

// periods are the choices of the period move matrix.
var periods = []struct {
	key, label string
	d          time.Duration
}{{"7d", "7 days", 7 * 24 * time.Hour}, {"30d", "30 days", 30 * 24 * time.Hour}, {"90d", "90 days", 90 * 24 * time.Hour},
	{"365d", "a year", 365 * 24 * time.Hour}, {"all", "all runs", 0}}

func buildPage(s snapshot, period string) pageView {
	v := pageView{snapshot: s}
	for i := len(s.Runs) - 1; i >= 0; i-- {
		if rep := s.Runs[i].Report; rep != nil && rep.Scored > 0 {
			v.Last = &s.Runs[i]
			break
		}
	}
	v.Recent = recentRuns(s.Runs, 12)
	if v.Last == nil {
		return v
	}
	rep := v.Last.Report
	v.In = rep.Insight
	if v.In == nil {
		v.In = fallbackInsight(rep)
	}
	segs := withUnknown(v.In.Segments, s.Runs)
	for i, sg := range segs {
		row := segRow{Segment: sg, Colour: colour(i)}
		if i < len(v.In.Segments) {
			v.Rows = append(v.Rows, row)
		}
		v.Legend = append(v.Legend, row)
	}
	v.FreqSVG = histogramSVG(v.In.Frequency, "frequency", "orders per customer in the window", false)
	v.RecencySVG = histogramSVG(v.In.Recency, "recency", "days since the last order", true)
	v.HeatSVG = heatSVG(v.In.RF, v.In.Bins, v.In.Segments)
	v.BoxSVG = boxSVG(v.In.Segments)
	for _, sc := range v.In.Scales {
		if sc.Metric != "m" {
			v.EmptyNotes = append(v.EmptyNotes, sc.Notes...)
		}
	}
	v.SizeSVG = sizesSVG(sizePoints(s), segs)
	v.LastMoves = newMoveView("Last run ("+rep.AsOf.Time().Format("2006-01-02")+")", rep.Moves, segs)
	if period == "" {
		period = "30d"
	}
	var d time.Duration
	for _, p := range periods {
		v.Periods = append(v.Periods, periodLink{Key: p.key, Label: p.label, Current: p.key == period})
		if p.key == period {
			d = p.d
		}
	}
	v.PeriodMoves = periodMoves(movePoints(s), rep.AsOf.Time(), d, segs)
	v.Predict = buildPredict(rep, v.Rows)
	return v
}

// sizePoints are the segment sizes of every real scored run: from the
// persisted history when it holds more of them (it survives restarts),
// else from the board's memory.
func sizePoints(s snapshot) []sizePoint {
	var mem, kept []sizePoint
	for _, r := range s.Runs {
		if r.Report != nil && r.Report.Scored > 0 && !r.Report.DryRun {
			mem = append(mem, sizePoint{At: r.Report.AsOf.Time(), Sizes: r.Report.Segments})
		}
	}
	for _, r := range s.RunHistory {
		at, err := rfm.ParseInstant(r.AsOf)
		if err != nil || r.Scored == 0 || len(r.Segments) == 0 {
			continue
		}
		kept = append(kept, sizePoint{At: at.Time(), Sizes: r.Segments})
	}
	if len(kept) > len(mem) {
		return kept
	}
	return mem
}

// movePoint is one real run's moves.
type movePoint struct {
	At    time.Time
	Moves map[string]int
}

// movePoints are the moves of every real run: from the persisted history
// when it holds more of them (it survives restarts), else from the
// board's memory, as sizePoints does for sizes.
func movePoints(s snapshot) []movePoint {
	var mem, kept []movePoint
	for _, r := range s.Runs {
		if rep := r.Report; rep != nil && !rep.DryRun && !(r.Error != "" && rep.Scored == 0) {
			mem = append(mem, movePoint{At: rep.AsOf.Time(), Moves: rep.Moves})
		}
	}
	for _, r := range s.RunHistory {
		at, err := rfm.ParseInstant(r.AsOf)
		if err != nil || r.Scored == 0 || r.MoveCounts == nil {
			continue
		}
		kept = append(kept, movePoint{At: at.Time(), Moves: r.MoveCounts})
	}
	if len(kept) > len(mem) {
		return kept
	}
	return mem
}

// periodMoves sums the moves of the runs in the period ending at end
// (every run when d is 0).
func periodMoves(points []movePoint, end time.Time, d time.Duration, segs []insight.Segment) moveView {
	var sets []map[string]int
	n := 0
	var first time.Time
	for _, p := range points {
		at := p.At
		if d > 0 && (!at.After(end.Add(-d)) || at.After(end)) {
			continue
		}
		if n == 0 {
			first = at
		}
		sets = append(sets, p.Moves)
		n++
	}
	title := "No runs in the period"
	if n > 0 {
		runs := "runs"
		if n == 1 {
			runs = "run"
		}
		title = fmt.Sprintf("%d %s, %s to %s", n, runs, first.Format("2006-01-02"), end.Format("2006-01-02"))
	}
	return newMoveView(title, insight.SumMoves(sets...), segs)
}

func newMoveView(title string, moves map[string]int, segs []insight.Segment) moveView {
	m := insight.MoveMatrix(moves, segs)
	v := moveView{Title: title, Matrix: m, Cols: m.Cols, Totals: make([]int, len(m.Cols))}
	top := 1
	for _, row := range m.Counts {
		for _, n := range row {
			top = max(top, n)
		}
	}
	for i, from := range m.Rows {
		row := moveRow{From: from}
		for j, to := range m.Cols {
			n := m.Counts[i][j]
			row.Out += n
			v.Totals[j] += n
			c := moveCell{N: n, Title: fmt.Sprintf("%s → %s: %d", from.Label, to.Label, n)}
			if n > 0 {
				c.Shade = template.CSS(fmt.Sprintf("background:rgba(31,95,191,%.2f)", 0.08+0.72*float64(n)/float64(top)))
			}
			row.Cells = append(row.Cells, c)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// withUnknown appends segment ids seen in past runs but not in the current
// map (a renamed or removed segment), so the history still draws them.
func withUnknown(segs []insight.Segment, runs []Run) []insight.Segment {
	known := map[string]bool{}
	for _, s := range segs {
		known[s.ID] = true
	}
	extra := map[string]bool{}
	for _, r := range runs {
		if r.Report == nil {
			continue
		}
		for id := range r.Report.Segments {
			if !known[id] {
				extra[id] = true
			}
		}
	}
	out := slices.Clone(segs)
	for _, id := range slices.Sorted(maps.Keys(extra)) {
		out = append(out, insight.Segment{ID: id, Label: id})
	}
	return out
}

// fallbackInsight rebuilds what it can from a report without an insight
// (one recorded by an older version): sizes and the heat map, by id.
func fallbackInsight(rep *syncloop.Report) *insight.Insight {
	in := &insight.Insight{Customers: rep.Scored, Bins: max(len(rep.HeatRF)-1, 0)}
	for _, id := range slices.Sorted(maps.Keys(rep.Segments)) {
		n := rep.Segments[id]
		in.Segments = append(in.Segments, insight.Segment{ID: id, Label: id, Customers: n, Share: float64(n) / float64(max(rep.Scored, 1))})
	}
	slices.SortStableFunc(in.Segments, func(a, b insight.Segment) int { return b.Customers - a.Customers })
	for r := in.Bins; r >= 1; r-- {
		for f := 1; f <= in.Bins && f < len(rep.HeatRF[r]); f++ {
			in.RF = append(in.RF, insight.Cell{R: r, F: f, Count: rep.HeatRF[r][f]})
		}
	}
	return in
}

func recentRuns(runs []Run, n int) []runRow {
	var out []runRow
	for i := len(runs) - 1; i >= 0 && len(out) < n; i-- {
		r := runs[i]
		row := runRow{Run: r}
		if rep := r.Report; rep != nil {
			for _, m := range rep.Moves {
				row.Moved += m
			}
			row.Scored, row.Changed, row.Written, row.Calls, row.DryRun = rep.Scored, rep.Changed, rep.Written, rep.TotalCalls(), rep.DryRun
		}
		out = append(out, row)
	}
	return out
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}
