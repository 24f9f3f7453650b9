package syncloop_test

import (
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// Cuts recalibrated under bins: 5 and stored must not be applied after the
// config moves to bins: 3 (they would score past the bins and panic the
// run): they are recomputed for the new number of bins.
func TestStoredCutsOfOtherBinsAreRecomputed(t *testing.T) {
	e := newEnv(t)
	params := func(bins int, cuts ...int64) rfm.Params {
		m, err := rfm.NewSegmentMap(bins, []rfm.SegmentRule{{Segment: rfm.Segment{ID: "all", Label: "All"}}})
		if err != nil {
			t.Fatal(err)
		}
		p := rfm.Params{Bins: bins, Segments: m}
		p.M.Method = rfm.Threshold
		for _, c := range cuts {
			p.M.Cuts = append(p.M.Cuts, rfm.MoneyFromInt(c))
		}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	recal := map[rfm.Metric]time.Duration{rfm.Monetary: 30 * 24 * time.Hour}
	if _, err := e.run(func(o *syncloop.Options) { o.Params, o.Recalibrate = params(5, 100, 200, 300, 400), recal }); err != nil {
		t.Fatal(err)
	}
	e.crm.Advance(time.Hour)
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("run after bins 5 → 3 panicked: %v", p)
		}
	}()
	rep, err := e.run(func(o *syncloop.Options) {
		o.Params, o.Recalibrate, o.ScoreFingerprint = params(3, 150, 300), recal, "s2"
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.MDist) != 4 {
		t.Fatalf("MDist %v", rep.MDist)
	}
}
