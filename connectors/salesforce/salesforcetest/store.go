package salesforcetest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// JSONTime is the dateTime layout of JSON responses (§0): UTC, millis, an
// offset without colon.
const JSONTime = "2006-01-02T15:04:05.000-0700"

// CSVTime is the dateTime layout of Bulk CSV results (§0, unverified: the
// fake emits it, clients should accept both).
const CSVTime = "2006-01-02T15:04:05.000Z"

// DateLayout is a date field's layout.
const DateLayout = "2006-01-02"

// Date is a calendar date value (no time, no zone), e.g. CloseDate.
type Date string

// Money is a currency/double value in decimal text, e.g. "12500.5"; JSON
// carries it as a number (§0).
type Money string

// record is one stored sObject row.
type record struct {
	obj  *objectDef
	id   string
	vals map[string]any // canonical field name → string, bool, Money, Date, time.Time or nil
	// visibleAt hides a row committed late until the clock reaches it (§2.6).
	visibleAt time.Time
	seq       int // creation order
	// deletedAt is when the record went to the recycle bin (zero: never),
	// for the replication resource.
	deletedAt time.Time
}

func (r *record) deleted() bool { b, _ := r.vals["IsDeleted"].(bool); return b }

// store holds every record; guarded by Server.mu.
type store struct {
	byID   map[string]*record // 18-char id → record
	byObj  map[string][]*record
	nextID map[string]int64
	seq    int
}

func newStore() store {
	return store{byID: map[string]*record{}, byObj: map[string][]*record{}, nextID: map[string]int64{}}
}

// newID mints the next 18-char id of an object (prefix + 12 digits +
// case-safe suffix).
func (st *store) newID(o *objectDef) string {
	st.nextID[o.prefix]++
	return to18(fmt.Sprintf("%s%012d", o.prefix, st.nextID[o.prefix]))
}

// to18 appends the case-safe checksum suffix to a 15-char id (§0); an
// 18-char id is returned with its suffix recomputed from its first 15.
func to18(id string) string {
	if len(id) != 15 && len(id) != 18 {
		return id
	}
	id = id[:15]
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var suffix [3]byte
	for i := 0; i < 3; i++ {
		n := 0
		for j := 0; j < 5; j++ {
			c := id[i*5+j]
			if c >= 'A' && c <= 'Z' {
				n |= 1 << j
			}
		}
		suffix[i] = alphabet[n]
	}
	return id + string(suffix[:])
}

// normID resolves an input id (15 or 18 chars, 18 case-insensitive) to the
// stored 18-char id, or "" when it is not an id.
func normID(id string) string {
	switch len(id) {
	case 15:
		return to18(id)
	case 18:
		// The suffix makes 18-char ids case-insensitive: rebuild the case
		// of the first 15 from it.
		b := []byte(id[:15])
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
		for i := 0; i < 3; i++ {
			n := strings.IndexByte(alphabet, upper(id[15+i]))
			if n < 0 {
				return ""
			}
			for j := 0; j < 5; j++ {
				c := b[i*5+j]
				if n&(1<<j) != 0 {
					b[i*5+j] = upper(c)
				} else if c >= 'A' && c <= 'Z' {
					b[i*5+j] = c + 'a' - 'A'
				}
			}
		}
		return to18(string(b))
	}
	return ""
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// stamp is a SystemModstamp: whole seconds (§2.6), so bulk loads tie.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// formatJSON renders a stored value for a JSON response.
func formatJSON(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(JSONTime)
	case Date:
		return string(x)
	case Money:
		return jsonNumber(x)
	}
	return v
}

// jsonNumber is a JSON number written verbatim.
type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// formatCSV renders a stored value for a Bulk CSV cell: null is empty.
func formatCSV(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.UTC().Format(CSVTime)
	case bool:
		return strconv.FormatBool(x)
	case Date:
		return string(x)
	case Money:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// normMoney writes decimal text as a JSON number: no leading '+', a 0
// before a leading '.', no trailing '.'.
func normMoney(s string) Money {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	if strings.HasPrefix(s, ".") {
		s = "0" + s
	}
	s = strings.TrimSuffix(s, ".")
	if neg {
		s = "-" + s
	}
	return Money(s)
}

// moneyText normalises a seeded amount to decimal text.
func moneyText(v any) Money {
	switch x := v.(type) {
	case Money:
		return normMoney(string(x))
	case string:
		return normMoney(x)
	case int:
		return Money(strconv.Itoa(x))
	case int64:
		return Money(strconv.FormatInt(x, 10))
	case float64:
		return Money(strconv.FormatFloat(x, 'f', -1, 64))
	}
	panic(fmt.Sprintf("salesforcetest: %T is not an amount", v))
}
