// Package lift measures whether segment strategies work: a stable holdout
// share of customers that workflows leave alone, and per segment the rate
// at which treated and holdout customers improve after entering it, with
// the difference and its confidence interval. Pure: no I/O.
package lift

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
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
