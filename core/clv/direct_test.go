package clv

import (
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
