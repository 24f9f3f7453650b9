package rfm

import (
	"fmt"
	"slices"
	"testing"
)

// agg builds an aggregate by adding (days-ago, amount) orders against asof.
func agg(t testing.TB, asof Instant, orders ...any) Aggregate {
	t.Helper()
	var a Aggregate
	for i := 0; i < len(orders); i += 2 {
		a.Add(asof-Instant(orders[i].(int))*microsPerDay, mustAmount(t, orders[i+1].(string)))
	}
	return a
}

func scoresOf(ss []Score, metric byte) []uint8 {
	out := make([]uint8, len(ss))
	for i, s := range ss {
		switch metric {
		case 'r':
			out[i] = s.R
		case 'f':
			out[i] = s.F
		case 'm':
			out[i] = s.M
		}
	}
	return out
}

func TestQuantileFormula(t *testing.T) {
	// Values 1..10 with bins 5: rank r scores 1 + floor(5(r−1)/10).
	asof := mustInstant(t, "2025-01-01T00:00:00Z")
	var cs []Customer
	for i := 1; i <= 10; i++ {
		cs = append(cs, Customer{Key: fmt.Sprint(i), Agg: agg(t, asof, 1, fmt.Sprint(i))})
	}
	got := scoresOf(ScoreAll(cs, asof, DefaultParams()), 'm')
	want := []uint8{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}
	if !slices.Equal(got, want) {
		t.Fatalf("M scores = %v, want %v", got, want)
	}
}

func TestQuantileTiesAtBoundary(t *testing.T) {
	// Frequencies 1,2,2,2,3 over 5 customers: ranks 1,2,2,2,5 →
	// scores 1, 1+floor(5·1/5)=2 for all three ties, 1+floor(5·4/5)=5.
	asof := mustInstant(t, "2025-01-01T00:00:00Z")
	freq := []int{1, 2, 2, 2, 3}
	var cs []Customer
	for i, f := range freq {
		var orders []any
		for k := 0; k < f; k++ {
			orders = append(orders, 1+k, "10")
		}
		cs = append(cs, Customer{Key: fmt.Sprint(i), Agg: agg(t, asof, orders...)})
	}
	got := scoresOf(ScoreAll(cs, asof, DefaultParams()), 'f')
	if want := []uint8{1, 2, 2, 2, 5}; !slices.Equal(got, want) {
		t.Fatalf("F scores = %v, want %v", got, want)
	}
	// Seven customers, four tied at the top: ties straddling a boundary stay together.
	freq = []int{1, 1, 1, 4, 4, 4, 4}
	cs = cs[:0]
	for i, f := range freq {
		var orders []any
		for k := 0; k < f; k++ {
			orders = append(orders, 1+k, "10")
		}
		cs = append(cs, Customer{Key: fmt.Sprint(i), Agg: agg(t, asof, orders...)})
	}
	got = scoresOf(ScoreAll(cs, asof, DefaultParams()), 'f')
	// ranks 1,1,1,4,4,4,4 → 1, 1+floor(15/7)=3.
	if want := []uint8{1, 1, 1, 3, 3, 3, 3}; !slices.Equal(got, want) {
		t.Fatalf("F scores = %v, want %v", got, want)
	}
}

func TestOneCustomerAndAllTied(t *testing.T) {
	asof := mustInstant(t, "2025-01-01T00:00:00Z")
	one := ScoreAll([]Customer{{Key: "a", Agg: agg(t, asof, 3, "99")}}, asof, DefaultParams())
	if len(one) != 1 || one[0].Code() != "111" {
		t.Fatalf("one customer scored %+v, want code 111", one)
	}
	var cs []Customer
	for i := 0; i < 6; i++ {
		cs = append(cs, Customer{Key: fmt.Sprint(i), Agg: agg(t, asof, 5, "20", 9, "1")})
	}
	for _, s := range ScoreAll(cs, asof, DefaultParams()) {
		if s.Code() != "111" {
			t.Fatalf("all-tied customer %s scored %s, want 111", s.Key, s.Code())
		}
	}
}

func TestRecencyRanksInstantNotDays(t *testing.T) {
	// Two purchases on the same day but at different instants rank apart.
	asof := mustInstant(t, "2025-01-02T00:00:00Z")
	cs := []Customer{
		{Key: "early", Agg: Aggregate{}},
		{Key: "late", Agg: Aggregate{}},
	}
	cs[0].Agg.Add(mustInstant(t, "2025-01-01T01:00:00Z"), MoneyFromInt(1))
	cs[1].Agg.Add(mustInstant(t, "2025-01-01T23:00:00Z"), MoneyFromInt(1))
	ss := ScoreAll(cs, asof, DefaultParams())
	if ss[0].RecencyDays != 0 || ss[1].RecencyDays != 0 {
		t.Fatalf("recency days = %d, %d; want 0, 0", ss[0].RecencyDays, ss[1].RecencyDays)
	}
	if ss[0].R != 1 || ss[1].R != 3 {
		t.Fatalf("R = %d, %d; want 1, 3 (rank 2 of 2 → 1+floor(5/2))", ss[0].R, ss[1].R)
	}
}

