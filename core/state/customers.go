package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// A customer's record is the list of its counting orders, not a running
// sum: the look-back window moves with every run's asof, so the aggregate is
// folded from the list for each window. The list stays small and is read
// without allocating.

// entry is one order in a customer's list; (source, order) identifies it.
type entry struct {
	source   string
	order    string
	closedAt rfm.Instant
	amount   rfm.Money
}

// errInconsistent means a fact names a customer whose list lacks the order:
// the file was damaged, since facts and lists only change together.
var errInconsistent = errors.New("state is inconsistent (reset the source to re-pull it)")

// Customers calls fn for every customer that has at least one order, in key
// order, with the aggregate of its orders inside w. Customers whose orders
// all lie outside w are included with a zero aggregate (not Scorable), so
// the caller can clear what it published for them. fn runs inside a read
// transaction: see the package comment.
func (db *DB) Customers(w rfm.Window, fn func(key connector.CustomerKey, agg rfm.Aggregate) error) error {
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCustomers).Cursor()
		types := interner{} // customer types are few
		var ids keyArena
		for k, v := c.First(); k != nil; k, v = c.Next() {
			key, err := parseCustomerKeyWith(k, types, &ids)
			if err != nil {
				return err
			}
			var agg rfm.Aggregate
			if err := fold(v, w, &agg); err != nil {
				return fmt.Errorf("customer %q: %w", key, err)
			}
			if err := callback(func() error { return fn(key, agg) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// Aggregate returns one customer's aggregate inside w, and whether state
// holds any order of that customer.
func (db *DB) Aggregate(key connector.CustomerKey, w rfm.Window) (rfm.Aggregate, bool, error) {
	var agg rfm.Aggregate
	var ok bool
	kb, err := customerKey(key)
	if err != nil {
		return agg, false, err
	}
	err = db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCustomers).Get(kb)
		if v == nil {
			return nil
		}
		ok = true
		if err := fold(v, w, &agg); err != nil {
			return fmt.Errorf("customer %q: %w", key, err)
		}
		return nil
	})
	return agg, ok, err
}

// CustomerCount is the number of customers with at least one order.
func (db *DB) CustomerCount() (int, error) {
	var n int
	err := db.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketCustomers).Stats().KeyN
		return nil
	})
	return n, err
}

// fold adds the orders of an encoded list that lie inside w to agg. It is
// the hot loop of a scoring run and does not allocate.
func fold(v []byte, w rfm.Window, agg *rfm.Aggregate) error {
	d := decoder{b: v}
	d.version()
	n := d.uvarint()
	for ; n > 0 && !d.bad; n-- {
		d.raw() // source
		d.raw() // order id
		at := rfm.Instant(d.varint())
		amount := d.money()
		if !d.bad && w.Contains(at) {
			agg.Add(at, amount)
		}
	}
	return d.done()
}

// encodeEntries: version, count, then per order source, order id,
// closed_at, amount.
func encodeEntries(es []entry) []byte {
	size := 2
	for i := range es {
		size += 2 + len(es[i].source) + len(es[i].order) + 10 + 11
	}
	b := make([]byte, 0, size)
	b = append(b, valueV1)
	b = binary.AppendUvarint(b, uint64(len(es)))
	for i := range es {
		b = appendString(b, es[i].source)
		b = appendString(b, es[i].order)
		b = binary.AppendVarint(b, int64(es[i].closedAt))
		b = appendMoney(b, es[i].amount)
	}
	return b
}

func decodeEntries(v []byte) ([]entry, error) {
	d := decoder{b: v}
	d.version()
	n := d.uvarint()
	if n > uint64(len(v)) { // each entry takes several bytes
		return nil, errCorrupt
	}
	es := make([]entry, 0, n+1)
	for ; n > 0 && !d.bad; n-- {
		var e entry
		e.source = d.string()
		e.order = d.string()
		e.closedAt = rfm.Instant(d.varint())
		e.amount = d.money()
		es = append(es, e)
	}
	return es, d.done()
}

// patch caches the order lists a transaction changes, so each customer is
// decoded and written once per page however many of its orders the page holds.
type patch struct {
	bucket *bolt.Bucket
	lists  map[string]*custList
	// lenient ignores removals of orders a list does not hold.
	lenient bool
}

type custList struct {
	key     connector.CustomerKey
	entries []entry
	dirty   bool
}

func newPatch(b *bolt.Bucket) *patch {
	return &patch{bucket: b, lists: map[string]*custList{}}
}

func (p *patch) list(k connector.CustomerKey) (*custList, error) {
	kb, err := customerKey(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidChange, err)
	}
	if l, ok := p.lists[string(kb)]; ok {
		return l, nil
	}
	l := &custList{key: k}
	if v := p.bucket.Get(kb); v != nil {
		if l.entries, err = decodeEntries(v); err != nil {
			return nil, fmt.Errorf("customer %q: %w", k, err)
		}
	}
	p.lists[string(kb)] = l
	return l, nil
}

// remove takes order (source, id) out of k's list; nobody (empty ID) holds none.
func (p *patch) remove(k connector.CustomerKey, source, id string) error {
	if k.ID == "" {
		return nil
	}
	l, err := p.list(k)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(l.entries, func(e entry) bool { return e.order == id && e.source == source })
	if i < 0 {
		if p.lenient {
			return nil
		}
		return fmt.Errorf("order %q/%q is missing from customer %q: %w", source, id, k, errInconsistent)
	}
	l.entries = slices.Delete(l.entries, i, i+1)
	l.dirty = true
	return nil
}

// add appends an order to k's list; nobody (empty ID) takes none.
func (p *patch) add(k connector.CustomerKey, e entry) error {
	if k.ID == "" {
		return nil
	}
	l, err := p.list(k)
	if err != nil {
		return err
	}
	l.entries = append(l.entries, e)
	l.dirty = true
	return nil
}

// flush writes the changed lists in key order (bbolt favours sequential
// writes), deletes emptied ones, and returns the changed customers.
func (p *patch) flush() ([]connector.CustomerKey, error) {
	keys := make([]string, 0, len(p.lists))
	for k, l := range p.lists {
		if l.dirty {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	touched := make([]connector.CustomerKey, 0, len(keys))
	for _, k := range keys {
		l := p.lists[k]
		var err error
		if len(l.entries) == 0 {
			err = p.bucket.Delete([]byte(k))
		} else {
			err = p.bucket.Put([]byte(k), encodeEntries(l.entries))
		}
		if err != nil {
			return nil, fmt.Errorf("customer %q: %w", l.key, err)
		}
		touched = append(touched, l.key)
	}
	return touched, nil
}
