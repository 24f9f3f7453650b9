package state

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestApplyPageLifecycle(t *testing.T) {
	db, _ := openTemp(t)
	m := model{}
	alice, bob := cust("alice"), cust("bob")
	step := func(name string, changes []Change, want Applied) {
		t.Helper()
		got := apply(t, db, "deals", changes, name)
		m.apply("deals", changes)
		if got.Inserted != want.Inserted || got.Updated != want.Updated || got.Unchanged != want.Unchanged ||
			got.Deleted != want.Deleted || got.Moved != want.Moved {
			t.Fatalf("%s: applied %+v, want %+v", name, got, want)
		}
		if !slices.Equal(got.Touched, want.Touched) {
			t.Fatalf("%s: touched %v, want %v", name, got.Touched, want.Touched)
		}
		checkState(t, db, m)
		if c, _ := db.Cursor("deals"); string(c) != name {
			t.Fatalf("%s: cursor %q", name, c)
		}
	}

	step("insert", []Change{
		put("o1", alice, asof-10*day, money(100)),
		put("o2", alice, asof-5*day, money(50)),
		put("o3", bob, asof-1*day, money(7)),
	}, Applied{Inserted: 3, Touched: keys(alice, bob)})
	agg, ok, err := db.Aggregate(alice, wideWindow)
	if err != nil || !ok {
		t.Fatalf("Aggregate(alice) = %v, %v", ok, err)
	}
	want := rfm.Aggregate{Frequency: 2, Last: asof - 5*day, First: asof - 10*day, Monetary: money(150), Orders: 2}
	if agg != want {
		t.Fatalf("alice = %+v, want %+v", agg, want)
	}

	step("amount", []Change{put("o1", alice, asof-10*day, money(120))}, Applied{Updated: 1, Touched: keys(alice)})
	if agg, _, _ := db.Aggregate(alice, wideWindow); agg.Monetary != money(170) {
		t.Fatalf("after amount change alice monetary = %s, want 170", agg.Monetary)
	}

	step("date", []Change{put("o2", alice, asof-2*day, money(50))}, Applied{Updated: 1, Touched: keys(alice)})
	if agg, _, _ := db.Aggregate(alice, wideWindow); agg.Last != asof-2*day {
		t.Fatalf("after date change alice last = %s", agg.Last)
	}

	step("move", []Change{put("o1", bob, asof-10*day, money(120))}, Applied{Moved: 1, Touched: keys(alice, bob)})
	if a, _, _ := db.Aggregate(alice, wideWindow); a.Orders != 1 || a.Monetary != money(50) {
		t.Fatalf("alice after move = %+v", a)
	}
	if b, _, _ := db.Aggregate(bob, wideWindow); b.Orders != 2 || b.Monetary != money(127) {
		t.Fatalf("bob after move = %+v", b)
	}

	step("delete", []Change{del("o2"), del("missing")}, Applied{Deleted: 1, Unchanged: 1, Touched: keys(alice)})
	if _, ok, _ := db.Aggregate(alice, wideWindow); ok {
		t.Fatal("alice has no orders left but is still stored")
	}
	if _, ok, _ := db.Fact("deals", "o2"); ok {
		t.Fatal("deleted fact o2 still stored")
	}
}

func TestRedeliveryDoesNotDoubleCount(t *testing.T) {
	db, _ := openTemp(t)
	page := []Change{
		put("o1", cust("a"), asof-3*day, money(10)),
		put("o2", cust("a"), asof-2*day, money(-4)),
		put("o3", cust("b"), asof-1*day, money(5)),
	}
	m := model{}
	m.apply("deals", page)
	apply(t, db, "deals", page, "c1")
	again := apply(t, db, "deals", page, "c1")
	if again.Unchanged != 3 || again.Inserted+again.Updated+again.Moved+again.Deleted != 0 || len(again.Touched) != 0 {
		t.Fatalf("re-delivery applied %+v, want 3 unchanged and nothing touched", again)
	}
	checkState(t, db, m)
	a, _, _ := db.Aggregate(cust("a"), wideWindow)
	if a.Orders != 2 || a.Frequency != 1 || a.Monetary != money(6) {
		t.Fatalf("a = %+v, want 2 orders, frequency 1, monetary 6", a)
	}
}

func TestUnassignedFactIsKeptButCountsForNobody(t *testing.T) {
	db, _ := openTemp(t)
	nobody := connector.CustomerKey{Type: "contacts"}
	a := apply(t, db, "deals", []Change{put("o1", nobody, asof-day, money(9))}, "c1")
	if a.Inserted != 1 || len(a.Touched) != 0 {
		t.Fatalf("applied %+v", a)
	}
	if n, _ := db.CustomerCount(); n != 0 {
		t.Fatalf("CustomerCount = %d, want 0", n)
	}
	f, ok, err := db.Fact("deals", "o1")
	if err != nil || !ok || f.Customer != nobody || f.Amount != money(9) {
		t.Fatalf("Fact = %+v, %v, %v", f, ok, err)
	}
	// An association rescan finds it and attributes it: no cursor change.
	a = apply(t, db, "deals", []Change{put("o1", cust("z"), asof-day, money(9))}, "")
	if a.Moved != 1 || !slices.Equal(a.Touched, keys(cust("z"))) {
		t.Fatalf("attributing applied %+v", a)
	}
	if c, _ := db.Cursor("deals"); string(c) != "c1" {
		t.Fatalf("nil cursor changed the stored cursor to %q", c)
	}
	m := model{}
	m.apply("deals", []Change{put("o1", cust("z"), asof-day, money(9))})
	checkState(t, db, m)
}

