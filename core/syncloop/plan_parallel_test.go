package syncloop

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/conformance/memcrm"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/lift"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// rangeScenario is a CRM and a state a week after a first sync, with every
// kind of customer an incremental sync meets: moved, unchanged, stopped
// qualifying, gone from the CRM, new; predictions and the holdout mapped;
// a second customer type that maps only the last purchase date, so its
// segment moves are quiet commits. The same seed builds the same scenario.
type rangeScenario struct {
	t    *testing.T
	crm  *memcrm.CRM
	path string
	keys []connector.CustomerKey
}

func newRangeScenario(t *testing.T) *rangeScenario {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s := &rangeScenario{t: t, crm: memcrm.New(t0), path: filepath.Join(t.TempDir(), "s.db")}
	rng := rand.New(rand.NewPCG(3, 9))
	const n = 1200
	orders := make([]int, n)
	id := func(i int) connector.CustomerKey {
		return connector.CustomerKey{Type: "contacts", ID: fmt.Sprintf("c%04d", i)}
	}
	// Buyers as the models expect them (newPredictEnv's mix), so the fit
	// converges and every run predicts.
	for i := range n {
		k := id(i)
		s.crm.AddCustomer(k)
		first, rate, life := rng.Float64()*600, rng.ExpFloat64()/40, rng.ExpFloat64()*300
		mean := 20 + 100*rng.ExpFloat64()
		day := first
		for j := 0; day >= 0 && first-day < life; j++ {
			orders[i]++
			noise := (rng.ExpFloat64() + rng.ExpFloat64() + rng.ExpFloat64() + rng.ExpFloat64()) / 4
			amount := strconv.FormatFloat(math.Round(mean*noise*100)/100, 'f', 2, 64)
			s.crm.PutOrder(fmt.Sprintf("%s-%d", k.ID, j), k, t0.Add(-time.Duration(day*24)*time.Hour), amount, true)
			if rate == 0 {
				break
			}
			day -= rng.ExpFloat64() / rate
		}
	}
	for i := range 200 {
		k := connector.CustomerKey{Type: "companies", ID: fmt.Sprintf("co%03d", i)}
		s.crm.AddCustomer(k)
		s.crm.PutOrder(k.ID+"-0", k, t0.Add(-time.Duration(rng.IntN(600)+1)*24*time.Hour), strconv.Itoa(100+rng.IntN(900)), true)
	}
	for i := range n + 40 {
		s.keys = append(s.keys, id(i))
	}
	s.run(s.path, false, 1)

	// A week later: new orders move some, some stop qualifying, some are
	// gone from the CRM, some are new.
	s.crm.Advance(7 * 24 * time.Hour)
	for i := 0; i < n; i += 7 {
		s.crm.PutOrder(fmt.Sprintf("%s-new", id(i).ID), id(i), s.crm.Now().Add(-time.Hour), "2000", true)
	}
	for i := 3; i < n; i += 97 {
		for j := range orders[i] {
			s.crm.DeleteOrder(fmt.Sprintf("%s-%d", id(i).ID, j))
		}
	}
	for i := 5; i < n; i += 131 {
		s.crm.RemoveCustomer(id(i))
	}
	for i := n; i < n+40; i++ {
		s.crm.AddCustomer(id(i))
		s.crm.PutOrder(id(i).ID+"-0", id(i), s.crm.Now().Add(-2*time.Hour), "50", true)
	}
	return s
}

// rangeFields maps every output but the last purchase date to contacts
// only: companies get only that date.
func rangeFields() outputs.FieldMap {
	fields := outputs.FieldMap{}
	for output, name := range map[string]string{
		outputs.Segment: "seg", outputs.RFM: "code", outputs.PreviousSegment: "prev",
		outputs.SegmentChangedAt: "changed", outputs.Monetary: "money",
		outputs.PAlive: "p_alive", outputs.PredictedValue: "value", outputs.Holdout: "holdout",
	} {
		fields[output] = outputs.FieldName{Default: name, ByType: map[string]string{"companies": ""}}
	}
	fields[outputs.LastPurchaseDate] = outputs.Named("last")
	return fields
}

