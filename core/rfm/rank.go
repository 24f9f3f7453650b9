package rfm

// Quantile scores only need each value's rank, so values that fit 64 bits
// are ranked through an order-preserving uint64 key and a radix sort, the
// fast path; money beyond int64 micro-units falls back to the exact
// comparison sort (quantileScores), which gives the same scores bit for bit.

// keyIdx is one value's sort key and its position in the input.
type keyIdx struct {
	key uint64
	i   uint32
}

// signedKey maps an int64 to a uint64 with the same order.
func signedKey(v int64) uint64 { return uint64(v) ^ 1<<63 }

// quantileKeys scores values given as order-preserving keys, each with its
// position 0..n-1, with the quantile formula (see quantileScores). It
// reorders pairs.
func quantileKeys(pairs []keyIdx, bins int) []uint8 {
	n := len(pairs)
	pairs = radixSort(pairs, make([]keyIdx, n))
	out := make([]uint8, n)
	rank := 1
	for k, p := range pairs {
		if k > 0 && pairs[k-1].key != p.key {
			rank = k + 1
		}
		out[p.i] = uint8(1 + int64(bins)*int64(rank-1)/int64(n))
	}
	return out
}

// radixSort sorts a by key (LSD, one byte a pass, using buf as scratch) and
// returns the sorted slice, a or buf. A pass whose byte is the same in every
// key is skipped, so narrow values (frequencies, amounts) take few passes.
func radixSort(a, buf []keyIdx) []keyIdx {
	if len(a) < 2 {
		return a
	}
	var counts [8][256]int
	for _, p := range a {
		k := p.key
		for b := range 8 {
			counts[b][byte(k>>(8*b))]++
		}
	}
	src, dst := a, buf
	for b := range 8 {
		c := &counts[b]
		shift := uint(8 * b)
		if c[byte(src[0].key>>shift)] == len(src) {
			continue
		}
		sum := 0
		for d := range c {
			c[d], sum = sum, sum+c[d]
		}
		for _, p := range src {
			d := byte(p.key >> shift)
			dst[c[d]] = p
			c[d]++
		}
		src, dst = dst, src
	}
	return src
}

// moneyScores scores the n amounts at(0..n-1): through 64-bit keys when
// every amount fits int64 micro-units, else by exact comparison.
func moneyScores(n int, at func(int) Money, bins int) []uint8 {
	keys := make([]keyIdx, n)
	for k := range n {
		v, ok := at(k).Micros()
		if !ok {
			vals := make([]Money, n)
			for k := range n {
				vals[k] = at(k)
			}
			return quantileScores(vals, bins, Money.Cmp)
		}
		keys[k] = keyIdx{signedKey(v), uint32(k)}
	}
	return quantileKeys(keys, bins)
}
