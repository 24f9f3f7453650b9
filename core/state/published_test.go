package state

import (
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
