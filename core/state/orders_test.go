package state

import (
	"testing"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestCustomerOrders(t *testing.T) {
	db, _ := openTemp(t)
	a, b := cust("a"), cust("b")
	_, err := db.ApplyPage("deals", []Change{
		put("1", a, asof-10*day, money(10)),
		put("2", a, asof-5*day, money(-3)),
		put("3", b, asof-400*day, money(7)),
		put("4", a, asof-400*day, money(1)),
	}, []byte("c1"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]rfm.Order{}
	w := rfm.Window{AsOf: asof, Days: 365}
	err = db.CustomerOrders(w, func(key connector.CustomerKey, orders []rfm.Order) error {
		got[key.String()] = append([]rfm.Order(nil), orders...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// b's only order is outside the window; a's old order too.
	if len(got) != 1 || len(got[a.String()]) != 2 {
		t.Fatalf("orders %+v", got)
	}
	sum := rfm.Money{}
	for _, o := range got[a.String()] {
		if o.CustomerID != a.String() || !w.Contains(o.ClosedAt) {
			t.Errorf("order %+v", o)
		}
		sum = sum.Add(o.Amount)
	}
	if !sum.Equal(money(7)) {
		t.Errorf("a's orders sum to %s, want 7", sum)
	}
}
