package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// valueV1 is the first byte of every stored value: a layout version per
// record, so a value can change shape without rewriting the whole file.
const valueV1 = 1

// Money tags: most amounts fit in int64 micro-units and take a few varint
// bytes; the rest use rfm.Money's exact 16-byte form.
const (
	moneyVarint = 0
	moneyWide   = 1
	moneyText   = 2 // beyond 128 bits: the exact decimal text
)

var errCorrupt = errors.New("corrupt value")

// errBadKey rejects a customer type that cannot be encoded.
var errBadKey = errors.New("customer type must not contain a NUL byte")

// customerKey encodes k as Type NUL ID, so keys sort by type then id and
// decode without ambiguity (an ID may contain anything).
func customerKey(k connector.CustomerKey) ([]byte, error) {
	if strings.IndexByte(k.Type, 0) >= 0 {
		return nil, errBadKey
	}
	b := make([]byte, 0, len(k.Type)+1+len(k.ID))
	b = append(b, k.Type...)
	b = append(b, 0)
	return append(b, k.ID...), nil
}

// parseCustomerKey decodes a key written by customerKey.
func parseCustomerKey(b []byte) (connector.CustomerKey, error) {
	return parseCustomerKeyWith(b, nil, nil)
}

// parseCustomerKeyWith decodes a key, the type through types and the id
// into ids (nil: plain allocations).
func parseCustomerKeyWith(b []byte, types interner, ids *keyArena) (connector.CustomerKey, error) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return connector.CustomerKey{}, fmt.Errorf("customer key %q: %w", b, errCorrupt)
	}
	k := connector.CustomerKey{Type: types.string(b[:i])}
	if ids != nil {
		k.ID = ids.string(b[i+1:])
	} else {
		k.ID = string(b[i+1:])
	}
	return k, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendMoney(b []byte, m rfm.Money) []byte {
	if n, ok := m.Micros(); ok {
		b = append(b, moneyVarint)
		return binary.AppendVarint(b, n)
	}
	if m.Wide() {
		b = append(b, moneyText)
		return appendString(b, m.String())
	}
	b = append(b, moneyWide)
	return m.AppendBinary(b)
}

// decoder reads a value sequentially; the first malformed read sets bad and
// every later read returns zero, so callers check once at the end.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) fail() { d.bad, d.b = true, nil }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// raw returns a length-prefixed byte string without copying it.
func (d *decoder) raw() []byte {
	// Nearly every stored string is shorter than 128 bytes: a one-byte length.
	if len(d.b) > 0 && d.b[0] < 0x80 && int(d.b[0]) < len(d.b) {
		n := int(d.b[0]) + 1
		r := d.b[1:n]
		d.b = d.b[n:]
		return r
	}
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	r := d.b[:n]
	d.b = d.b[n:]
	return r
}

func (d *decoder) string() string { return string(d.raw()) }

func (d *decoder) money() rfm.Money {
	switch d.byte() {
	case moneyVarint:
		return rfm.MoneyFromMicros(d.varint())
	case moneyWide:
		if len(d.b) < 16 {
			d.fail()
			return rfm.Money{}
		}
		m := rfm.MoneyFromBinary(d.b[:16])
		d.b = d.b[16:]
		return m
	case moneyText:
		m, err := rfm.ParseAmount(d.string())
		if err != nil {
			d.fail()
		}
		return m
	}
	d.fail()
	return rfm.Money{}
}

// version consumes the leading version byte and checks it.
func (d *decoder) version() {
	if d.byte() != valueV1 {
		d.fail()
	}
}

// done reports a malformed value, or one with trailing bytes.
func (d *decoder) done() error {
	if d.bad || len(d.b) != 0 {
		return errCorrupt
	}
	return nil
}

// interner shares the strings a scan decodes over and over (field names,
// segment ids, scores), so a scan of a million records allocates each once.
// It stops growing at a bound, so unique values (sums, dates) cost no more
// than without it.
type interner map[string]string

const (
	internMaxEntries = 4096
	internMaxLen     = 32
)

func (in interner) string(b []byte) string {
	if in == nil || len(b) > internMaxLen {
		return string(b)
	}
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in) < internMaxEntries {
		in[s] = s
	}
	return s
}

// keyArena holds the customer ids a scan returns in a few large blocks
// instead of one allocation each. Blocks are never reallocated, so the
// strings stay valid.
type keyArena struct{ block []byte }

func (a *keyArena) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(a.block)+len(b) > cap(a.block) {
		a.block = make([]byte, 0, max(64<<10, len(b)))
	}
	start := len(a.block)
	a.block = append(a.block, b...)
	return unsafe.String(&a.block[start], len(b))
}
