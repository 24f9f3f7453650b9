package status

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func TestPageShowsMoneyLabelsAndPeriodMoves(t *testing.T) {
	b := NewBoard()
	t0 := time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)
	total := 0
	for i := range 4 {
		asof := t0.Add(time.Duration(i) * 7 * 24 * time.Hour)
		rep := realisticRun(600, asof, uint64(10+i))
		for _, n := range rep.Moves {
			total += n
		}
		b.Record(Run{Started: asof, Finished: asof.Add(time.Minute), Report: rep})
	}
	last, _ := b.Last()
	in := last.Report.Insight
	page := get(t, b, "/")
	if strings.Contains(page, "ZgotmplZ") {
		t.Error("the template refused a value (ZgotmplZ)")
	}
	risk, _ := in.Lookup("at_risk")
	for _, want := range []string{"At Risk", "Can&#39;t Lose Them", insight.FormatMoney(risk.Revenue), insight.FormatMoney(in.Revenue),
		"How scores are cut", "R 1-2, FM 3-4", `class="chart heat"`, `class="chart boxes"`, `class="chart sizes"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Segments appear in rule order, not by size.
	prev := -1
	for _, s := range in.Segments {
		at := strings.Index(page, `<tr data-segment="`+s.ID+`">`)
		if at < prev {
			t.Errorf("segment %s out of rule order", s.ID)
		}
		prev = at
	}
	all := get(t, b, "/?moves=all")
	if !strings.Contains(all, fmt.Sprintf("4 runs, 2025-03-01 to 2025-03-22: %s moves", insight.FormatCount(int64(total)))) {
		t.Errorf("period of all runs does not sum %d moves of 4 runs", total)
	}
	week := get(t, b, "/?moves=7d")
	if !strings.Contains(week, "1 run, 2025-03-22 to 2025-03-22") {
		t.Error("a 7-day period should hold only the last run")
	}
}

func TestPageForOtherGridsAndEmptyRuns(t *testing.T) {
	for _, bins := range []int{2, 9} {
		m, err := rfm.NewSegmentMap(bins, []rfm.SegmentRule{
			{Segment: rfm.Segment{ID: "recent", Label: "Recent & <b>bold</b>"}, R: rfm.Range{Lo: bins, Hi: bins}},
			{Segment: rfm.Segment{ID: "rest", Label: "Rest"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		p := rfm.Params{Bins: bins, Segments: m}
		asof := rfm.InstantOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		var cs []rfm.Customer
		for i := range 300 {
			last := asof - rfm.Instant(int64(i%400)*rfm.DaySeconds*1_000_000)
			cs = append(cs, rfm.Customer{Key: fmt.Sprint(i), Agg: rfm.Aggregate{Frequency: int64(1 + i%7), Orders: int64(1 + i%7), Last: last, First: last, Monetary: rfm.MoneyFromInt(int64(i))}})
		}
		scores := rfm.ScoreAll(cs, asof, p)
		rep := &syncloop.Report{AsOf: asof, Scored: len(scores), Segments: map[string]int{}, Moves: map[string]int{"(none) → rest": 3},
			Insight: insight.Summarize(scores, p, insight.Options{WindowDays: 730})}
		b := NewBoard()
		b.Record(Run{Started: asof.Time(), Finished: asof.Time(), Report: rep})
		// A failed run after it, with nothing scored, must not blank the page.
		b.Record(Run{Started: asof.Time(), Finished: asof.Time(), Error: "quota exhausted", Report: &syncloop.Report{}})
		page := get(t, b, "/")
		if n := strings.Count(page, `<g class="cell"`); n != bins*bins {
			t.Errorf("bins %d: %d heat cells", bins, n)
		}
		if strings.Contains(page, "ZgotmplZ") || strings.Contains(page, "<b>bold</b>") || !strings.Contains(page, "Recent &amp; &lt;b&gt;bold&lt;/b&gt;") {
			t.Errorf("bins %d: a label is not escaped, or a value was refused", bins)
		}
		if !strings.Contains(page, "quota exhausted") {
			t.Errorf("bins %d: the failed run is not listed", bins)
		}
	}
}

func TestSizesOverTimeComeFromThePersistedHistoryAfterARestart(t *testing.T) {
	b := NewBoard()
	t0 := time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)
	var records []state.RunRecord
	for i := range 6 {
		asof := t0.Add(time.Duration(i) * 24 * time.Hour)
		records = append(records, RecordOf(asof, asof.Add(time.Minute), realisticRun(300, asof, uint64(i)), nil))
	}
	b.SetHistory(func(n int) ([]state.RunRecord, error) { return records[max(0, len(records)-n):], nil })
	// After the restart the board remembers one run; the file remembers six.
	b.Record(Run{Started: t0.Add(6 * 24 * time.Hour), Finished: t0.Add(6 * 24 * time.Hour), Report: realisticRun(300, t0.Add(6*24*time.Hour), 9)})
	page := get(t, b, "/")
	chart := page[strings.Index(page, `class="chart sizes"`):]
	chart = chart[:strings.Index(chart, "</svg>")]
	if !strings.Contains(chart, "2025-03-01 03:00") || !strings.Contains(chart, "2025-03-06 03:00") {
		t.Errorf("sizes chart does not span the persisted history")
	}
	if n := strings.Count(chart, "<polyline"); n == 0 {
		t.Error("no lines over time")
	}
	if !strings.Contains(page, "kept in the state file across restarts") || strings.Count(page, `id="runs"`) != 1 {
		t.Error("the run history is not the one runs table")
	}
}

// The period move matrix sums the persisted history after a restart, not
// only the runs the board remembers.
func TestPeriodMovesComeFromThePersistedHistoryAfterARestart(t *testing.T) {
	b := NewBoard()
	t0 := time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)
	var records []state.RunRecord
	total := 0
	for i := range 5 {
		asof := t0.Add(time.Duration(i) * 24 * time.Hour)
		rep := realisticRun(300, asof, uint64(20+i))
		for _, n := range rep.Moves {
			total += n
		}
		records = append(records, RecordOf(asof, asof.Add(time.Minute), rep, nil))
	}
	b.SetHistory(func(n int) ([]state.RunRecord, error) { return records[max(0, len(records)-n):], nil })
	// After the restart the board remembers only the last run.
	last := t0.Add(4 * 24 * time.Hour)
	b.Record(Run{Started: last, Finished: last.Add(time.Minute), Report: realisticRun(300, last, 24)})
	all := get(t, b, "/?moves=all")
	if !strings.Contains(all, fmt.Sprintf("5 runs, 2025-03-01 to 2025-03-05: %s moves", insight.FormatCount(int64(total)))) {
		t.Errorf("the period matrix does not sum the %d moves of the 5 persisted runs", total)
	}
}
