package syncloop_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/conformance/memcrm"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/lift"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/predict"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

var holdoutKey = []byte("test-holdout-key-0123456789")

// predictFields maps the prediction outputs beside the segment.
var predictFields = outputs.Single(map[string]string{
	outputs.Segment: "seg", outputs.PAlive: "p_alive", outputs.ExpectedOrders: "orders",
	outputs.PredictedValue: "value", outputs.Holdout: "holdout",
})

// newPredictEnv seeds n customers with a mix of repeat and one-time buyers
// over the two years before t0, drawn from a fixed seed: enough for the
// models to fit.
func newPredictEnv(t *testing.T, n int) *env {
	crm := memcrm.New(t0)
	e := &env{t: t, crm: crm, path: filepath.Join(t.TempDir(), "s.db")}
	e.opts = syncloop.Options{
		Params: rfm.DefaultParams(), WindowDays: 730, Now: crm.Now, Fields: predictFields,
		PullFingerprint: "p1", ScoreFingerprint: "s1",
		Predict: syncloop.PredictOptions{
			Enabled: true, HorizonDays: 365, RefitEvery: 30 * 24 * time.Hour, Unit: clv.Week,
			Tolerance:    map[string]float64{outputs.PAlive: 0.02, outputs.ExpectedOrders: 0.05, outputs.PredictedValue: 0.05},
			HoldoutShare: 0.3, HoldoutKey: holdoutKey,
			Lift: syncloop.LiftOptions{WindowDays: 20, MinEntries: 1, Outcome: lift.BoughtAgain},
		},
	}
	seeded[e] = n
	rng := rand.New(rand.NewPCG(7, 14))
	for i := range n {
		k := connector.CustomerKey{Type: "contacts", ID: fmt.Sprintf("c%04d", i)}
		crm.AddCustomer(k)
		first := rng.Float64() * 600
		rate := rng.ExpFloat64() / 40 // purchases per day while alive
		life := rng.ExpFloat64() * 300
		// Gamma-Gamma needs spend that varies between customers more
		// than within one: a mean per customer, gamma(4) noise around it.
		mean := 20 + 100*rng.ExpFloat64()
		day := first
		for j := 0; day >= 0 && first-day < life; j++ {
			noise := (rng.ExpFloat64() + rng.ExpFloat64() + rng.ExpFloat64() + rng.ExpFloat64()) / 4
			amount := strconv.FormatFloat(math.Round(mean*noise*100)/100, 'f', 2, 64)
			crm.PutOrder(fmt.Sprintf("%s-%d", k.ID, j), k, t0.Add(-time.Duration(day*24)*time.Hour), amount, true)
			if rate == 0 {
				break
			}
			day -= rng.ExpFloat64() / rate
		}
	}
	return e
}

// seeded is how many customers newPredictEnv gave each env.
var seeded = map[*env]int{}

func (e *env) customers() []connector.CustomerKey {
	var out []connector.CustomerKey
	for i := range seeded[e] {
		out = append(out, connector.CustomerKey{Type: "contacts", ID: fmt.Sprintf("c%04d", i)})
	}
	return out
}

