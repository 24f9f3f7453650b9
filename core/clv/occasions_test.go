package clv

import (
	"fmt"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func order(t testing.TB, customer, closedAt, amount string) rfm.Order {
	t.Helper()
	o, skip := rfm.ParseOrder(rfm.RawOrder{CustomerID: customer, ClosedAt: closedAt, Amount: amount, Status: "won"})
	if skip != rfm.SkipNone {
		t.Fatalf("%s %s %s: %s", customer, closedAt, amount, skip)
	}
	return o
}

func instant(t testing.TB, s string) rfm.Instant {
	t.Helper()
	i, err := rfm.ParseInstant(s)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func book(t *testing.T, p Periods, rows ...[3]string) map[string]Customer {
	t.Helper()
	b := NewBook(p)
	for _, r := range rows {
		b.Add(order(t, r[0], r[1], r[2]))
	}
	out := map[string]Customer{}
	for _, c := range b.Customers() {
		out[c.Key] = c
	}
	return out
}

func TestOccasions(t *testing.T) {
	p := Periods{CalibrationEnd: instant(t, "2024-01-29"), HoldoutEnd: instant(t, "2024-03-01"), Unit: Day}
	cs := book(t, p,
		// Two orders on one UTC day (different offsets, same UTC day) are one
		// occasion worth their sum; the next day is another.
		[3]string{"a", "2024-01-01T09:00:00Z", "10"},
		[3]string{"a", "2024-01-15T23:30:00-00:20", "5"}, // 2024-01-15T23:50Z
		[3]string{"a", "2024-01-15T01:00:00Z", "7.5"},
		[3]string{"a", "2024-01-16T00:10:00+00:20", "100"}, // 2024-01-15T23:50Z as well
		[3]string{"a", "2024-01-22", "20"},
		// A refund on a day of its own lowers the occasion before it and
		// makes none; a refund before any purchase is dropped.
		[3]string{"b", "2023-12-30", "-40"},
		[3]string{"b", "2024-01-08", "30"},
		[3]string{"b", "2024-01-09", "50"},
		[3]string{"b", "2024-01-10", "-20"},
		// Zero-amount orders make occasions, as they count in frequency.
		[3]string{"c", "2024-01-08", "12"},
		[3]string{"c", "2024-01-09", "0"},
		// Only refunds: no customer.
		[3]string{"d", "2024-01-08", "-5"},
		// First buys in the holdout period: not in the calibration cohort.
		[3]string{"e", "2024-02-10", "5"},
		// Holdout occasions count once per day; after the holdout nothing counts.
		[3]string{"c", "2024-02-01", "1"},
		[3]string{"c", "2024-02-01", "2"},
		[3]string{"c", "2024-02-02", "-2"},
		[3]string{"c", "2024-02-20", "3"},
		[3]string{"c", "2024-03-02", "3"},
	)
	if len(cs) != 3 {
		t.Fatalf("customers %v, want a, b, c", cs)
	}
	a := cs["a"]
	if a.X != 2 || a.Tx != 21 || a.T != 28 || a.RepeatValue.String() != "132.500000" || a.MeanRepeatValue() != 66.25 {
		t.Errorf("a = %+v, want x=2 t_x=21 T=28 repeat value 132.5 (mean 66.25)", a)
	}
	b := cs["b"]
	if b.X != 1 || b.Tx != 1 || b.T != 21 || b.RepeatValue.String() != "30.000000" {
		t.Errorf("b = %+v, want x=1 t_x=1 T=21 repeat value 50−20", b)
	}
	c := cs["c"]
	if c.X != 1 || c.RepeatValue.Sign() != 0 || c.HoldoutX != 2 {
		t.Errorf("c = %+v, want x=1 worth 0 and 2 holdout occasions", c)
	}
	if got := SpendCustomers([]Customer{a, b, c}); len(got) != 2 {
		t.Errorf("spend customers %v, want a and b (c's mean is 0)", got)
	}
}

func TestOccasionsWeeksAndSplitDay(t *testing.T) {
	// Calibration ends at noon: the morning's order is a calibration
	// occasion, the afternoon's on the same UTC day is not a new one.
	p := Periods{CalibrationEnd: instant(t, "2024-01-15T12:00:00Z"), HoldoutEnd: instant(t, "2024-02-15"), Unit: Week}
	cs := book(t, p,
		[3]string{"a", "2024-01-01", "10"},
		[3]string{"a", "2024-01-15T08:00:00Z", "10"},
		[3]string{"a", "2024-01-15T18:00:00Z", "10"},
		[3]string{"a", "2024-01-22T18:00:00Z", "10"},
	)
	a := cs["a"]
	if a.X != 1 || a.Tx != 2 || a.T != 14.5/7 || a.HoldoutX != 1 {
		t.Errorf("a = %+v, want x=1 t_x=2 weeks T=%v weeks, 1 holdout occasion", a, 14.5/7)
	}
}

func TestParseUnit(t *testing.T) {
	for in, want := range map[string]Unit{"day": Day, " Week ": Week} {
		if u, err := ParseUnit(in); err != nil || u != want {
			t.Errorf("ParseUnit(%q) = %q, %v", in, u, err)
		}
	}
	if _, err := ParseUnit("month"); err == nil {
		t.Error("month parsed")
	}
}

// TestOccasionsOutOfOrder: orders added out of time order still make one
// occasion per day, and a same-day refund lowers that day's occasion.
func TestOccasionsOutOfOrder(t *testing.T) {
	p := Periods{CalibrationEnd: instant(t, "2024-02-01"), HoldoutEnd: instant(t, "2024-03-01"), Unit: Day}
	rows := [][3]string{
		{"a", "2024-01-01T10:00:00Z", "1"},
		{"a", "2024-02-10", "4"},
	}
	for d := 2; d <= 8; d++ {
		rows = append(rows, [3]string{"a", fmt.Sprintf("2024-01-%02d", d), "10"})
	}
	rows = append(rows,
		[3]string{"a", "2024-01-05T23:00:00Z", "-3"}, // far from its day's entry
		[3]string{"a", "2024-01-01T20:00:00Z", "2"},
		[3]string{"a", "2024-01-03T12:00:00Z", "10"},
		[3]string{"a", "2024-02-10T12:00:00Z", "4"},
		[3]string{"a", "2024-02-11", "4"},
	)
	a := book(t, p, rows...)["a"]
	// Occasions on Jan 1 … 8: x = 7; repeat value 7×10 + 10 − 3.
	if a.X != 7 || a.Tx != 7 || a.RepeatValue.String() != "77.000000" || a.HoldoutX != 2 {
		t.Errorf("a = %+v, want x=7 t_x=7 repeat value 77, 2 holdout occasions", a)
	}
}
