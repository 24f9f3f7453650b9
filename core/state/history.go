package state

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketHistory holds the run history: key = big-endian sequence, value =
// a RunRecord as JSON. It is created on the first append, so files written
// before it existed open unchanged (no schema bump: the layout only grew).
var bucketHistory = []byte("history")

// DefaultHistoryKeep is how many runs AppendRun keeps when given 0: over a
// year of daily runs, a few hundred kilobytes.
const DefaultHistoryKeep = 400

// RunRecord is one run as the history keeps it: figures, not customers. It
// is written for every run that started, also one that failed before
// scoring (bad token, CRM down), so the page shows why nothing changed.
type RunRecord struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// DurationSeconds is Finished − Started, kept for tools that read JSON.
	DurationSeconds float64 `json:"duration_seconds"`
	AsOf            string  `json:"asof,omitempty"`
	// Result is "success" or "failure".
	Result string `json:"result"`
	// ErrorClass is a short, stable name (e.g. "auth failed", "quota
	// exhausted", "canceled", "internal"); Error is the redacted message.
	ErrorClass string `json:"error_class,omitempty"`
	Error      string `json:"error,omitempty"`
	Resumed    bool   `json:"resumed,omitempty"`

	Pulled   map[string]int `json:"pulled,omitempty"`
	Skipped  map[string]int `json:"skipped,omitempty"`
	Scored   int            `json:"scored"`
	Segments map[string]int `json:"segments,omitempty"`
	Moves    int            `json:"moves"`
	// MoveCounts counts moves as "from → to", so the page's period move
	// matrix survives a restart.
	MoveCounts map[string]int   `json:"move_counts,omitempty"`
	Changed    int              `json:"changed"`
	Written    int              `json:"written"`
	Rejected   int              `json:"rejected"`
	NotFound   int              `json:"not_found"`
	Deferred   int              `json:"deferred"`
	APICalls   map[string]int64 `json:"api_calls,omitempty"`
	// DailyRemaining is the CRM's daily quota left after the run, -1 unknown.
	DailyRemaining int64 `json:"daily_quota_remaining"`
}

// AppendRun adds r to the history and drops the oldest runs beyond keep
// (0 = DefaultHistoryKeep), in one transaction.
func (db *DB) AppendRun(r RunRecord, keep int) error {
	if keep <= 0 {
		keep = DefaultHistoryKeep
	}
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode run record: %w", err)
	}
	err = db.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketHistory)
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
			return err
		}
		// Keys ascend, so the oldest are first; at most a few go per append.
		n := 0
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		excess := n - keep
		for k, _ := c.First(); k != nil && excess > 0; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			excess--
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append run history: %w", err)
	}
	return nil
}

// History returns the last n runs (n <= 0: all kept), oldest first. A
// record that does not decode is skipped rather than hiding the others.
func (db *DB) History(n int) ([]RunRecord, error) {
	var out []RunRecord
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHistory)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && (n <= 0 || len(out) < n); k, v = c.Prev() {
			var r RunRecord
			if json.Unmarshal(v, &r) == nil {
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read run history: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Ping checks that the file can still be read, for readiness.
func (db *DB) Ping() error {
	if err := db.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return fmt.Errorf("bucket %q is missing", bucketMeta)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("state file %s: %w", db.path, err)
	}
	return nil
}
