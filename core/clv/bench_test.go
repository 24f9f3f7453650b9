package clv

import "testing"

// BenchmarkFit1M fits both models to 1,000,000 simulated customers (about
// 40 % of them repeat buyers), the figure the issue asks to be seconds.
func BenchmarkFit1M(b *testing.B) {
	cs := customersOf(simulate(1_000_000, trueBG, trueGG, 20, 40, 0, 7))
	b.ResetTimer()
	for b.Loop() {
		if _, err := FitModel(cs, Week); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(cs)), "customers")
}

// BenchmarkPredict1M scores 1,000,000 customers over a year.
func BenchmarkPredict1M(b *testing.B) {
	cs := customersOf(simulate(1_000_000, trueBG, trueGG, 20, 40, 0, 7))
	m := Model{Unit: Week, BGNBD: trueBG, GammaGamma: trueGG}
	b.ResetTimer()
	for b.Loop() {
		for _, c := range cs {
			m.Predict(c, 365)
		}
	}
}
