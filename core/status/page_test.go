package status

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/insight"
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
