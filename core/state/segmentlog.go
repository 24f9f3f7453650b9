package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// bucketSegmentLog holds, per customer, the segments the CRM accepted in
// time order: the timelines the lift report is measured on. Published keeps
// only the last move; lift needs every entry and what followed it. Created
// on the first LogSegments, so older files open unchanged.
var bucketSegmentLog = []byte("segment_log")

// KeepSegmentSteps bounds one customer's log: the most recent steps are
// kept, enough for years of monthly moves, so the bucket grows with the
// number of customers, not with the number of runs.
const KeepSegmentSteps = 32

// SegmentStep is a customer entering a segment, as of the run that wrote it.
type SegmentStep struct {
	At      rfm.Instant
	Segment string
}

// LogSegments appends one step per customer in one transaction. A step
// whose segment is the customer's last logged one is dropped, so a run
// resumed after a crash (same asof, same moves) logs nothing twice.
func (db *DB) LogSegments(steps map[connector.CustomerKey]SegmentStep) error {
	if len(steps) == 0 {
		return nil
	}
	err := db.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSegmentLog)
		if err != nil {
			return err
		}
		// In key order: bbolt inserts into a page's sorted slice, so keys
		// in map order would move a growing page on every put.
		type kv struct {
			k []byte
			s SegmentStep
		}
		sorted := make([]kv, 0, len(steps))
		for key, s := range steps {
			kb, err := customerKey(key)
			if err != nil {
				return err
			}
			sorted = append(sorted, kv{kb, s})
		}
		slices.SortFunc(sorted, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
		for _, e := range sorted {
			kb, s := e.k, e.s
			log, err := decodeSteps(b.Get(kb))
			if err != nil {
				return fmt.Errorf("segment log %q: %w", kb, err)
			}
			if n := len(log); n > 0 && (log[n-1].Segment == s.Segment || log[n-1].At > s.At) {
				continue
			}
			log = append(log, s)
			if len(log) > KeepSegmentSteps {
				log = log[len(log)-KeepSegmentSteps:]
			}
			if err := b.Put(kb, encodeSteps(log)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("log segments: %w", err)
	}
	return nil
}

// ForEachSegmentLog calls fn for every customer with a segment log, in key
// order, with its steps oldest first. fn runs inside a read transaction.
func (db *DB) ForEachSegmentLog(fn func(key connector.CustomerKey, steps []SegmentStep) error) error {
	return db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSegmentLog)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			key, err := parseCustomerKey(k)
			if err != nil {
				return err
			}
			steps, err := decodeSteps(v)
			if err != nil {
				return fmt.Errorf("segment log %s: %w", key, err)
			}
			return callback(func() error { return fn(key, steps) })
		})
	})
}

// encodeSteps writes each step as varint instant, uvarint length, segment.
func encodeSteps(steps []SegmentStep) []byte {
	var out []byte
	for _, s := range steps {
		out = binary.AppendVarint(out, int64(s.At))
		out = binary.AppendUvarint(out, uint64(len(s.Segment)))
		out = append(out, s.Segment...)
	}
	return out
}

func decodeSteps(b []byte) ([]SegmentStep, error) {
	var out []SegmentStep
	for len(b) > 0 {
		at, n := binary.Varint(b)
		if n <= 0 {
			return nil, errCorrupt
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, errCorrupt
		}
		out = append(out, SegmentStep{At: rfm.Instant(at), Segment: string(b[n : n+int(l)])})
		b = b[n+int(l):]
	}
	return out, nil
}

// ForEachTimeline is ForEachSegmentLog with, per customer, the instants of
// its purchases inside w (orders that are not refunds), ascending: what
// the lift report needs to tell whether a customer bought again after
// entering a segment. One read transaction joins the two buckets.
func (db *DB) ForEachTimeline(w rfm.Window, fn func(key connector.CustomerKey, steps []SegmentStep, purchases []rfm.Instant) error) error {
	return db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSegmentLog)
		if b == nil {
			return nil
		}
		customers := tx.Bucket(bucketCustomers)
		var purchases []rfm.Instant
		return b.ForEach(func(k, v []byte) error {
			key, err := parseCustomerKey(k)
			if err != nil {
				return err
			}
			steps, err := decodeSteps(v)
			if err != nil {
				return fmt.Errorf("segment log %s: %w", key, err)
			}
			purchases = purchases[:0]
			if ov := customers.Get(k); ov != nil {
				es, err := decodeEntries(ov)
				if err != nil {
					return fmt.Errorf("customer %s: %w", key, err)
				}
				for _, e := range es {
					if w.Contains(e.closedAt) && e.amount.Sign() >= 0 {
						purchases = append(purchases, e.closedAt)
					}
				}
				slices.Sort(purchases)
			}
			return callback(func() error { return fn(key, steps, purchases) })
		})
	})
}
