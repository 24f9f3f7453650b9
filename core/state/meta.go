package state

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Fingerprint kinds. A change of the pull fingerprint (what is pulled:
// sources, filters, field mapping) forces a re-pull; a change of the score
// fingerprint (window, bins, methods, segments) forces a full rescore and write.
const (
	FingerprintPull  = "pull"
	FingerprintScore = "score"
)

// Meta keys are namespaced so generic entries cannot collide with the schema
// version or the fingerprints.
const (
	prefixFingerprint = "fp/"
	prefixMeta        = "kv/"
)

var errNoKey = errors.New("meta key is empty")

// Fingerprint returns the stored fingerprint of kind, "" when none is stored.
func (db *DB) Fingerprint(kind string) (string, error) {
	v, err := db.getMeta(prefixFingerprint + kind)
	return string(v), err
}

// SetFingerprint stores the fingerprint of kind; "" deletes it.
func (db *DB) SetFingerprint(kind, value string) error {
	var v []byte
	if value != "" {
		v = []byte(value)
	}
	return db.setMeta(prefixFingerprint+kind, v)
}

// Meta returns a small value stored by SetMeta (quota reset times, last-run
// information), nil when none is stored.
func (db *DB) Meta(key string) ([]byte, error) {
	if key == "" {
		return nil, errNoKey
	}
	return db.getMeta(prefixMeta + key)
}

// SetMeta stores a small value under key; nil deletes it.
func (db *DB) SetMeta(key string, value []byte) error {
	if key == "" {
		return errNoKey
	}
	return db.setMeta(prefixMeta+key, value)
}

func (db *DB) getMeta(key string) ([]byte, error) {
	var out []byte
	err := db.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte(key)); v != nil {
			out = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read meta %q: %w", key, err)
	}
	return out, nil
}

func (db *DB) setMeta(key string, value []byte) error {
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if value == nil {
			return b.Delete([]byte(key))
		}
		return b.Put([]byte(key), value)
	})
	if err != nil {
		return fmt.Errorf("write meta %q: %w", key, err)
	}
	return nil
}
