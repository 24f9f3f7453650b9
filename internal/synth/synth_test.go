package synth

import (
	"bytes"
	"testing"
	"time"
)

func TestDeterministicAndSkewed(t *testing.T) {
	s := Spec{Customers: 1000, Orders: 20000, End: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Years: 3, Seed: 7}
	var a, b bytes.Buffer
	if err := WriteCSV(&a, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same spec produced different order books")
	}
	per := map[string]int{}
	refunds := 0
	_ = Generate(s, func(o Order) error {
		per[o.Customer]++
		if len(o.Amount) > 0 && o.Amount[0] == '-' {
			refunds++
		}
		return nil
	})
	maxN := 0
	for _, n := range per {
		maxN = max(maxN, n)
	}
	if maxN < 10*s.Orders/s.Customers {
		t.Errorf("busiest customer has %d orders; want a skewed base (≥ %d)", maxN, 10*s.Orders/s.Customers)
	}
	if refunds == 0 {
		t.Error("no refunds generated")
	}
}