func TestRefundsAndZeroAmounts(t *testing.T) {
	asof := mustInstant(t, "2025-01-01T00:00:00Z")
	a := agg(t, asof, 10, "100.10", 5, "-30.05", 2, "0", 1, "-0.0000004")
	if a.Frequency != 3 {
		t.Errorf("frequency = %d, want 3 (zero and sub-micro negative count, refunds don't)", a.Frequency)
	}
	if a.Last != asof-1*microsPerDay {
		t.Errorf("last purchase = %v, want the sub-micro order's instant", a.Last)
	}
	if a.Monetary.String() != "70.050000" {
		t.Errorf("monetary = %s, want 70.050000", a.Monetary)
	}
	if a.First != asof-10*microsPerDay {
		t.Errorf("first = %v, want the oldest order", a.First)
	}
	// A refund-only customer is not scored.
	r := agg(t, asof, 3, "-5")
	ss := ScoreAll([]Customer{{Key: "refund", Agg: r}, {Key: "buyer", Agg: a}}, asof, DefaultParams())
	if len(ss) != 1 || ss[0].Key != "buyer" {
		t.Fatalf("scored %+v, want only the buyer", ss)
	}
	// A refund later than the last purchase does not move recency.
	b := agg(t, asof, 10, "50", 1, "-50")
	if b.Last != asof-10*microsPerDay || !b.Monetary.IsZero() {
		t.Fatalf("refund moved last purchase or monetary wrong: %+v", b)
	}
}

func TestThresholdAtCutPoints(t *testing.T) {
	asof := mustInstant(t, "2025-01-01T00:00:00Z")
	p := DefaultParams()
	p.Bins = 2
	m, err := NewSegmentMap(2, []SegmentRule{{Segment: Segment{ID: "all", Label: "All"}}})
	if err != nil {
		t.Fatal(err)
	}
	p.Segments = m
	// F > 8, R < 3 days, M > 500.
	p.F = Scale{Method: Threshold, Cuts: []Money{MoneyFromInt(8)}}
	p.R = Scale{Method: Threshold, Cuts: []Money{MoneyFromInt(3)}}
	p.M = Scale{Method: Threshold, Cuts: []Money{mustAmount(t, "500")}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	mk := func(days, n int, amount string) Aggregate {
		var orders []any
		for i := 0; i < n; i++ {
			orders = append(orders, days, amount)
		}
		return agg(t, asof, orders...)
	}
	cases := []struct {
		a    Aggregate
		code string
	}{
		{mk(2, 9, "100"), "222"},        // 2 days, F 9 > 8, M 900 > 500
		{mk(3, 8, "62.5"), "111"},       // exactly 3 days → R1; F 8 not > 8; M 500 not > 500
		{mk(0, 1, "500.000001"), "212"}, // M just above the cut
	}
	for i, c := range cases {
		ss := ScoreAll([]Customer{{Key: "x", Agg: c.a}}, asof, p)
		if got := ss[0].Code(); got != c.code {
			t.Errorf("case %d: code %s, want %s", i, got, c.code)
		}
	}
}

func TestScaleValidate(t *testing.T) {
	if err := (Scale{Method: Threshold, Cuts: []Money{MoneyFromInt(5), MoneyFromInt(5)}}).Validate(3); err == nil {
		t.Error("equal cuts accepted")
	}
	if err := (Scale{Method: Threshold, Cuts: []Money{MoneyFromInt(5)}}).Validate(3); err == nil {
		t.Error("wrong cut count accepted")
	}
	if err := (Scale{Method: "median"}).Validate(5); err == nil {
		t.Error("unknown method accepted")
	}
}

func TestNewCustomerSegment(t *testing.T) {
	asof := mustInstant(t, "2025-01-01T00:00:00Z")
	p := DefaultParams()
	p.NewCustomerDays = 30
	p.NewSegment = Segment{ID: "new", Label: "New"}
	cs := []Customer{
		{Key: "fresh", Agg: agg(t, asof, 29, "10")},
		{Key: "edge", Agg: agg(t, asof, 30, "10")},
		{Key: "old", Agg: agg(t, asof, 100, "10", 1, "10")},
	}
	without := ScoreAll(cs, asof, DefaultParams())
	with := ScoreAll(cs, asof, p)
	for i := range cs {
		if with[i].Code() != without[i].Code() {
			t.Errorf("%s: new-customer class changed the scores", cs[i].Key)
		}
	}
	if !with[0].New || with[0].Segment.ID != "new" {
		t.Errorf("fresh customer segment %v, want new", with[0].Segment)
	}
	if with[1].New || with[2].New {
		t.Errorf("customer at exactly 30 days or with history marked new")
	}
}
