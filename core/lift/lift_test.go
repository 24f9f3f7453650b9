package lift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestInHoldoutStableShare(t *testing.T) {
	key, other := []byte("k1"), []byte("k2")
	const n = 100_000
	var at10, at20, both, otherKey int
	for i := range n {
		id := fmt.Sprintf("cust-%d", i)
		in10 := InHoldout(key, id, 0.10)
		if in10 != InHoldout(key, id, 0.10) {
			t.Fatalf("%s: not stable", id)
		}
		in20 := InHoldout(key, id, 0.20)
		if in10 && !in20 {
			t.Fatalf("%s held out at 10 %% but not at 20 %%", id)
		}
		at10 += b2i(in10)
		at20 += b2i(in20)
		if InHoldout(other, id, 0.10) {
			otherKey++
			both += b2i(in10)
		}
		if InHoldout(key, id, 0) || !InHoldout(key, id, 1) {
			t.Fatalf("%s: share 0 or 1 not honoured", id)
		}
	}
	// Binomial standard deviation at n = 100,000 and 10 % is 0.1 %.
	for _, c := range []struct {
		name string
		got  int
		want float64
	}{{"10 %", at10, 0.10}, {"20 %", at20, 0.20}, {"other key", otherKey, 0.10}, {"both keys", both, 0.01}} {
		if share := float64(c.got) / n; math.Abs(share-c.want) > 0.005 {
			t.Errorf("%s: share %.4f, want %.2f", c.name, share, c.want)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestWilson(t *testing.T) {
	// Textbook values (Newcombe 1998, Table I; Agresti and Coull 1998).
	for _, c := range []struct {
		k, n      int
		low, high float64
	}{{0, 10, 0, 0.2775}, {5, 10, 0.2366, 0.7634}, {81, 263, 0.2553, 0.3662}} {
		l, h := Wilson(c.k, c.n, z95)
		if math.Abs(l-c.low) > 5e-5 || math.Abs(h-c.high) > 5e-5 {
			t.Errorf("Wilson(%d/%d) = %.4f–%.4f, want %.4f–%.4f", c.k, c.n, l, h, c.low, c.high)
		}
	}
}

func TestNewcombeDifference(t *testing.T) {
	// Newcombe (1998), Table II example (a): 56/70 against 48/80,
	// method 10 gives 0.0524 to 0.3339.
	a, b := group([2]int{70, 56}), group([2]int{80, 48})
	d, l, h := newcombe(a, b)
	if math.Abs(d-0.2) > 1e-12 || math.Abs(l-0.0524) > 5e-5 || math.Abs(h-0.3339) > 5e-5 {
		t.Errorf("difference %.4f (%.4f to %.4f), want 0.2000 (0.0524 to 0.3339)", d, l, h)
	}
}

func day(n int) rfm.Instant { return rfm.Instant(int64(n) * rfm.DaySeconds * 1_000_000) }

func TestEntries(t *testing.T) {
	better := Ranked("champions", "loyal", "at_risk", "lost")
	tl := Timeline{Customer: "c", Holdout: true, Observations: []Observation{
		{At: day(1), Segment: "at_risk", LastPurchase: day(0)},
		{At: day(2), Segment: "at_risk", LastPurchase: day(0)},
		{At: day(3), Segment: "lost", LastPurchase: day(0)},
		{At: day(9), Segment: "loyal", LastPurchase: day(8)},
		{At: day(10), Segment: "loyal", LastPurchase: day(8)},
	}}
	got := Entries(tl, better)
	want := []Entry{
		{Customer: "c", Segment: "at_risk", Holdout: true, At: day(1), MovedUpAt: day(9), BoughtAt: day(8)},
		{Customer: "c", Segment: "lost", Holdout: true, At: day(3), MovedUpAt: day(9), BoughtAt: day(8)},
		{Customer: "c", Segment: "loyal", Holdout: true, At: day(9)},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("entries\n%v\nwant\n%v", got, want)
	}
	if better("champions", "unknown") || better("unknown", "champions") || better("loyal", "lost") {
		t.Error("Ranked misorders")
	}
}

// entries makes n entries into seg for one arm, k of which buy again after
// 5 days, at day start.
func entries(seg string, holdout bool, start, n, k int) []Entry {
	var out []Entry
	for i := range n {
		e := Entry{Customer: fmt.Sprint(seg, holdout, i), Segment: seg, Holdout: holdout, At: day(start)}
		if i < k {
			e.BoughtAt = day(start + 5)
			e.MovedUpAt = day(start + 40)
		}
		out = append(out, e)
	}
	return out
}

func TestReport(t *testing.T) {
	var es []Entry
	es = append(es, entries("win", false, 0, 400, 200)...) // 50 % treated
	es = append(es, entries("win", true, 0, 100, 20)...)   // 20 % held out
	es = append(es, entries("same", false, 0, 300, 90)...)
	es = append(es, entries("same", true, 0, 100, 30)...)
	es = append(es, entries("harm", false, 0, 300, 30)...)
	es = append(es, entries("harm", true, 0, 100, 40)...)
	es = append(es, entries("small", false, 0, 300, 30)...)
	es = append(es, entries("small", true, 0, 10, 9)...)
	// Entered 20 days before asof: a 30-day window is not over, not counted.
	es = append(es, entries("win", true, 80, 1000, 0)...)
	rows := Report(es, day(100), 30, BoughtAgain, 30)
	verdicts := map[string]string{}
	for _, r := range rows {
		verdicts[r.Segment] = r.Verdict
		if r.Segment == "win" {
			if r.Holdout.Entries != 100 || r.Treated.Rate != 0.5 || r.Holdout.Rate != 0.2 || math.Abs(r.Difference-0.3) > 1e-12 {
				t.Errorf("win row %+v", r)
			}
			if !(r.Low > 0 && r.Low < 0.3 && r.High > 0.3) {
				t.Errorf("win interval %.3f–%.3f does not bracket 0.3 above 0", r.Low, r.High)
			}
		}
		if r.Segment == "small" && (r.Enough || r.Difference != 0) {
			t.Errorf("small row shows a difference from 10 held-out customers: %+v", r)
		}
	}
	want := map[string]string{"win": Lift, "same": Inconclusive, "harm": Harm, "small": TooFew}
	if fmt.Sprint(verdicts) != fmt.Sprint(want) {
		t.Errorf("verdicts %v, want %v", verdicts, want)
	}
	if rows[0].Segment != "harm" || rows[3].Segment != "win" {
		t.Errorf("rows not sorted by segment: %v", rows)
	}
	// Without a minimum every row with both arms shows its difference.
	for _, r := range Report(es, day(100), 30, BoughtAgain, 0) {
		if !r.Enough {
			t.Errorf("%s: too few with no minimum: %+v", r.Segment, r)
		}
	}
	onlyTreated := Report(entries("solo", false, 0, 50, 5), day(100), 30, BoughtAgain, 0)
	if len(onlyTreated) != 1 || onlyTreated[0].Enough || onlyTreated[0].Verdict != TooFew {
		t.Errorf("a segment without held-out customers: %+v", onlyTreated)
	}
	// Moving up took 40 days: inside a 60-day window, outside a 30-day one.
	for _, r := range Report(es, day(100), 30, MovedUp, 30) {
		if r.Treated.Successes != 0 {
			t.Errorf("%s: moves after 40 days counted in a 30-day window", r.Segment)
		}
	}
	for _, r := range Report(es, day(100), 60, MovedUp, 30) {
		if r.Segment == "win" && r.Treated.Successes != 200 {
			t.Errorf("win: %d moves up in 60 days, want 200", r.Treated.Successes)
		}
	}
}

// TestNewcombeCoverage: with no true difference, the 95 % interval of the
// difference holds 0 in about 95 % of simulated experiments.
func TestNewcombeCoverage(t *testing.T) {
	src := rand.New(rand.NewPCG(1, 2))
	const trials = 4000
	held := 0
	for range trials {
		k1, k2 := 0, 0
		for range 200 {
			k1 += b2i(src.Float64() < 0.3)
		}
		for range 60 {
			k2 += b2i(src.Float64() < 0.3)
		}
		_, l, h := newcombe(group([2]int{200, k1}), group([2]int{60, k2}))
		held += b2i(l <= 0 && 0 <= h)
	}
	// Binomial standard deviation at 4,000 trials is 0.34 %.
	if cover := float64(held) / trials; cover < 0.935 || cover > 0.975 {
		t.Errorf("coverage %.3f, want about 0.95", cover)
	}
}
