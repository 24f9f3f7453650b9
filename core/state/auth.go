package state

import (
	"bytes"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Credentials kept across runs, in the meta bucket under their own prefix.
// The file is 0600 (Open tightens it), because a rotated refresh token is
// a live credential.
const (
	prefixRefreshToken = "auth/refresh_token/"
	keyBreaker         = "auth/breaker"
)

// LoadRefreshToken returns the refresh token saved under key (a
// fingerprint of the configured credentials), if any. It implements
// crmhttp.TokenStore, so a restart after the CRM rotated the token uses
// the new one instead of the dead one in the config.
func (db *DB) LoadRefreshToken(key string) (string, bool, error) {
	v, err := db.getMeta(prefixRefreshToken + key)
	if err != nil || v == nil {
		return "", false, err
	}
	return string(v), true, nil
}

// SaveRefreshToken stores a rotated refresh token under key, durably,
// and forgets any saved for other credentials.
func (db *DB) SaveRefreshToken(key, token string) error {
	return db.setMetaOnly(prefixRefreshToken, key, []byte(token))
}

// breakerEntry is a tripped login breaker.
type breakerEntry struct {
	Fingerprint string    `json:"fingerprint"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
}

// Tripped reports whether logins with the credentials of fingerprint were
// refused by an earlier run (crmhttp.Breaker): later runs do not log in
// again, because five failed vtenext logins lock the user and a dead
// refresh token never heals. Credentials that changed in the config have
// another fingerprint and log in at once.
func (db *DB) Tripped(fingerprint string) (string, bool, error) {
	e, err := db.breaker()
	if err != nil || e == nil || e.Fingerprint != fingerprint {
		return "", false, err
	}
	return e.Reason, true, nil
}

// Trip records a refused login (crmhttp.Breaker).
func (db *DB) Trip(fingerprint, reason string) error {
	b, err := json.Marshal(breakerEntry{Fingerprint: fingerprint, Reason: reason, At: time.Now().UTC()})
	if err != nil {
		return err
	}
	return db.setMeta(keyBreaker, b)
}

// Breaker returns the open breaker's reason and when it tripped, if one
// is open for any credentials: what the status page and readiness show.
func (db *DB) Breaker() (reason string, at time.Time, open bool, err error) {
	e, err := db.breaker()
	if err != nil || e == nil {
		return "", time.Time{}, false, err
	}
	return e.Reason, e.At, true, nil
}

// ResetBreaker closes the breaker, after a successful login.
func (db *DB) ResetBreaker() error { return db.setMeta(keyBreaker, nil) }

func (db *DB) breaker() (*breakerEntry, error) {
	v, err := db.getMeta(keyBreaker)
	if err != nil || v == nil {
		return nil, err
	}
	var e breakerEntry
	if json.Unmarshal(v, &e) != nil {
		// Only a foreign writer could leave this; the file check guards
		// against damage. Treated as closed: the next refused login trips it anew.
		return nil, nil
	}
	return &e, nil
}

// setMetaOnly stores value under prefix+key and deletes every other key
// with that prefix, in one transaction.
func (db *DB) setMetaOnly(prefix, key string, value []byte) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		p := []byte(prefix)
		var stale [][]byte
		c := b.Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			if string(k) != prefix+key {
				stale = append(stale, bytes.Clone(k))
			}
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return b.Put([]byte(prefix+key), value)
	})
}
