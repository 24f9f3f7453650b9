package state

import (
	"errors"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
)

// TestPublishedViewMatchesForEachPublished walks the same records both
// ways: the view's history, its fields in name order and its Decode agree
// with the decoded record, and a corrupt value fails both walks alike.
func TestPublishedViewMatchesForEachPublished(t *testing.T) {
	db, _ := openTemp(t)
	recs := map[connector.CustomerKey]*Published{
		cust("a"): {Fields: map[string]string{"rfm_segment": "champions", "rfm_code": "545", "z": ""},
			Segment: "champions", PreviousSegment: "new", SegmentChangedAt: asof - day, GoneAt: asof},
		cust("b"):                    {Segment: "lost"},
		{Type: "companies", ID: "c"}: {Fields: map[string]string{"x": "1"}},
	}
	if err := db.CommitPublished(recs); err != nil {
		t.Fatal(err)
	}
	var want []Published
	if err := db.ForEachPublished(func(_ connector.CustomerKey, p Published) error { want = append(want, p); return nil }); err != nil {
		t.Fatal(err)
	}
	i := 0
	err := db.ForEachPublishedView(func(k connector.CustomerKey, v *PublishedView) error {
		w := want[i]
		i++
		if v.Segment != w.Segment || v.PreviousSegment != w.PreviousSegment || v.SegmentChangedAt != w.SegmentChangedAt ||
			v.GoneAt != w.GoneAt || v.NumFields() != len(w.Fields) {
			t.Errorf("%s: view %+v, record %+v", k, v, w)
		}
		last := ""
		for name, value := range v.Fields() {
			if string(name) <= last && last != "" || w.Fields[string(name)] != string(value) {
				t.Errorf("%s: field %q = %q out of order or not %q", k, name, value, w.Fields[string(name)])
			}
			last = string(name)
		}
		got, err := v.Decode()
		if err != nil || !reflect.DeepEqual(got, w) || !reflect.DeepEqual(*recs[k], got) {
			t.Errorf("%s: Decode = %+v, %v; want %+v", k, got, err, w)
		}
		return nil
	})
	if err != nil || i != len(recs) {
		t.Fatalf("walked %d views, %v", i, err)
	}
	if v, err := ViewOf(*recs[cust("a")]); err != nil || v.NumFields() != 3 || v.GoneAt != asof {
		t.Fatalf("ViewOf = %+v, %v", v, err)
	}

	// A value cut short fails the view walk as it fails the record walk.
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		k, _ := customerKey(cust("a"))
		b := tx.Bucket(bucketPublished)
		v := b.Get(k)
		return b.Put(k, append([]byte(nil), v[:len(v)-3]...))
	})
	if err != nil {
		t.Fatal(err)
	}
	errRec := db.ForEachPublished(func(connector.CustomerKey, Published) error { return nil })
	errView := db.ForEachPublishedView(func(connector.CustomerKey, *PublishedView) error { return nil })
	if !errors.Is(errRec, errCorrupt) || !errors.Is(errView, errCorrupt) || errRec.Error() != errView.Error() {
		t.Fatalf("corrupt value: records %v, views %v", errRec, errView)
	}
}

// TestPublishedViewRangesCoverTheWalk splits the walk at keys held and not
// held: the ranges, in order, are the whole walk once, bounds from
// inclusive and to exclusive.
func TestPublishedViewRangesCoverTheWalk(t *testing.T) {
	db, _ := openTemp(t)
	recs := map[connector.CustomerKey]*Published{}
	for _, id := range []string{"a", "b", "bb", "c", "d", "e"} {
		recs[cust(id)] = &Published{Segment: "s" + id}
	}
	recs[connector.CustomerKey{Type: "companies", ID: "z"}] = &Published{Segment: "sz"}
	if err := db.CommitPublished(recs); err != nil {
		t.Fatal(err)
	}
	walk := func(from, to *connector.CustomerKey) []connector.CustomerKey {
		var keys []connector.CustomerKey
		err := db.ForEachPublishedViewRange(from, to, func(k connector.CustomerKey, v *PublishedView) error {
			if v.Segment != recs[k].Segment {
				t.Errorf("%s: segment %q, want %q", k, v.Segment, recs[k].Segment)
			}
			keys = append(keys, k)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return keys
	}
	all := walk(nil, nil)
	if len(all) != len(recs) {
		t.Fatalf("whole walk: %v", all)
	}
	b, ba, e := cust("b"), cust("ba"), cust("e")
	for _, cuts := range [][]*connector.CustomerKey{{&b}, {&ba}, {&b, &ba, &e}, {&e, &e}} {
		var got []connector.CustomerKey
		var from *connector.CustomerKey
		for _, to := range append(cuts, nil) {
			got = append(got, walk(from, to)...)
			from = to
		}
		if !reflect.DeepEqual(got, all) {
			t.Errorf("cut at %v: %v, want %v", cuts, got, all)
		}
	}
	if got := walk(&b, &ba); !reflect.DeepEqual(got, []connector.CustomerKey{cust("b")}) {
		t.Errorf("[b, ba) = %v, want [b]", got)
	}
}
