package state

import (
	"cmp"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

const day = rfm.Instant(rfm.DaySeconds * 1_000_000)

// asof is a fixed run instant for tests: 2025-06-01T00:00:00Z.
var asof = rfm.Instant(1_748_736_000_000_000)

// wideWindow holds every order the tests create.
var wideWindow = rfm.Window{AsOf: asof, Days: 100_000}

func openTemp(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, path
}

func cust(id string) connector.CustomerKey { return connector.CustomerKey{Type: "contacts", ID: id} }

func money(units int64) rfm.Money { return rfm.MoneyFromInt(units) }

func put(id string, c connector.CustomerKey, at rfm.Instant, amount rfm.Money) Change {
	return Change{OrderID: id, Fact: Fact{Customer: c, ClosedAt: at, Amount: amount}}
}

func del(id string) Change { return Change{OrderID: id, Delete: true} }

// model is the reference: what the facts are, folded from scratch.
type model map[string]map[string]Fact

func (m model) apply(source string, changes []Change) {
	if m[source] == nil {
		m[source] = map[string]Fact{}
	}
	for _, ch := range changes {
		if ch.Delete {
			delete(m[source], ch.OrderID)
			continue
		}
		f := ch.Fact
		f.OrderID = ch.OrderID
		m[source][ch.OrderID] = f
	}
}

// fold computes every customer's aggregate from scratch; a customer with
// any order is present, even with a zero aggregate.
func (m model) fold(w rfm.Window) map[connector.CustomerKey]rfm.Aggregate {
	out := map[connector.CustomerKey]rfm.Aggregate{}
	for _, src := range m {
		for _, f := range src {
			if f.Customer.ID == "" {
				continue
			}
			a := out[f.Customer]
			if w.Contains(f.ClosedAt) {
				a.Add(f.ClosedAt, f.Amount)
			}
			out[f.Customer] = a
		}
	}
	return out
}

func dbAggregates(t testing.TB, db *DB, w rfm.Window) map[connector.CustomerKey]rfm.Aggregate {
	t.Helper()
	out := map[connector.CustomerKey]rfm.Aggregate{}
	var prev []byte
	err := db.Customers(w, func(k connector.CustomerKey, a rfm.Aggregate) error {
		kb, _ := customerKey(k)
		if prev != nil && string(kb) <= string(prev) {
			t.Errorf("Customers not in key order: %s after %q", k, prev)
		}
		prev = kb
		out[k] = a
		return nil
	})
	if err != nil {
		t.Fatalf("Customers: %v", err)
	}
	return out
}

// dbModel reads the facts back from the DB.
func dbModel(t testing.TB, db *DB) model {
	t.Helper()
	srcs, err := db.Sources()
	if err != nil {
		t.Fatal(err)
	}
	m := model{}
	for _, s := range srcs {
		m[s] = map[string]Fact{}
		facts, err := db.FactsAfter(s, "", 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range facts {
			m[s][f.OrderID] = f
		}
	}
	return m
}

// checkState asserts the DB's facts equal want and its aggregates equal a
// from-scratch fold of them, for several windows.
func checkState(t testing.TB, db *DB, want model) {
	t.Helper()
	got := dbModel(t, db)
	for s, facts := range want {
		if len(facts) == 0 {
			delete(want, s)
		}
	}
	for s, facts := range got {
		if len(facts) == 0 {
			delete(got, s)
		}
	}
	if !maps.EqualFunc(got, want, maps.Equal) {
		t.Fatalf("facts differ\n got %v\nwant %v", got, want)
	}
	for _, w := range []rfm.Window{wideWindow, {AsOf: asof, Days: 30}, {AsOf: asof - 10*day, Days: 5}} {
		g, e := dbAggregates(t, db, w), want.fold(w)
		if !maps.Equal(g, e) {
			t.Fatalf("window %+v: aggregates differ\n got %v\nwant %v", w, g, e)
		}
		n, err := db.CustomerCount()
		if err != nil || n != len(e) {
			t.Fatalf("CustomerCount = %d, %v; want %d", n, err, len(e))
		}
	}
}

func apply(t testing.TB, db *DB, source string, changes []Change, cursor string) Applied {
	t.Helper()
	var c []byte
	if cursor != "" {
		c = []byte(cursor)
	}
	a, err := db.ApplyPage(source, changes, c)
	if err != nil {
		t.Fatalf("ApplyPage: %v", err)
	}
	return a
}

func keys(ks ...connector.CustomerKey) []connector.CustomerKey {
	slices.SortFunc(ks, func(a, b connector.CustomerKey) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
	})
	return ks
}