// run syncs the state at path, its diff split into ranges.
func (s *rangeScenario) run(path string, dry bool, ranges int) *Report {
	s.t.Helper()
	diffSplitMin, diffRanges = 1, ranges
	defer func() { diffSplitMin, diffRanges = 100_000, 0 }()
	db, err := state.Open(path, state.Options{})
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	rep, err := Run(context.Background(), Options{
		Connector: s.crm.Connector(), State: db, Params: rfm.DefaultParams(), WindowDays: 730,
		Fields: rangeFields(), PullFingerprint: "p", ScoreFingerprint: "s", Now: s.crm.Now, DryRun: dry,
		Inactive: Inactive{Label: true, Segment: rfm.Segment{ID: "lapsed", Label: "Lapsed"}},
		Predict: PredictOptions{
			Enabled: true, HorizonDays: 365, RefitEvery: 30 * 24 * time.Hour, Unit: clv.Week,
			HoldoutShare: 0.3, HoldoutKey: []byte("holdout-key-for-the-range-test"),
			Lift: LiftOptions{WindowDays: 20, MinEntries: 1, Outcome: lift.BoughtAgain},
		},
	})
	if err != nil {
		s.t.Fatal(err)
	}
	rep.phases, rep.APICalls = phaseTimes{}, nil // timings and the clock's calls differ run to run
	return rep
}

func (s *rangeScenario) copyState(name string) string {
	dst := filepath.Join(s.t.TempDir(), name)
	if err := copyFile(dst, s.path); err != nil {
		s.t.Fatal(err)
	}
	return dst
}

// published is every record the state holds as published.
func published(t *testing.T, path string) map[connector.CustomerKey]state.Published {
	db, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[connector.CustomerKey]state.Published{}
	if err := db.ForEachPublished(func(k connector.CustomerKey, p state.Published) error { out[k] = p; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestParallelDiffIsTheSingleWalk diffs the same state in one range and in
// several: the dry runs' reports are the same, field for field; real runs
// of twin scenarios, one in one range and one in three, leave the same
// published state and the same CRM values, and nothing for the next run.
func TestParallelDiffIsTheSingleWalk(t *testing.T) {
	s := newRangeScenario(t)
	one := s.run(s.copyState("one.db"), true, 1)
	if one.Predict.Predicted == 0 || one.Changed == 0 || one.Inactivated == 0 || len(one.Moves) < 3 || one.Predict.HeldOut == 0 {
		t.Fatalf("the scenario lacks a kind of customer: changed %d, inactivated %d, moves %v, predict %+v",
			one.Changed, one.Inactivated, one.Moves, one.Predict)
	}
	for _, ranges := range []int{2, 3, 7} {
		if got := s.run(s.copyState(fmt.Sprintf("r%d.db", ranges)), true, ranges); !reflect.DeepEqual(got, one) {
			t.Errorf("%d ranges: dry run's report differs from one range's:\n got %+v\nwant %+v", ranges, got, one)
		}
	}

	twin := newRangeScenario(t)
	before := published(t, s.path)
	wantRep, gotRep := s.run(s.path, false, 1), twin.run(twin.path, false, 3)
	if !reflect.DeepEqual(gotRep, wantRep) || gotRep.Gone == 0 || gotRep.Written == 0 {
		t.Errorf("real run in 3 ranges: report differs from one range's (or wrote nothing):\n got %+v\nwant %+v", gotRep, wantRep)
	}
	want, got := published(t, s.path), published(t, twin.path)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("published state after a run in 3 ranges differs from one range's")
	}
	quiet := 0
	for k, p := range want {
		if k.Type == "companies" && p.Segment != before[k].Segment {
			quiet++
		}
	}
	if quiet == 0 {
		t.Errorf("no company moved segment: the quiet commits went untested")
	}
	for _, k := range append(s.keys, connector.CustomerKey{Type: "companies", ID: "co007"}) {
		if w, g := s.crm.Fields(k), twin.crm.Fields(k); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: CRM holds %v after the split run, %v after the single one", k, g, w)
		}
	}
	if rep := twin.run(twin.path, false, 3); rep.Changed != 0 || rep.Inactivated != 0 {
		t.Fatalf("run after a split run: changed %d, inactivated %d; want nothing", rep.Changed, rep.Inactivated)
	}
}
