package clv

import (
	"errors"
	"math"
	"testing"
)

var (
	trueBG = BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	trueGG = GammaGamma{P: 6, Q: 4, Gamma: 15}
)

// checkGradient compares an analytic gradient with central differences.
func checkGradient(t *testing.T, name string, f objective, at []float64) {
	t.Helper()
	grad := make([]float64, len(at))
	f(at, grad)
	scratch := make([]float64, len(at))
	for i := range at {
		h := 1e-6 * at[i]
		up, down := append([]float64(nil), at...), append([]float64(nil), at...)
		up[i] += h
		down[i] -= h
		num := (f(up, scratch) - f(down, scratch)) / (2 * h)
		if math.Abs(num-grad[i]) > 1e-5*math.Max(1, math.Abs(num)) {
			t.Errorf("%s: ∂/∂p%d analytic %.8g, numeric %.8g", name, i, grad[i], num)
		}
	}
}

func TestGradients(t *testing.T) {
	cs := customersOf(simulate(3000, trueBG, trueGG, 20, 40, 0, 1))
	bg := newBGData(cs)
	gg := newGGData(SpendCustomers(cs))
	for _, at := range [][]float64{{0.25, 4, 0.8, 2.5}, {1.3, 0.7, 2.1, 0.9}} {
		checkGradient(t, "bg/nbd", bg.meanLogLik, at)
	}
	for _, at := range [][]float64{{6, 4, 15}, {1.5, 2.2, 40}} {
		checkGradient(t, "gamma-gamma", gg.meanLogLik, at)
	}
}

// TestFitRecoversParameters fits data drawn from known parameters: the
// estimates land near them, and the maximum beats the truth's likelihood.
func TestFitRecoversParameters(t *testing.T) {
	sim := simulate(40_000, trueBG, trueGG, 20, 40, 0, 2)
	cs := customersOf(sim)
	f, err := FitModel(cs, Week)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fit %+v", f)
	near := func(name string, got, want, tol float64) {
		if math.Abs(got-want) > tol*want {
			t.Errorf("%s = %.4f, want %.4f ± %.0f%%", name, got, want, 100*tol)
		}
	}
	m := f.Model
	near("r", m.BGNBD.R, trueBG.R, 0.1)
	near("α", m.BGNBD.Alpha, trueBG.Alpha, 0.15)
	near("a", m.BGNBD.A, trueBG.A, 0.25)
	near("b", m.BGNBD.B, trueBG.B, 0.3)
	near("p", m.GammaGamma.P, trueGG.P, 0.15)
	near("q", m.GammaGamma.Q, trueGG.Q, 0.15)
	near("γ", m.GammaGamma.Gamma, trueGG.Gamma, 0.25)
	if ll := BGNBDLogLikelihood(trueBG, cs); ll > f.LogLikelihood {
		t.Errorf("the truth's log-likelihood %.2f beats the maximum %.2f", ll, f.LogLikelihood)
	}
}

