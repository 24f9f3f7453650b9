package clv

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// TestSummarizerIsTheBook checks the per-customer summary against the Book
// on random orders: same-day purchases, refunds with and without a purchase
// that day, orders split by the calibration end and after the holdout.
func TestSummarizerIsTheBook(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := Periods{CalibrationEnd: rfm.Instant(300 * microsPerDay), HoldoutEnd: rfm.Instant(400 * microsPerDay), Unit: Week}
	book := NewBook(p)
	byCustomer := map[string][]rfm.Order{}
	var keys []string
	for i := range 2000 {
		key := "c" + strconv.Itoa(i)
		keys = append(keys, key)
		for range 1 + rng.IntN(8) {
			at := rfm.Instant(int64(rng.IntN(450))*microsPerDay + rng.Int64N(microsPerDay))
			amount := rfm.MoneyFromInt(int64(rng.IntN(100)))
			if rng.IntN(5) == 0 {
				amount = amount.Neg()
			}
			o := rfm.Order{CustomerID: key, ClosedAt: at, Amount: amount}
			book.Add(o)
			byCustomer[key] = append(byCustomer[key], o)
		}
	}
	want := map[string]Customer{}
	for _, c := range book.Customers() {
		want[c.Key] = c
	}
	s := NewSummarizer(p)
	n := 0
	for _, key := range keys {
		got, ok := s.Customer(key, byCustomer[key])
		w, inBook := want[key]
		if ok != inBook || ok && (got.X != w.X || got.Tx != w.Tx || got.T != w.T || got.HoldoutX != w.HoldoutX || !got.RepeatValue.Equal(w.RepeatValue)) {
			t.Fatalf("%s: summarizer %+v (%v), book %+v (%v)", key, got, ok, w, inBook)
		}
		if ok {
			n++
		}
	}
	if n < 1500 {
		t.Errorf("only %d customers summarised", n)
	}
}

// TestSharedHistoriesAreOneRow checks that customers with one history
// become one weighted row, and that the weights leave the likelihood as
// it is with one row per customer.
func TestSharedHistoriesAreOneRow(t *testing.T) {
	cs := []Customer{{X: 0, T: 10}, {X: 0, T: 10}, {X: 2, Tx: 3, T: 10}, {X: 2, Tx: 3, T: 10}, {X: 2, Tx: 3, T: 10}, {X: 1, Tx: 1, T: 5}}
	d := newBGData(cs)
	if len(d.x) != 3 || d.n != 6 {
		t.Fatalf("%d rows for %v customers", len(d.x), d.n)
	}
	p := []float64{0.3, 4, 0.8, 2.4}
	got := d.meanLogLik(p, make([]float64, 4))
	var want float64
	for _, c := range cs {
		one := newBGData([]Customer{c})
		want += one.meanLogLik(p, make([]float64, 4))
	}
	if math.Abs(got-want/6) > 1e-12 {
		t.Errorf("weighted mean log-likelihood %.15g, per customer %.15g", got, want/6)
	}
}
