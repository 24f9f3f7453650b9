// Package lift measures whether segment strategies work: a stable holdout
// share of customers that workflows leave alone, and per segment the rate
// at which treated and holdout customers improve after entering it, with
// the difference and its confidence interval. Pure: no I/O.
package lift

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
)

// InHoldout reports whether a customer belongs to the holdout share
// (0 ≤ share ≤ 1). The choice is a keyed hash of the customer id
// (HMAC-SHA-256 under key), so it never changes between runs or restarts,
// cannot be steered by choosing ids without the key, and a new key draws a
// new, independent holdout. Raising the share only adds customers: everyone
// held out at 10 % is still held out at 20 %.
func InHoldout(key []byte, customerID string, share float64) bool {
	if share <= 0 {
		return false
	}
	if share >= 1 {
		return true
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(customerID))
	u := binary.BigEndian.Uint64(mac.Sum(nil))
	// u/2^64 is uniform on [0, 1); compare in 53-bit precision so the
	// threshold itself is exact.
	return float64(u>>11) < share*(1<<53)
}

// Chooser is InHoldout for many customers: one keyed hash, reset per
// customer, instead of a new one each time. Not safe for concurrent use.
type Chooser struct {
	key   []byte
	mac   hash.Hash
	share float64
	sum   []byte
}

// NewChooser returns a chooser for one key and share.
func NewChooser(key []byte, share float64) *Chooser {
	return &Chooser{key: key, mac: hmac.New(sha256.New, key), share: share, sum: make([]byte, 0, sha256.Size)}
}

// Clone returns a chooser of the same key and share for another goroutine.
func (c *Chooser) Clone() *Chooser { return NewChooser(c.key, c.share) }

// InHoldout is the package's InHoldout under the chooser's key and share.
func (c *Chooser) InHoldout(customerID string) bool {
	if c.share <= 0 {
		return false
	}
	if c.share >= 1 {
		return true
	}
	c.mac.Reset()
	io.WriteString(c.mac, customerID)
	c.sum = c.mac.Sum(c.sum[:0])
	return float64(binary.BigEndian.Uint64(c.sum)>>11) < c.share*(1<<53)
}