func TestPredictionsWrittenThroughTheLoop(t *testing.T) {
	e := newPredictEnv(t, 300)
	rep, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	pr := rep.Predict
	if pr == nil || !pr.Refitted || pr.ModelVersion != 1 || pr.Error != "" || pr.LogLikelihood >= 0 {
		t.Fatalf("first run's predict report: %+v", pr)
	}
	if pr.Predicted != rep.Scored || pr.HeldOut+pr.Treated != rep.Scored || pr.HeldOut == 0 {
		t.Errorf("predicted %d, held out %d + treated %d, scored %d", pr.Predicted, pr.HeldOut, pr.Treated, rep.Scored)
	}
	sumDist := 0
	for _, n := range pr.PAliveDist {
		sumDist += n
	}
	if sumDist != pr.Predicted || len(pr.ValueBySegment) == 0 {
		t.Errorf("p_alive distribution %v, value by segment %v", pr.PAliveDist, pr.ValueBySegment)
	}
	written := map[connector.CustomerKey]map[string]string{}
	for _, k := range e.customers() {
		f := e.crm.Fields(k)
		written[k] = f
		if f["seg"] == "" {
			continue
		}
		p, err := strconv.ParseFloat(f["p_alive"], 64)
		if err != nil || p < 0 || p > 1 || p != math2(p) {
			t.Errorf("%s: p_alive %q", k, f["p_alive"])
		}
		if _, err := strconv.ParseFloat(f["orders"], 64); err != nil {
			t.Errorf("%s: expected_orders %q", k, f["orders"])
		}
		if v, err := strconv.ParseFloat(f["value"], 64); err != nil || v < 0 {
			t.Errorf("%s: predicted_value %q", k, f["value"])
		}
		want := outputs.HoldoutTreated
		if lift.InHoldout(holdoutKey, k.String(), 0.3) {
			want = outputs.HoldoutHeld
		}
		if f["holdout"] != want {
			t.Errorf("%s: holdout %q, want %q", k, f["holdout"], want)
		}
	}

	// A restart at the same asof scores alike: the stored parameters are
	// used, nothing is refitted or written.
	asof := t0
	rep, err = e.run(func(o *syncloop.Options) { o.AsOf = asof })
	if err != nil || rep.Predict.Refitted || rep.Predict.ModelVersion != 1 || rep.Changed != 0 {
		t.Fatalf("restart: refitted %v, version %d, changed %d, err %v", rep.Predict.Refitted, rep.Predict.ModelVersion, rep.Changed, err)
	}

	// Forty days on, within the cadence: the same model, predictions drift;
	// a loose tolerance keeps the published text, so no prediction is written.
	e.crm.Advance(40 * 24 * time.Hour)
	rep, err = e.run(func(o *syncloop.Options) {
		o.Predict.RefitEvery = 60 * 24 * time.Hour
		o.Predict.Tolerance = map[string]float64{outputs.PAlive: 1, outputs.ExpectedOrders: 1, outputs.PredictedValue: 1}
	})
	if err != nil || rep.Predict.Refitted {
		t.Fatalf("within the cadence: %+v %v", rep.Predict, err)
	}
	for _, f := range []string{"p_alive", "orders", "value"} {
		if n := rep.FieldChanges[f]; n != 0 {
			t.Errorf("%d %s changes within a tolerance of 100 %%", n, f)
		}
	}
	for k, before := range written {
		if got := e.crm.Fields(k); got["seg"] != "" && got["p_alive"] != before["p_alive"] {
			t.Fatalf("%s: p_alive %q → %q under the tolerance", k, before["p_alive"], got["p_alive"])
		}
	}
	// With no tolerance, the same drift is written.
	rep, err = e.run(func(o *syncloop.Options) {
		o.Predict.RefitEvery = 60 * 24 * time.Hour
		o.Predict.Tolerance = nil
	})
	if err != nil || rep.FieldChanges["p_alive"] == 0 || rep.Written == 0 {
		t.Fatalf("no tolerance: p_alive changes %d, written %d, %v", rep.FieldChanges["p_alive"], rep.Written, err)
	}
}

// math2 rounds to two places, as p_alive is written.
func math2(p float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(p, 'f', 2, 64), 64)
	return v
}

func TestInactiveCustomerLosesPredictions(t *testing.T) {
	e := newPredictEnv(t, 200)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	var victim connector.CustomerKey
	for _, k := range e.customers() {
		if e.crm.Fields(k)["p_alive"] != "" {
			victim = k
			break
		}
	}
	// Past the window: every order of the victim is too old to count.
	for j := range 1000 {
		e.crm.DeleteOrder(fmt.Sprintf("%s-%d", victim.ID, j))
	}
	e.crm.Advance(time.Hour)
	rep, err := e.run(nil)
	if err != nil || rep.Inactivated != 1 {
		t.Fatalf("inactivated %d, %v", rep.Inactivated, err)
	}
	f := e.crm.Fields(victim)
	for _, name := range []string{"seg", "p_alive", "orders", "value", "holdout"} {
		if f[name] != "" {
			t.Errorf("inactive %s keeps %s = %q", victim, name, f[name])
		}
	}
}

func TestFailedRefitKeepsThePreviousModel(t *testing.T) {
	e := newPredictEnv(t, 200)
	rep, err := e.run(nil)
	if err != nil || rep.Predict.ModelVersion != 1 {
		t.Fatalf("first run: %+v %v", rep.Predict, err)
	}
	// Leave every customer one order: Gamma-Gamma has no repeat buyer to
	// fit, so the due refit fails.
	for _, k := range e.customers() {
		for j := 1; j < 1000; j++ {
			e.crm.DeleteOrder(fmt.Sprintf("%s-%d", k.ID, j))
		}
	}
	e.crm.Advance(2 * 24 * time.Hour)
	rep, err = e.run(func(o *syncloop.Options) { o.Predict.RefitEvery = 24 * time.Hour })
	if err != nil {
		t.Fatal(err)
	}
	pr := rep.Predict
	if pr.Refitted || pr.RefitFailed == "" || pr.ModelVersion != 1 || pr.Predicted != rep.Scored || pr.Error != "" {
		t.Fatalf("failed refit: %+v", pr)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "refit failed") || !strings.Contains(out.String(), "version 1") {
		t.Errorf("report does not say the refit failed and the old version is used:\n%s", out.String())
	}
}

