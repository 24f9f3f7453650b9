package clv

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

// directExpected is eq. 10 as printed, without Euler's transformation.
func directExpected(m BGNBD, c Customer, t float64) float64 {
	fx := float64(c.X)
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	hyp := mathext.Hypergeo(r+fx, b+fx, a+b+fx-1, t/(alpha+c.T+t))
	tail := 1 - math.Pow((alpha+c.T)/(alpha+c.T+t), r+fx)*hyp
	den := 1.0
	if c.X > 0 {
		den += a / (b + fx - 1) * math.Pow((alpha+c.T)/(alpha+c.Tx), r+fx)
	}
	return (a + b + fx - 1) / (a - 1) * tail / den
}

// TestExpectedPurchasesHeavyBuyers: the printed formula overflows for
// frequent buyers over long horizons; the transformed one stays finite,
// grows with the horizon and agrees wherever the printed one is finite.
func TestExpectedPurchasesHeavyBuyers(t *testing.T) {
	m := BGNBD{R: 0.2426, Alpha: 30.9, A: 0.793, B: 2.426} // CDNOW in days
	overflowed := 0
	for _, c := range []Customer{{X: 500, Tx: 699, T: 700}, {X: 500, Tx: 300, T: 700}, {X: 2000, Tx: 729, T: 730},
		{X: 50, Tx: 729, T: 730}, {X: 0, T: 3000}, {X: 1, Tx: 1, T: 2}} {
		prev := 0.0
		for _, h := range []float64{30, 365, 3650} {
			got := m.ExpectedPurchases(c, h)
			if math.IsNaN(got) || math.IsInf(got, 0) || got < prev {
				t.Errorf("x=%d t_x=%v T=%v over %v days: %v (shorter horizon %v)", c.X, c.Tx, c.T, h, got, prev)
			}
			prev = got
			direct := directExpected(m, c, h)
			if math.IsNaN(direct) || math.IsInf(direct, 0) {
				overflowed++
				continue
			}
			if math.Abs(got-direct) > 1e-9*math.Max(direct, 1e-300) {
				t.Errorf("x=%d over %v days: %v, the printed formula %v", c.X, h, got, direct)
			}
		}
	}
	if overflowed == 0 {
		t.Error("no case overflows the printed formula: the test checks nothing hard")
	}
}