func TestSameOrderSeveralTimesInOnePage(t *testing.T) {
	db, _ := openTemp(t)
	page := []Change{
		put("o1", cust("a"), asof-day, money(1)),
		put("o1", cust("a"), asof-day, money(2)),
		put("o1", cust("b"), asof-day, money(3)),
		put("o2", cust("a"), asof-day, money(4)),
		del("o2"),
		put("o3", cust("a"), asof-day, money(5)),
	}
	a := apply(t, db, "deals", page, "c")
	if a.Inserted != 3 || a.Updated != 1 || a.Moved != 1 || a.Deleted != 1 {
		t.Fatalf("applied %+v", a)
	}
	m := model{}
	m.apply("deals", page)
	checkState(t, db, m)
}

func TestSameOrderIDInTwoSourcesIsTwoOrders(t *testing.T) {
	db, _ := openTemp(t)
	m := model{}
	for _, src := range []string{"deals", "orders"} {
		ch := []Change{put("1", cust("a"), asof-day, money(10))}
		apply(t, db, src, ch, "c")
		m.apply(src, ch)
	}
	checkState(t, db, m)
	if a, _, _ := db.Aggregate(cust("a"), wideWindow); a.Orders != 2 {
		t.Fatalf("a has %d orders, want 2", a.Orders)
	}
	ch := []Change{del("1")}
	apply(t, db, "orders", ch, "")
	m.apply("orders", ch)
	checkState(t, db, m)
}

func TestAmountsRoundTripExactly(t *testing.T) {
	db, _ := openTemp(t)
	huge, err := rfm.ParseAmount("170141183460469231731687.303715")
	if err != nil {
		t.Fatal(err)
	}
	cents, _ := rfm.ParseAmount("10.10")
	page := []Change{
		put("big", cust("a"), asof-day, huge),
		put("neg", cust("a"), asof-day, huge.Neg()),
		put("cents", cust("a"), asof-2*day, cents),
		put("refund", cust("b"), asof-day, money(-3)),
	}
	apply(t, db, "deals", page, "c")
	for _, ch := range page {
		f, _, err := db.Fact("deals", ch.OrderID)
		if err != nil || f.Amount != ch.Fact.Amount || f.ClosedAt != ch.Fact.ClosedAt {
			t.Fatalf("fact %s = %+v, %v; want amount %s", ch.OrderID, f, err, ch.Fact.Amount)
		}
	}
	a, _, _ := db.Aggregate(cust("a"), wideWindow)
	if a.Monetary.String() != "10.100000" {
		t.Fatalf("a monetary = %s, want 10.100000", a.Monetary)
	}
	b, _, _ := db.Aggregate(cust("b"), wideWindow)
	if b.Scorable() || b.Orders != 1 {
		t.Fatalf("refund-only b = %+v, want 1 order and not scorable", b)
	}
}

func TestInvalidChangeLeavesNothingHalfApplied(t *testing.T) {
	for name, bad := range map[string]Change{
		"empty order id":       put("", cust("a"), asof, money(1)),
		"fact for other id":    {OrderID: "o9", Fact: Fact{OrderID: "o8", Customer: cust("a"), ClosedAt: asof, Amount: money(1)}},
		"NUL in customer type": put("o9", connector.CustomerKey{Type: "a\x00b", ID: "x"}, asof, money(1)),
	} {
		t.Run(name, func(t *testing.T) {
			db, _ := openTemp(t)
			first := []Change{put("o1", cust("a"), asof-day, money(10)), put("o2", cust("b"), asof-day, money(20))}
			apply(t, db, "deals", first, "c1")
			m := model{}
			m.apply("deals", first)

			page := []Change{
				put("o1", cust("b"), asof-day, money(11)), // a move, processed before the bad change
				del("o2"),
				put("o3", cust("c"), asof, money(5)),
				bad,
			}
			_, err := db.ApplyPage("deals", page, []byte("c2"))
			if !errors.Is(err, ErrInvalidChange) {
				t.Fatalf("ApplyPage error = %v, want ErrInvalidChange", err)
			}
			checkState(t, db, m)
			if c, _ := db.Cursor("deals"); string(c) != "c1" {
				t.Fatalf("cursor = %q after a failed page, want c1", c)
			}
		})
	}
}