func TestNoModelWritesNoPredictionsButScores(t *testing.T) {
	e := newPredictEnv(t, 0)
	for i := range 5 {
		k := key(i)
		e.crm.AddCustomer(k)
		e.crm.PutOrder(k.ID, k, t0.Add(-time.Duration(i+1)*24*time.Hour), "10", true)
	}
	rep, err := e.run(nil)
	if err != nil || rep.Written != 5 {
		t.Fatalf("written %d, %v", rep.Written, err)
	}
	if pr := rep.Predict; pr.ModelVersion != 0 || pr.RefitFailed == "" || pr.Error == "" || pr.Predicted != 0 {
		t.Fatalf("no model: %+v", pr)
	}
	if f := e.crm.Fields(key(0)); f["seg"] == "" || f["p_alive"] != "" || f["holdout"] == "" {
		t.Errorf("fields without a model: %v", f)
	}
}

func TestDryRunStoresNoModel(t *testing.T) {
	e := newPredictEnv(t, 200)
	rep, err := e.run(func(o *syncloop.Options) { o.DryRun = true })
	if err != nil || !rep.Predict.Refitted || rep.Predict.ModelVersion != 0 || rep.Predict.Predicted == 0 {
		t.Fatalf("dry run: %+v %v", rep.Predict, err)
	}
	db, err := state.Open(e.path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok, err := db.CurrentModel(); ok || err != nil {
		t.Errorf("a dry run stored a model (%v)", err)
	}
}

func TestLiftMeasuredFromTheSegmentLog(t *testing.T) {
	e := newPredictEnv(t, 300)
	rng := rand.New(rand.NewPCG(3, 4))
	for run := range 4 {
		rep, err := e.run(nil)
		if err != nil {
			t.Fatal(err)
		}
		l := rep.Predict.Lift
		if l == nil || rep.Predict.LiftErr != "" {
			t.Fatalf("run %d: no lift report (%s)", run, rep.Predict.LiftErr)
		}
		if l.Customers != rep.Scored && run == 0 || l.HeldOut == 0 {
			t.Errorf("run %d: lift over %d customers (%d held out), scored %d", run, l.Customers, l.HeldOut, rep.Scored)
		}
		if run == 0 && l.Entries != 0 {
			t.Errorf("entries counted before their window passed: %d", l.Entries)
		}
		if run == 3 {
			if l.Entries == 0 || len(l.Rows) == 0 {
				t.Fatalf("after three 30-day steps: %+v", l)
			}
			bought := 0
			for _, r := range l.Rows {
				bought += r.Treated.Successes + r.Holdout.Successes
				if r.Treated.Entries+r.Holdout.Entries == 0 {
					t.Errorf("empty row %+v", r)
				}
			}
			if bought == 0 {
				t.Errorf("nobody bought again although customers did: %+v", l.Rows)
			}
		}
		// A month passes; some customers buy again within days.
		now := e.crm.Now()
		for i, k := range e.customers() {
			if rng.IntN(3) == 0 {
				e.crm.PutOrder(fmt.Sprintf("%s-again-%d", k.ID, run), k, now.Add(time.Duration(1+i%10)*24*time.Hour), "50", true)
			}
		}
		e.crm.Advance(30 * 24 * time.Hour)
	}
	// The lift the sync reports is what the state says, run again.
	db, err := state.Open(e.path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := predict.Lift(db, rfm.InstantOf(e.crm.Now()), predict.LiftOptions{Key: holdoutKey, Share: 0.3, WindowDays: 20,
		MinEntries: 1, Outcome: lift.BoughtAgain, Better: func(string, string) bool { return false },
		Purchases: rfm.Window{AsOf: rfm.InstantOf(e.crm.Now()), Days: 730}})
	if err != nil || res.Entries == 0 {
		t.Fatalf("lift from state: %+v %v", res, err)
	}
}

func TestSegmentLogHoldsOnlyWhatTheCRMAccepted(t *testing.T) {
	e := newPredictEnv(t, 50)
	ks := e.customers()
	rejected := ks[7]
	e.crm.RejectCustomer(rejected)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	// Holdout off: nothing is logged.
	other := newPredictEnv(t, 10)
	if _, err := other.run(func(o *syncloop.Options) { o.Predict.HoldoutShare = 0 }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		e    *env
		want func(connector.CustomerKey) bool
	}{
		{e, func(k connector.CustomerKey) bool { return k != rejected }},
		{other, func(connector.CustomerKey) bool { return false }},
	} {
		db, err := state.Open(c.e.path, state.Options{})
		if err != nil {
			t.Fatal(err)
		}
		logged := map[connector.CustomerKey][]state.SegmentStep{}
		if err := db.ForEachSegmentLog(func(k connector.CustomerKey, s []state.SegmentStep) error {
			logged[k] = s
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		for _, k := range c.e.customers() {
			steps, ok := logged[k]
			if ok != c.want(k) {
				t.Errorf("%s: logged %v, want logged %v", k, steps, c.want(k))
			}
			if ok && (len(steps) != 1 || steps[0].Segment != c.e.crm.Fields(k)["seg"] || steps[0].At != rfm.InstantOf(t0)) {
				t.Errorf("%s: log %v, CRM segment %q", k, steps, c.e.crm.Fields(k)["seg"])
			}
		}
	}
}
