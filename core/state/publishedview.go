package state

import (
	"bytes"
	"fmt"
	"iter"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// PublishedView is one published record as stored: the segment history
// decoded, the fields left encoded. A diff that can tell from the raw
// fields that nothing changed (nearly every customer of an incremental
// sync) skips building the field map; Decode builds the full record.
type PublishedView struct {
	Segment          string
	PreviousSegment  string
	SegmentChangedAt rfm.Instant
	GoneAt           rfm.Instant

	raw    []byte // the whole value
	fields []byte // the encoded name/value pairs
	n      int
	in     interner
}

// NumFields is the number of fields (Published.Fields' length).
func (v *PublishedView) NumFields() int { return v.n }

// Fields yields every field's name and value, sorted by name. The bytes
// are the stored ones: valid only while the walk's callback runs.
func (v *PublishedView) Fields() iter.Seq2[[]byte, []byte] {
	return func(yield func(name, value []byte) bool) {
		d := decoder{b: v.fields}
		for range v.n {
			if !yield(d.raw(), d.raw()) {
				return
			}
		}
	}
}

// Decode returns the full record, as ForEachPublished hands it.
func (v *PublishedView) Decode() (Published, error) { return decodePublishedWith(v.raw, v.in) }

// decodeView parses b into v, with the checks decodePublishedWith makes.
func decodeView(v *PublishedView, b []byte, in interner) error {
	d := decoder{b: b}
	d.version()
	v.raw, v.in = b, in
	v.Segment = in.string(d.raw())
	v.PreviousSegment = in.string(d.raw())
	v.SegmentChangedAt = rfm.Instant(d.varint())
	n := d.uvarint()
	if n > uint64(len(b)) {
		return errCorrupt
	}
	v.n, v.fields = int(n), d.b
	for ; n > 0 && !d.bad; n-- {
		d.raw()
		d.raw()
	}
	v.fields = v.fields[:len(v.fields)-len(d.b)]
	v.GoneAt = rfm.Instant(d.varint())
	return d.done()
}

// ViewOf returns p as a walk would see it once stored.
func ViewOf(p Published) (*PublishedView, error) {
	v := &PublishedView{}
	if err := decodeView(v, encodePublished(&p), nil); err != nil {
		return nil, err
	}
	return v, nil
}

// ForEachPublishedView is ForEachPublished handing each record as a view
// (the same view, refilled: valid only while fn runs), in key order.
func (db *DB) ForEachPublishedView(fn func(key connector.CustomerKey, v *PublishedView) error) error {
	return db.ForEachPublishedViewRange(nil, nil, fn)
}

// ForEachPublishedViewRange is ForEachPublishedView over the keys from
// from (inclusive) to to (exclusive); nil leaves that end open. Walks of
// disjoint ranges may run at once, each in its own read transaction.
func (db *DB) ForEachPublishedViewRange(from, to *connector.CustomerKey, fn func(key connector.CustomerKey, v *PublishedView) error) error {
	var lo, hi []byte
	var err error
	if from != nil {
		if lo, err = customerKey(*from); err != nil {
			return err
		}
	}
	if to != nil {
		if hi, err = customerKey(*to); err != nil {
			return err
		}
	}
	in := interner{}
	var ids keyArena
	var v PublishedView
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketPublished).Cursor()
		k, b := c.First()
		if lo != nil {
			k, b = c.Seek(lo)
		}
		for ; k != nil && (hi == nil || bytes.Compare(k, hi) < 0); k, b = c.Next() {
			key, err := parseCustomerKeyWith(k, in, &ids)
			if err != nil {
				return err
			}
			if err := decodeView(&v, b, in); err != nil {
				return fmt.Errorf("published %q: %w", key, err)
			}
			if err := callback(func() error { return fn(key, &v) }); err != nil {
				return err
			}
		}
		return nil
	})
}
