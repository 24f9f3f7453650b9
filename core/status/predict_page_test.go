package status

import (
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/lift"
	"github.com/rfmsync/rfmsync/core/predict"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func TestPredictSectionOnThePage(t *testing.T) {
	asof := time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)
	rep := realisticRun(400, asof, 3)
	b := NewBoard()
	b.Record(Run{Started: asof, Finished: asof, Report: rep})
	if page := get(t, b, "/"); strings.Contains(page, `id="predict"`) {
		t.Fatal("a run without predictions shows the section")
	}
	fitted := asof.Add(-24 * time.Hour)
	pr := &syncloop.PredictReport{ModelVersion: 3, FittedAt: &fitted, HorizonDays: 365, Predicted: 400,
		Model:          &clv.Model{Unit: clv.Week, BGNBD: clv.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}, GammaGamma: clv.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}},
		ValueBySegment: map[string]float64{}, PAliveDist: []int{40, 0, 0, 0, 0, 0, 0, 0, 60, 300}, HeldOut: 40, Treated: 360,
		Lift: &predict.LiftResult{Outcome: lift.MovedUp, WindowDays: 90, MinEntries: 30, Entries: 250, Rows: []lift.Row{
			{Segment: "at_risk", Treated: lift.Group{Entries: 200, Successes: 60, Rate: 0.3}, Holdout: lift.Group{Entries: 40, Successes: 6, Rate: 0.15},
				Enough: true, Difference: 0.15, Low: 0.02, High: 0.26, Verdict: lift.Lift},
			{Segment: "lost", Treated: lift.Group{Entries: 9, Successes: 1}, Holdout: lift.Group{Entries: 1}, Verdict: lift.TooFew},
		}}}
	for seg, n := range rep.Segments {
		pr.ValueBySegment[seg] = float64(n) * 100
	}
	pr.ValueBySegment["at_risk"] = 12345
	rep2 := *rep
	rep2.Predict = pr
	b.Record(Run{Started: asof, Finished: asof, Report: &rep2})
	page := get(t, b, "/")
	i := strings.Index(page, `id="predict"`)
	if i < 0 {
		t.Fatal("no predictions section")
	}
	sec := page[i:]
	sec = sec[:strings.Index(sec, "</section>")]
	for _, want := range []string{"12,345", "At Risk", "model version 3", "r 0.243", `class="chart histogram palive"`,
		"40 held out", "360 treated", "60/200 = 30.0%", "15.0% (2.0% to 26.0%)", "treated better", "too few customers", "250 entries"} {
		if !strings.Contains(sec, want) {
			t.Errorf("section lacks %q", want)
		}
	}
	if n := strings.Count(sec, `<g class="bar"`); n != 10 {
		t.Errorf("P(alive) has %d bars, want 10", n)
	}
	if strings.Contains(sec, "ZgotmplZ") {
		t.Error("a value was refused by the template")
	}
	// A run whose refit failed says so and keeps showing the old model.
	pr.RefitFailed = "bg/nbd: fit did not converge"
	b.Record(Run{Started: asof, Finished: asof, Report: &rep2})
	if page := get(t, b, "/"); !strings.Contains(page, "The due refit failed: bg/nbd: fit did not converge") {
		t.Error("failed refit not shown")
	}
}

func TestRecordKeepsMoveCounts(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)
	rep := &syncloop.Report{Moves: map[string]int{"loyal_customers → at_risk": 3, "(none) → champions": 2}}
	r := RecordOf(t0, t0.Add(time.Second), rep, nil)
	if r.Moves != 5 || r.MoveCounts["loyal_customers → at_risk"] != 3 || len(r.MoveCounts) != 2 {
		t.Errorf("record = %+v", r)
	}
	if r := RecordOf(t0, t0, &syncloop.Report{Moves: map[string]int{}}, nil); r.MoveCounts != nil {
		t.Errorf("no moves recorded as %v", r.MoveCounts)
	}
}
