package clv

import (
	"strconv"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

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

// BenchmarkBook1M folds 3,000,000 orders of 1,000,000 customers into
// occasions and summarises them: the pass before a fit.
func BenchmarkBook1M(b *testing.B) {
	const customers = 1_000_000
	orders := make([]rfm.Order, 0, 3*customers)
	for i := range customers {
		key := strconv.Itoa(i)
		for k := range 3 {
			at := rfm.Instant(int64((i*7+k*40)%700) * microsPerDay)
			orders = append(orders, rfm.Order{CustomerID: key, ClosedAt: at, Amount: rfm.MoneyFromInt(int64(10 + k))})
		}
	}
	p := Periods{CalibrationEnd: rfm.Instant(730 * microsPerDay), HoldoutEnd: rfm.Instant(730 * microsPerDay), Unit: Week}
	b.ResetTimer()
	for b.Loop() {
		bk := NewBook(p)
		for _, o := range orders {
			bk.Add(o)
		}
		if n := len(bk.Customers()); n != customers {
			b.Fatalf("%d customers", n)
		}
	}
}
