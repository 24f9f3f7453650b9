package state

import (
	"errors"
	"testing"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestWindowEdges(t *testing.T) {
	db, _ := openTemp(t)
	w := rfm.Window{AsOf: asof, Days: 365}
	start := asof - 365*day
	page := []Change{
		put("at-start", cust("edge"), start, money(1)),           // exactly asof − W days: excluded
		put("after-start", cust("edge"), start+1, money(10)),     // 1 µs later: included
		put("at-asof", cust("edge"), asof, money(100)),           // asof itself: included
		put("after-asof", cust("edge"), asof+1, money(1000)),     // 1 µs after asof: excluded
		put("old-only", cust("gone"), start-5*day, money(10000)), // customer with nothing in the window
	}
	apply(t, db, "deals", page, "c")
	got := dbAggregates(t, db, w)
	want := map[connector.CustomerKey]rfm.Aggregate{
		cust("edge"): {Frequency: 2, Last: asof, First: start + 1, Monetary: money(110), Orders: 2},
		cust("gone"): {},
	}
	if len(got) != len(want) {
		t.Fatalf("Customers = %v, want %v", got, want)
	}
	for k, a := range want {
		if got[k] != a {
			t.Errorf("%s = %+v, want %+v", k, got[k], a)
		}
	}
	// Moving asof by one microsecond moves both edges.
	w.AsOf++
	a, _, _ := db.Aggregate(cust("edge"), w)
	if a.Orders != 2 || a.Monetary != money(1100) || a.First != asof {
		t.Fatalf("window moved by 1µs: %+v, want at-asof and after-asof", a)
	}
}

func TestCustomersStopsOnCallbackError(t *testing.T) {
	db, _ := openTemp(t)
	apply(t, db, "deals", []Change{
		put("1", cust("a"), asof, money(1)), put("2", cust("b"), asof, money(1)), put("3", cust("c"), asof, money(1)),
	}, "c")
	stop := errors.New("stop")
	calls := 0
	err := db.Customers(wideWindow, func(connector.CustomerKey, rfm.Aggregate) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Customers = %v after %d calls, want stop after 1", err, calls)
	}
}

func TestCustomerTypesAreDistinct(t *testing.T) {
	db, _ := openTemp(t)
	contact := connector.CustomerKey{Type: "contacts", ID: "1"}
	company := connector.CustomerKey{Type: "companies", ID: "1"}
	odd := connector.CustomerKey{Type: "contacts", ID: "1\x00x/y"} // an ID may hold anything
	page := []Change{
		put("a", contact, asof, money(1)),
		put("b", company, asof, money(2)),
		put("c", odd, asof, money(3)),
	}
	apply(t, db, "deals", page, "c")
	m := model{}
	m.apply("deals", page)
	checkState(t, db, m)
	if a, _, _ := db.Aggregate(odd, wideWindow); a.Monetary != money(3) {
		t.Fatalf("odd key aggregate = %+v", a)
	}
}
