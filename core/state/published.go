package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// Published is what the CRM last accepted for one customer, so a sync writes
// only what changed, and the segment history the sync derives fields from.
type Published struct {
	// Fields maps CRM field name to the value written; nil when empty.
	Fields map[string]string
	// Segment is the segment id last written.
	Segment string
	// PreviousSegment is the segment id before the last change of Segment.
	PreviousSegment string
	// SegmentChangedAt is when Segment last changed.
	SegmentChangedAt rfm.Instant
	// GoneAt, when set, is when the CRM said the record no longer exists
	// (deleted or merged): the sync stops writing to it.
	GoneAt rfm.Instant
}

// Published returns what was last written for key.
func (db *DB) Published(key connector.CustomerKey) (Published, bool, error) {
	var p Published
	var ok bool
	kb, err := customerKey(key)
	if err != nil {
		return p, false, err
	}
	err = db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPublished).Get(kb)
		if v == nil {
			return nil
		}
		ok = true
		if p, err = decodePublished(v); err != nil {
			return fmt.Errorf("published %q: %w", key, err)
		}
		return nil
	})
	return p, ok, err
}

// ForEachPublished calls fn for every customer with published values, in key
// order. fn runs inside a read transaction: see the package comment.
func (db *DB) ForEachPublished(fn func(key connector.CustomerKey, p Published) error) error {
	in := interner{}
	var ids keyArena
	return db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPublished).ForEach(func(k, v []byte) error {
			key, err := parseCustomerKeyWith(k, in, &ids)
			if err != nil {
				return err
			}
			p, err := decodePublishedWith(v, in)
			if err != nil {
				return fmt.Errorf("published %q: %w", key, err)
			}
			return callback(func() error { return fn(key, p) })
		})
	})
}

// CommitPublished records, in one transaction, what the CRM accepted; a nil
// value deletes the record (the customer was deleted or merged in the CRM,
// or its fields were cleared). Call it only after the CRM accepted the batch.
func (db *DB) CommitPublished(updates map[connector.CustomerKey]*Published) error {
	type kv struct {
		k []byte
		v []byte
	}
	rows := make([]kv, 0, len(updates))
	for key, p := range updates {
		kb, err := customerKey(key)
		if err != nil {
			return fmt.Errorf("commit published %q: %w", key, err)
		}
		var v []byte
		if p != nil {
			v = encodePublished(p)
		}
		rows = append(rows, kv{kb, v})
	}
	slices.SortFunc(rows, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPublished)
		for _, r := range rows {
			var err error
			if r.v == nil {
				err = b.Delete(r.k)
			} else {
				err = b.Put(r.k, r.v)
			}
			if err != nil {
				return fmt.Errorf("commit published: %w", err)
			}
		}
		return nil
	})
}

// encodePublished: version, segment, previous segment, changed at, field
// count, then name/value pairs sorted by name (one encoding per value).
func encodePublished(p *Published) []byte {
	b := []byte{valueV1}
	b = appendString(b, p.Segment)
	b = appendString(b, p.PreviousSegment)
	b = binary.AppendVarint(b, int64(p.SegmentChangedAt))
	b = binary.AppendUvarint(b, uint64(len(p.Fields)))
	for _, k := range slices.Sorted(maps.Keys(p.Fields)) {
		b = appendString(b, k)
		b = appendString(b, p.Fields[k])
	}
	return binary.AppendVarint(b, int64(p.GoneAt))
}

func decodePublished(v []byte) (Published, error) { return decodePublishedWith(v, nil) }

// decodePublishedWith decodes with in sharing repeated strings (nil: none).
func decodePublishedWith(v []byte, in interner) (Published, error) {
	d := decoder{b: v}
	d.version()
	var p Published
	p.Segment = in.string(d.raw())
	p.PreviousSegment = in.string(d.raw())
	p.SegmentChangedAt = rfm.Instant(d.varint())
	n := d.uvarint()
	if n > uint64(len(v)) {
		return Published{}, errCorrupt
	}
	if n > 0 {
		p.Fields = make(map[string]string, n)
	}
	for ; n > 0 && !d.bad; n-- {
		k := in.string(d.raw())
		p.Fields[k] = in.string(d.raw())
	}
	p.GoneAt = rfm.Instant(d.varint())
	if err := d.done(); err != nil {
		return Published{}, err
	}
	return p, nil
}

// PublishedAfter returns up to limit published records whose key sorts
// after the given one (the zero key = from the start), in key order, for
// scans that page through every customer.
func (db *DB) PublishedAfter(after connector.CustomerKey, limit int) ([]connector.CustomerKey, []Published, error) {
	var keys []connector.CustomerKey
	var pubs []Published
	var seek []byte
	if after != (connector.CustomerKey{}) {
		var err error
		if seek, err = customerKey(after); err != nil {
			return nil, nil, err
		}
	}
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketPublished).Cursor()
		k, v := c.First()
		if seek != nil {
			k, v = c.Seek(seek)
			if k != nil && bytes.Equal(k, seek) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(keys) < limit; k, v = c.Next() {
			key, err := parseCustomerKey(k)
			if err != nil {
				return err
			}
			p, err := decodePublished(v)
			if err != nil {
				return fmt.Errorf("published %q: %w", key, err)
			}
			keys = append(keys, key)
			pubs = append(pubs, p)
		}
		return nil
	})
	return keys, pubs, err
}
