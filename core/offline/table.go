package offline

import (
	"slices"
	"strings"
	"unsafe"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// table is one worker's customers: an open-addressing index over a dense
// slice, keyed by the hash the worker already computed to pick the owner,
// so a row costs one hash and usually one probe. Keys are copied once, into
// a shared arena, when a customer is first seen; a short key is also kept
// inline, so a lookup reads the slot and the entry and nothing else.
type table struct {
	// slots hold the high half of a customer's hash and its index + 1 (0:
	// empty), so most probes that miss never touch the customer's entry.
	slots   []uint64
	hashes  []uint64
	entries []entry
	arena   []byte
}

type entry struct {
	key  string
	head [inlineKey]byte // the key's first bytes, enough for most ids
	agg  rfm.Aggregate
}

const (
	arenaChunk = 64 << 10
	inlineKey  = 16
)

// is reports whether e's key is key.
func (e *entry) is(key string) bool {
	if len(key) != len(e.key) {
		return false
	}
	if len(key) <= inlineKey {
		return string(e.head[:len(key)]) == key
	}
	return e.key == key
}

// get returns the aggregate of key (whose hash is h), adding the customer
// when it is new.
func (t *table) get(h uint64, key string) *rfm.Aggregate {
	if 2*(len(t.entries)+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	tag := h &^ 0xffffffff
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = tag | uint64(len(t.entries)+1)
			t.hashes = append(t.hashes, h)
			e := entry{key: t.intern(key)}
			copy(e.head[:], key)
			t.entries = append(t.entries, e)
			return &t.entries[len(t.entries)-1].agg
		}
		if s&^0xffffffff == tag {
			if e := &t.entries[uint32(s)-1]; e.is(key) {
				return &e.agg
			}
		}
	}
}

// touch loads the first slot key's hash probes and the entry it names, so
// that a batch of lookups waits for its cache misses together rather than
// one after another. The result means nothing; it keeps the loads.
func (t *table) touch(h uint64) uint64 {
	if len(t.slots) == 0 {
		return 0
	}
	s := t.slots[h&uint64(len(t.slots)-1)]
	if s == 0 {
		return 0
	}
	return uint64(t.entries[uint32(s)-1].head[0])
}

func (t *table) grow() {
	n := max(1024, 2*len(t.slots))
	t.slots = make([]uint64, n)
	mask := uint64(n - 1)
	for k, h := range t.hashes {
		i := h & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = h&^0xffffffff | uint64(k+1)
	}
}

// intern copies key into the arena. Arena chunks are never reallocated, so
// the strings stay valid; the key no longer pins the input buffer.
func (t *table) intern(key string) string {
	if key == "" {
		return ""
	}
	if len(t.arena)+len(key) > cap(t.arena) {
		t.arena = make([]byte, 0, max(arenaChunk, len(key)))
	}
	start := len(t.arena)
	t.arena = append(t.arena, key...)
	return unsafe.String(&t.arena[start], len(key))
}

// sorted returns the customers in key byte order.
func (t *table) sorted() []rfm.Customer {
	perm := make([]int32, len(t.entries))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int { return strings.Compare(t.entries[a].key, t.entries[b].key) })
	out := make([]rfm.Customer, len(perm))
	for k, i := range perm {
		out[k] = rfm.Customer{Key: t.entries[i].key, Agg: t.entries[i].agg}
	}
	return out
}

// mergeSorted merges lists sorted by key whose keys are disjoint.
func mergeSorted(lists [][]rfm.Customer) []rfm.Customer {
	switch len(lists) {
	case 0:
		return nil
	case 1:
		return lists[0]
	}
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]rfm.Customer, 0, n)
	for {
		best := -1
		for k, l := range lists {
			if len(l) > 0 && (best < 0 || l[0].Key < lists[best][0].Key) {
				best = k
			}
		}
		if best < 0 {
			return out
		}
		out = append(out, lists[best][0])
		lists[best] = lists[best][1:]
	}
}
