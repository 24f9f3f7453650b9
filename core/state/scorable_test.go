package state

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// TestScorableIsCustomersFiltered folds more customers than several
// chunks hold, of two types, some with nothing in the window: Scorable is
// Customers' walk without the unscorable ones, in the same order.
func TestScorableIsCustomersFiltered(t *testing.T) {
	db, _ := openTemp(t)
	w := rfm.Window{AsOf: asof, Days: 365}
	var page []Change
	for i := range 3*foldChunk + 17 {
		typ := "contacts"
		if i%5 == 0 {
			typ = "companies"
		}
		k := connector.CustomerKey{Type: typ, ID: fmt.Sprintf("c%05d", i)}
		at := asof - rfm.Instant(i%500)*day // a third fall outside the window
		page = append(page, put(fmt.Sprintf("o%d", i), k, at, money(int64(i%97))))
		if i%3 == 0 {
			page = append(page, put(fmt.Sprintf("r%d", i), k, at, money(-5)))
		}
	}
	apply(t, db, "deals", page, "c")
	var wantKeys []connector.CustomerKey
	var wantCs []rfm.Customer
	err := db.Customers(w, func(k connector.CustomerKey, a rfm.Aggregate) error {
		if a.Scorable() {
			wantKeys = append(wantKeys, k)
			wantCs = append(wantCs, rfm.Customer{Key: k.ID, Agg: a})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, cs, err := db.Scorable(w)
	if err != nil {
		t.Fatal(err)
	}
	if len(wantKeys) < 2*foldChunk || len(wantKeys) == len(page) {
		t.Fatalf("%d of %d scorable: the case does not span chunks or lacks unscorable customers", len(wantKeys), len(page))
	}
	if !reflect.DeepEqual(keys, wantKeys) || !reflect.DeepEqual(cs, wantCs) {
		t.Fatalf("Scorable differs from Customers filtered: %d/%d customers", len(cs), len(wantCs))
	}
}

// TestScorableReportsADamagedRecord: a customer record cut short fails
// Scorable as it fails Customers, naming the customer.
func TestScorableReportsADamagedRecord(t *testing.T) {
	db, _ := openTemp(t)
	var page []Change
	for i := range foldChunk + 10 {
		page = append(page, put(fmt.Sprintf("o%d", i), cust(fmt.Sprintf("c%05d", i)), asof, money(1)))
	}
	apply(t, db, "deals", page, "c")
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCustomers)
		k, _ := customerKey(cust("c04100"))
		v := b.Get(k)
		return b.Put(k, append([]byte(nil), v[:len(v)-2]...))
	})
	if err != nil {
		t.Fatal(err)
	}
	errWalk := db.Customers(wideWindow, func(connector.CustomerKey, rfm.Aggregate) error { return nil })
	_, _, errFold := db.Scorable(wideWindow)
	if errWalk == nil || errFold == nil || errFold.Error() != errWalk.Error() || !errors.Is(errFold, errCorrupt) {
		t.Fatalf("Scorable = %v, Customers = %v: want the same corrupt-record error", errFold, errWalk)
	}
}
