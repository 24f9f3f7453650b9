package state

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/rfmsync/rfmsync/core/connector"
)

func TestPublishedRoundTripAndDelete(t *testing.T) {
	db, path := openTemp(t)
	a, b := cust("a"), connector.CustomerKey{Type: "companies", ID: "b"}
	pa := &Published{
		Fields:           map[string]string{"rfm_code": "545", "rfm_segment": "champions", "rfm_monetary": ""},
		Segment:          "champions",
		PreviousSegment:  "loyal_customers",
		SegmentChangedAt: asof - day,
		GoneAt:           asof,
	}
	pb := &Published{Fields: map[string]string{"rfm_code": "111"}, Segment: "lost"}
	if err := db.CommitPublished(map[connector.CustomerKey]*Published{a: pa, b: pb}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	got, ok, err := db.Published(a)
	if err != nil || !ok || !reflect.DeepEqual(got, *pa) {
		t.Fatalf("Published(a) = %+v, %v, %v; want %+v", got, ok, err, *pa)
	}
	all := map[connector.CustomerKey]Published{}
	var order []connector.CustomerKey
	err = db.ForEachPublished(func(k connector.CustomerKey, p Published) error {
		all[k] = p
		order = append(order, k)
		return nil
	})
	if err != nil || len(all) != 2 || !reflect.DeepEqual(all[b], *pb) {
		t.Fatalf("ForEachPublished = %v, %v", all, err)
	}
	if order[0] != b { // "companies" sorts before "contacts"
		t.Fatalf("ForEachPublished order = %v, want key order", order)
	}

	pa2 := &Published{Segment: "at_risk", PreviousSegment: "champions", SegmentChangedAt: asof}
	if err := db.CommitPublished(map[connector.CustomerKey]*Published{a: pa2, b: nil}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.Published(b); ok {
		t.Fatal("b still published after a nil update")
	}
	got, _, _ = db.Published(a)
	if !reflect.DeepEqual(got, *pa2) || got.Fields != nil {
		t.Fatalf("Published(a) = %+v, want %+v with nil Fields", got, *pa2)
	}
	if _, ok, err := db.Published(cust("never")); ok || err != nil {
		t.Fatalf("Published(never) = %v, %v", ok, err)
	}
}

func TestPagingHelpers(t *testing.T) {
	db, _ := openTemp(t)
	var changes []Change
	for i := 0; i < 25; i++ {
		changes = append(changes, put(fmt.Sprintf("o%02d", i), cust(fmt.Sprintf("c%02d", i%7)), asof-day, money(int64(i))))
	}
	if _, err := db.ApplyPage("deals", changes, []byte("1")); err != nil {
		t.Fatal(err)
	}
	var ids []string
	after := ""
	for {
		page, err := db.FactsAfter("deals", after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, f := range page {
			ids = append(ids, f.OrderID)
		}
		after = page[len(page)-1].OrderID
	}
	if len(ids) != 25 || ids[0] != "o00" || ids[24] != "o24" {
		t.Fatalf("paged facts = %v", ids)
	}
	pubs := map[connector.CustomerKey]*Published{}
	for i := 0; i < 7; i++ {
		pubs[cust(fmt.Sprintf("c%02d", i))] = &Published{Segment: "s"}
	}
	if err := db.CommitPublished(pubs); err != nil {
		t.Fatal(err)
	}
	var seen []connector.CustomerKey
	var from connector.CustomerKey
	for {
		keys, _, err := db.PublishedAfter(from, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 0 {
			break
		}
		seen = append(seen, keys...)
		from = keys[len(keys)-1]
	}
	if len(seen) != 7 || seen[0].ID != "c00" || seen[6].ID != "c06" {
		t.Fatalf("paged published = %v", seen)
	}
}