func TestResetSource(t *testing.T) {
	db, _ := openTemp(t)
	m := model{}
	deals := []Change{put("d1", cust("a"), asof-day, money(1)), put("d2", cust("b"), asof-day, money(2))}
	orders := []Change{put("x1", cust("a"), asof-day, money(30)), put("x2", cust("c"), asof-day, money(40))}
	apply(t, db, "deals", deals, "dc")
	apply(t, db, "orders", orders, "oc")
	m.apply("deals", deals)
	m.apply("orders", orders)

	if err := db.ResetSource("orders"); err != nil {
		t.Fatal(err)
	}
	delete(m, "orders")
	checkState(t, db, m)
	if c, _ := db.Cursor("orders"); c != nil {
		t.Fatalf("orders cursor = %q after reset, want nil", c)
	}
	if c, _ := db.Cursor("deals"); string(c) != "dc" {
		t.Fatalf("deals cursor = %q, want dc", c)
	}
	if srcs, _ := db.Sources(); !slices.Equal(srcs, []string{"deals"}) {
		t.Fatalf("Sources = %v", srcs)
	}
	// The re-pull starts from scratch and counts every order once.
	a := apply(t, db, "orders", orders, "oc2")
	if a.Inserted != 2 {
		t.Fatalf("re-pull applied %+v, want 2 inserted", a)
	}
	m.apply("orders", orders)
	checkState(t, db, m)
	if err := db.ResetSource("never-pulled"); err != nil {
		t.Fatalf("reset of an unknown source: %v", err)
	}
}

// TestRandomPagesMatchFromScratchFold drives many random pages of inserts,
// amount and date changes, re-assignments, deletes and re-deliveries and
// compares state with a from-scratch fold after each page.
func TestRandomPagesMatchFromScratchFold(t *testing.T) {
	db, _ := openTemp(t)
	m := model{}
	r := rand.New(rand.NewPCG(1, 2))
	sources := []string{"deals", "orders"}
	for p := range 120 {
		src := sources[r.IntN(len(sources))]
		page := randomPage(r, 40, 200, 30)
		a := apply(t, db, src, page, "c"+strconv.Itoa(p))
		if n := a.Inserted + a.Updated + a.Unchanged + a.Deleted + a.Moved; n != len(page) {
			t.Fatalf("page %d: counters sum to %d, want %d", p, n, len(page))
		}
		m.apply(src, page)
		checkState(t, db, m)
		if p%10 == 0 { // re-delivering each order's final change changes nothing
			last := lastChanges(page)
			again := apply(t, db, src, last, "")
			if again.Unchanged != len(last) || len(again.Touched) != 0 {
				t.Fatalf("page %d re-delivered: %+v, want %d unchanged", p, again, len(last))
			}
			checkState(t, db, m)
		}
	}
}

// lastChanges keeps each order's last change, in page order.
func lastChanges(page []Change) []Change {
	lastAt := map[string]int{}
	for i, c := range page {
		lastAt[c.OrderID] = i
	}
	var out []Change
	for i, c := range page {
		if lastAt[c.OrderID] == i {
			out = append(out, c)
		}
	}
	return out
}

// randomPage makes n changes over orders o0..o(orders-1) and customers
// c0..c(customers-1), one customer in ten being nobody.
func randomPage(r *rand.Rand, n, orders, customers int) []Change {
	page := make([]Change, n)
	for i := range page {
		id := "o" + strconv.Itoa(r.IntN(orders))
		if r.IntN(6) == 0 {
			page[i] = del(id)
			continue
		}
		c := cust("c" + strconv.Itoa(r.IntN(customers)))
		if r.IntN(10) == 0 {
			c.ID = ""
		}
		at := asof - rfm.Instant(r.Int64N(int64(60*day))) + rfm.Instant(r.Int64N(int64(2*day)))
		page[i] = put(id, c, at, rfm.MoneyFromMicros(r.Int64N(2_000_000_000)-200_000_000))
	}
	return page
}

func TestAmountsBeyond128Bits(t *testing.T) {
	db, _ := openTemp(t)
	huge, err := rfm.ParseAmount("99999999999999999999999999999999999")
	if err != nil {
		t.Fatal(err)
	}
	f := Fact{Customer: cust("big"), ClosedAt: 1_000_000, Amount: huge}
	if _, err := db.ApplyPage("deals", []Change{{OrderID: "1", Fact: f}, {OrderID: "2", Fact: f}}, nil); err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.Fact("deals", "1")
	if err != nil || !ok || !got.Amount.Equal(huge) {
		t.Fatalf("fact = %+v, %v, %v", got, ok, err)
	}
	again, err := db.ApplyPage("deals", []Change{{OrderID: "1", Fact: f}}, nil)
	if err != nil || again.Unchanged != 1 {
		t.Fatalf("re-delivery of a wide amount: %+v, %v", again, err)
	}
	agg, _, err := db.Aggregate(cust("big"), rfm.Window{AsOf: 2_000_000, Days: 10})
	if err != nil || agg.Monetary.String() != huge.Add(huge).String() {
		t.Fatalf("aggregate = %s, %v", agg.Monetary, err)
	}
}
