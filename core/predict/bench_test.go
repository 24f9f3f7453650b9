package predict

import (
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/lift"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// benchState fills a state file with n customers' orders over the two years
// before asof: a BG/NBD-like population (a purchase rate and a lifetime
// per customer, a mean spend per customer), about 3 orders each.
func benchState(b *testing.B, n int, asof rfm.Instant) (*state.DB, int) {
	orders := 0
	b.Helper()
	db, err := state.Open(filepath.Join(b.TempDir(), "state.db"), state.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	rng := rand.New(rand.NewPCG(1, 2))
	day := rfm.Instant(rfm.DaySeconds * 1_000_000)
	var page []state.Change
	flush := func(force bool) {
		if len(page) >= 20_000 || force && len(page) > 0 {
			if _, err := db.ApplyPage("orders", page, []byte(strconv.Itoa(rng.Int()))); err != nil {
				b.Fatal(err)
			}
			page = page[:0]
		}
	}
	for i := range n {
		key := connector.CustomerKey{Type: "contacts", ID: "c" + strconv.Itoa(i)}
		first := rng.Float64() * 700
		rate := rng.ExpFloat64() / 60
		life := rng.ExpFloat64() * 400
		mean := 20 + 100*rng.ExpFloat64()
		for j, d := 0, first; d >= 0 && first-d < life && j < 40; j++ {
			amount := rfm.MoneyFromMicros(int64(mean * (rng.ExpFloat64() + rng.ExpFloat64()) / 2 * 1e6))
			id := key.ID + "-" + strconv.Itoa(j)
			orders++
			page = append(page, state.Change{OrderID: id, Fact: state.Fact{OrderID: id, Customer: key, ClosedAt: asof - rfm.Instant(d*float64(day)), Amount: amount}})
			d -= rng.ExpFloat64() / rate
		}
		flush(false)
	}
	flush(true)
	return db, orders
}

// BenchmarkRefitPredict1M is the predictive part of a sync's local work on
// 1,000,000 customers, as syncloop calls it (Run): one read of the orders
// in state folded into occasions, a due refit of both models, and the
// rounded prediction of every customer. Dry, so every iteration refits.
func BenchmarkRefitPredict1M(b *testing.B) {
	asof := rfm.InstantOf(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	db, orders := benchState(b, 1_000_000, asof)
	w := rfm.Window{AsOf: asof, Days: 730}
	b.ResetTimer()
	for b.Loop() {
		_, ok, r, ps, err := Run(db, w, asof.Time(), Policy{DryRun: true}, 365)
		if err != nil || !ok || !r.Refitted || len(ps) < 900_000 {
			b.Fatalf("ok=%v %+v %d predictions, %v", ok, r, len(ps), err)
		}
	}
	b.ReportMetric(float64(orders), "orders")
}

// BenchmarkPredictStored1M is a run between refits: one read and the
// prediction of every customer with the stored model.
func BenchmarkPredictStored1M(b *testing.B) {
	asof := rfm.InstantOf(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	db, orders := benchState(b, 1_000_000, asof)
	w := rfm.Window{AsOf: asof, Days: 730}
	if _, _, r, _, err := Run(db, w, asof.Time(), Policy{}, 365); err != nil || !r.Refitted {
		b.Fatalf("first fit: %+v %v", r, err)
	}
	b.ResetTimer()
	for b.Loop() {
		_, _, r, ps, err := Run(db, w, asof.Time(), Policy{}, 365)
		if err != nil || r.Refitted || len(ps) < 900_000 {
			b.Fatalf("%+v %d predictions, %v", r, len(ps), err)
		}
	}
	b.ReportMetric(float64(orders), "orders")
}

// BenchmarkLift1M measures the lift over 1,000,000 customers with three
// logged segment entries each, with the purchases after each entry read
// from state: what a run with the holdout on adds after its writes.
func BenchmarkLift1M(b *testing.B) { benchLift(b, 1_000_000) }

func BenchmarkLift100k(b *testing.B) { benchLift(b, 100_000) }

func benchLift(b *testing.B, n int) {
	asof := rfm.InstantOf(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
	db, _ := benchState(b, n, asof)
	day := rfm.Instant(rfm.DaySeconds * 1_000_000)
	segs := []string{"at_risk", "loyal_customers", "champions", "hibernating"}
	for step := range 3 {
		steps := make(map[connector.CustomerKey]state.SegmentStep, n)
		for i := range n {
			key := connector.CustomerKey{Type: "contacts", ID: "c" + strconv.Itoa(i)}
			steps[key] = state.SegmentStep{At: asof - rfm.Instant(300-100*step)*day, Segment: segs[(i+step)%len(segs)]}
		}
		if err := db.LogSegments(steps); err != nil {
			b.Fatal(err)
		}
	}
	rank := lift.Ranked(SegmentRank(rfm.DefaultParams(), "inactive")...)
	b.ResetTimer()
	for b.Loop() {
		res, err := Lift(db, asof, LiftOptions{Key: []byte("bench-key-0123456789"), Share: 0.1, WindowDays: 90,
			MinEntries: 30, Outcome: lift.BoughtAgain, Better: rank, Purchases: rfm.Window{AsOf: asof, Days: 730}})
		if err != nil || res.Customers != n || res.Entries != 3*n {
			b.Fatalf("%+v %v", res, err)
		}
	}
}