// TestPredictionsMatchSimulation checks P(alive) and the conditional
// expectation against what simulated customers actually did, with the true
// parameters: the mean P(alive) of customers with a given x is the share of
// them alive, the expected holdout occasions their mean.
func TestPredictionsMatchSimulation(t *testing.T) {
	const holdout = 39
	sim := simulate(60_000, trueBG, trueGG, 20, 40, holdout, 3)
	var alive, pAlive, actual, predicted float64
	for _, s := range sim {
		if s.X < 2 {
			continue
		}
		alive += b2f(s.alive)
		pAlive += trueBG.PAlive(s.Customer)
		actual += float64(s.HoldoutX)
		predicted += trueBG.ExpectedPurchases(s.Customer, holdout)
	}
	if math.Abs(pAlive-alive) > 0.03*alive {
		t.Errorf("Σ P(alive) = %.0f, alive = %.0f", pAlive, alive)
	}
	if math.Abs(predicted-actual) > 0.04*actual {
		t.Errorf("expected holdout occasions %.0f, actual %.0f", predicted, actual)
	}
	h := CompareHoldout(trueBG, customersOf(sim), holdout)
	if math.Abs(h.TotalError) > 0.03 {
		t.Errorf("holdout total error %.1f%% with the true parameters", 100*h.TotalError)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestExpectedSpendShrinksToPrior(t *testing.T) {
	prior := trueGG.PriorMeanSpend()
	if want := 6.0 * 15 / 3; prior != want {
		t.Fatalf("prior mean %v, want pγ/(q−1) = %v", prior, want)
	}
	oneTime := trueGG.ExpectedSpend(Customer{})
	if oneTime != prior {
		t.Errorf("one-time buyer expected spend %v, want the prior mean %v", oneTime, prior)
	}
	// A heavy spender's estimate sits between its own mean and the prior,
	// closer to its own mean the more it bought.
	few := Customer{X: 1, RepeatValue: moneyOf(100)}
	many := Customer{X: 20, RepeatValue: moneyOf(2000)}
	ef, em := trueGG.ExpectedSpend(few), trueGG.ExpectedSpend(many)
	if !(prior < ef && ef < em && em < 100) {
		t.Errorf("expected spend: prior %.2f, 1 purchase %.2f, 20 purchases %.2f; want prior < 1 < 20 < 100", prior, ef, em)
	}
	if got := (GammaGamma{P: 1, Q: 0.5, Gamma: 1}).PriorMeanSpend(); !math.IsInf(got, 1) {
		t.Errorf("q ≤ 1 prior mean %v, want +Inf", got)
	}
}

func TestPredictHorizon(t *testing.T) {
	m := Model{Unit: Week, BGNBD: trueBG, GammaGamma: trueGG}
	c := Customer{X: 3, Tx: 30, T: 35, RepeatValue: moneyOf(150)}
	p := m.Predict(c, 365)
	if want := trueBG.ExpectedPurchases(c, 365.0/7); p.ExpectedOrders != want {
		t.Errorf("365 days in weeks: %v, want %v", p.ExpectedOrders, want)
	}
	if p.PredictedValue != p.ExpectedOrders*trueGG.ExpectedSpend(c) || p.PAlive != trueBG.PAlive(c) {
		t.Errorf("prediction %+v does not combine the models", p)
	}
	if m.Predict(c, 730).ExpectedOrders <= p.ExpectedOrders {
		t.Error("a longer horizon expects no more orders")
	}
	if got := (BGNBD{R: 1, Alpha: 1, A: 1, B: 1}).PAlive(Customer{}); got != 1 {
		t.Errorf("P(alive) without repeat purchases = %v, want 1", got)
	}
}

func TestFitFailures(t *testing.T) {
	if _, err := FitModel(nil, Week); err == nil {
		t.Error("fit of no customers succeeded")
	}
	// Nobody ever came back: no repeat customers to fit spend on.
	cs := []Customer{{T: 10}, {T: 20}}
	if _, err := FitModel(cs, Week); err == nil {
		t.Error("fit without repeat customers succeeded")
	}
	// Everyone bought at the same pace with no variation: the likelihood has
	// no interior maximum (heterogeneity runs off to infinity).
	var same []Customer
	for range 200 {
		same = append(same, Customer{X: 5, Tx: 10, T: 10, RepeatValue: moneyOf(50)})
	}
	_, _, err := FitGammaGamma(same)
	if !errors.Is(err, ErrNotConverged) {
		t.Errorf("degenerate spend fit: err = %v, want ErrNotConverged", err)
	}
}

// TestFitIsReproducible fits the same customers several times: the models
// are identical to the last bit (the likelihood sums its count groups in a
// fixed order, not a map's), so twin states store the same model.
func TestFitIsReproducible(t *testing.T) {
	cs := customersOf(simulate(3000, trueBG, trueGG, 20, 40, 0, 5))
	first, err := FitModel(cs, Week)
	if err != nil {
		t.Fatal(err)
	}
	for range 8 {
		again, err := FitModel(cs, Week)
		if err != nil {
			t.Fatal(err)
		}
		if again.Model != first.Model {
			t.Fatalf("the same data fitted %+v, then %+v", first.Model, again.Model)
		}
	}
}
