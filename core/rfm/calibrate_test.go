package rfm

import (
	"fmt"
	"testing"
)

func TestCalibrateSplitsEvenly(t *testing.T) {
	asof := mustInstant(t, "2025-01-01T00:00:00Z")
	var cs []Customer
	for i := 0; i < 100; i++ {
		var orders []any
		for k := 0; k <= i%10; k++ {
			orders = append(orders, 1+i, fmt.Sprint(10*(i+1)))
		}
		cs = append(cs, Customer{Key: fmt.Sprint(i), Agg: agg(t, asof, orders...)})
	}
	for _, m := range []Metric{Recency, Frequency, Monetary} {
		cuts := Calibrate(m, cs, asof, 5)
		scale := Scale{Method: Threshold, Cuts: cuts}
		if err := scale.Validate(5); err != nil {
			t.Fatalf("%s cuts %v: %v", m, cuts, err)
		}
		p := DefaultParams()
		switch m {
		case Recency:
			p.R = scale
		case Frequency:
			p.F = scale
		case Monetary:
			p.M = scale
		}
		count := make([]int, 6)
		for _, s := range ScoreAll(cs, asof, p) {
			switch m {
			case Recency:
				count[s.R]++
			case Frequency:
				count[s.F]++
			case Monetary:
				count[s.M]++
			}
		}
		for score := 1; score <= 5; score++ {
			if count[score] != 20 {
				t.Errorf("%s: score %d holds %d of 100 customers with cuts %v, want 20", m, score, count[score], cuts)
			}
		}
	}
	// All tied: cuts stay strictly ascending.
	tied := []Customer{{Key: "a", Agg: agg(t, asof, 3, "5")}, {Key: "b", Agg: agg(t, asof, 3, "5")}}
	cuts := Calibrate(Monetary, tied, asof, 5)
	if err := (Scale{Method: Threshold, Cuts: cuts}).Validate(5); err != nil {
		t.Fatalf("tied cuts %v: %v", cuts, err)
	}
}
