package offline

import (
	"slices"
	"strings"
	"unsafe"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// table is one worker's customers: an open-addressing index over dense
// slices, keyed by the hash the worker already computed to pick the owner,
// so a row costs one hash and usually one probe. Keys are copied once, into
// a shared arena, when a customer is first seen.
type table struct {
	slots  []int32 // customer index + 1; 0 is empty
	hashes []uint64
	keys   []string
	aggs   []rfm.Aggregate
	arena  []byte
}

const arenaChunk = 64 << 10

// get returns the aggregate of key (whose hash is h), adding the customer
// when it is new.
func (t *table) get(h uint64, key string) *rfm.Aggregate {
	if 2*(len(t.keys)+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = int32(len(t.keys) + 1)
			t.hashes = append(t.hashes, h)
			t.keys = append(t.keys, t.intern(key))
			t.aggs = append(t.aggs, rfm.Aggregate{})
			return &t.aggs[len(t.aggs)-1]
		}
		if t.hashes[s-1] == h && t.keys[s-1] == key {
			return &t.aggs[s-1]
		}
	}
}

func (t *table) grow() {
	n := max(1024, 2*len(t.slots))
	t.slots = make([]int32, n)
	mask := uint64(n - 1)
	for k, h := range t.hashes {
		i := h & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = int32(k + 1)
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
	perm := make([]int32, len(t.keys))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int { return strings.Compare(t.keys[a], t.keys[b]) })
	out := make([]rfm.Customer, len(perm))
	for k, i := range perm {
		out[k] = rfm.Customer{Key: t.keys[i], Agg: t.aggs[i]}
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
