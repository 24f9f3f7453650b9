package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// bucketModels holds the fitted predictive models, one value per version
// under its big-endian number, so runs between refits and a restart score
// with the same parameters. It is created on the first PutModel: files
// written before it existed open unchanged.
var bucketModels = []byte("models")

// KeepModels is how many versions PutModel keeps: enough to show a year of
// monthly refits and their shifts.
const KeepModels = 24

// ModelRecord is one fit of the predictive models, as stored.
type ModelRecord struct {
	// Version is assigned by PutModel: 1, 2, … in fit order.
	Version  uint64    `json:"version"`
	FittedAt time.Time `json:"fitted_at"`
	// CalibrationEnd is the asof of the run whose orders were fitted.
	CalibrationEnd rfm.Instant `json:"calibration_end"`
	Model          clv.Model   `json:"model"`
	// Customers and Repeat are how many customers each model saw.
	Customers          int      `json:"customers"`
	Repeat             int      `json:"repeat"`
	LogLikelihood      float64  `json:"log_likelihood"`
	SpendLogLikelihood float64  `json:"spend_log_likelihood"`
	Warnings           []string `json:"warnings,omitempty"`
}

// modelFormat is the layout version inside each stored record.
const modelFormat = 1

type storedModel struct {
	Format int `json:"format"`
	ModelRecord
}

// PutModel stores r as the next version and returns it, pruning versions
// older than the last KeepModels.
func (db *DB) PutModel(r ModelRecord) (uint64, error) {
	var version uint64
	err := db.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketModels)
		if err != nil {
			return err
		}
		if k, _ := b.Cursor().Last(); k != nil {
			version = binary.BigEndian.Uint64(k)
		}
		version++
		r.Version = version
		v, err := json.Marshal(storedModel{Format: modelFormat, ModelRecord: r})
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, version), v); err != nil {
			return err
		}
		if version > KeepModels {
			c := b.Cursor()
			for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= version-KeepModels; k, _ = c.First() {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store model: %w", err)
	}
	return version, nil
}

// CurrentModel returns the latest stored model; false when none was fitted.
func (db *DB) CurrentModel() (ModelRecord, bool, error) {
	rs, err := db.Models(1)
	if err != nil || len(rs) == 0 {
		return ModelRecord{}, false, err
	}
	return rs[0], true, nil
}

// Models returns up to limit stored models, newest first.
func (db *DB) Models(limit int) ([]ModelRecord, error) {
	var out []ModelRecord
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketModels)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var s storedModel
			if err := json.Unmarshal(v, &s); err != nil || len(k) != 8 {
				return fmt.Errorf("model version %x: %w", k, errCorrupt)
			}
			if s.Format != modelFormat {
				return fmt.Errorf("model version %d: %w", s.Version, errModelFormat)
			}
			out = append(out, s.ModelRecord)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read models: %w", err)
	}
	return out, nil
}

// errModelFormat says a stored model was written by another rfmsync: the
// caller refits rather than scoring with parameters it cannot read.
var errModelFormat = errors.New("stored in a format this rfmsync does not read (refit)")
