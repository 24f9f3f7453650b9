package syncloop

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// CRM-neutral checks of what a connector hands over, applied to every
// record of every connector before anything reaches state.

// SkipBadID counts records whose order or customer id cannot be a CRM id:
// empty, not UTF-8, carrying U+FFFD (a JSON decoder's stand-in for bytes
// that were not UTF-8, so two different ids would collide), control
// characters, or longer than MaxIDBytes. Such a record changes nothing.
const SkipBadID rfm.Skip = "bad_id"

// SkipAmountOutOfRange counts orders whose amount no CRM number field can
// hold, so the monetary value written back would be refused or rounded.
const SkipAmountOutOfRange rfm.Skip = "amount_out_of_range"

// MaxIDBytes bounds an id; CRM ids are short (HubSpot ≤ 20 digits,
// Salesforce 18 characters).
const MaxIDBytes = 255

// maxAmount bounds |amount|, exclusive: 10^15. A Salesforce Number(18,2)
// holds 16 integer digits and a HubSpot number is a double, exact to 15
// significant digits; 15 integer digits fit both, leaving room for sums.
var maxAmount = rfm.MoneyFromInt(1_000_000_000_000_000)

// validID reports an id that can be stored and compared safely.
func validID(s string) bool {
	if s == "" || len(s) > MaxIDBytes || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r == utf8.RuneError || unicode.IsControl(r) })
}

// amountFits reports an amount a CRM number field can hold.
func amountFits(m rfm.Money) bool {
	return m.Cmp(maxAmount) < 0 && m.Neg().Cmp(maxAmount) < 0
}

// cursorSet remembers the cursors one pull has read from, so a connector
// (or a server behind it) that leads back to any earlier page — A→B→A, not
// only A→A — is stopped instead of spending the quota in a loop. Hashes
// keep it small: 100,000 pages cost 3 MB.
type cursorSet map[[sha256.Size]byte]int

// visit records cursor as read by page n, or says which page read it before.
func (s cursorSet) visit(source string, cursor []byte, n int) error {
	h := sha256.Sum256(cursor)
	if first, seen := s[h]; seen {
		return fmt.Errorf("%s: paging cursor of page %d repeats the one of page %d: the CRM is leading "+
			"the pull in a loop; stopped (nothing of the loop was stored twice)", source, n+1, first+1)
	}
	s[h] = n
	return nil
}
