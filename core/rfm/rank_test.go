package rfm

import (
	"cmp"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// int64Cases are value sets where a radix sort is easy to get wrong: the
// sign bit, extremes, ties, keys that differ in one byte only.
func int64Cases(rng *rand.Rand) [][]int64 {
	cases := [][]int64{
		{0},
		{5, 5, 5, 5},
		{math.MinInt64, math.MaxInt64, -1, 0, 1, math.MinInt64 + 1, math.MaxInt64 - 1},
		{-1 << 40, 1 << 40, -1 << 8, 1 << 8, 255, 256, -255, -256},
		{3, 2, 1, 0, -1, -2, -3},
	}
	for range 200 {
		n := 1 + rng.IntN(300)
		v := make([]int64, n)
		for i := range v {
			switch rng.IntN(5) {
			case 0:
				v[i] = rng.Int64() - math.MaxInt64/2*int64(rng.IntN(3))
			case 1:
				v[i] = int64(rng.IntN(8)) // many ties
			case 2:
				v[i] = int64(rng.IntN(256)) << (8 * rng.IntN(8)) // one byte set
			case 3:
				v[i] = -int64(rng.IntN(1000))
			default:
				v[i] = []int64{math.MinInt64, math.MaxInt64, 0, -1}[rng.IntN(4)]
			}
		}
		cases = append(cases, v)
	}
	return cases
}

func TestRadixRanksMatchComparisonSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	for _, vals := range int64Cases(rng) {
		for bins := MinBins; bins <= MaxBins; bins++ {
			pairs := make([]keyIdx, len(vals))
			for i, v := range vals {
				pairs[i] = keyIdx{signedKey(v), uint32(i)}
			}
			got := quantileKeys(pairs, bins)
			want := quantileScores(vals, bins, cmp.Compare[int64])
			if !slices.Equal(got, want) {
				t.Fatalf("bins %d, values %v:\n got  %v\n want %v", bins, vals, got, want)
			}
		}
	}
}

// moneyCases mixes amounts that fit int64 micro-units with ones that need
// 128 bits or a big.Int, and the int64 edges themselves.
func moneyCases(rng *rand.Rand) [][]Money {
	huge := new(big.Int).Lsh(big.NewInt(1), 200)
	edge := []Money{
		MoneyFromMicros(math.MaxInt64), MoneyFromMicros(math.MinInt64), MoneyFromMicros(0), MoneyFromMicros(-1),
		MoneyFromMicros(math.MaxInt64).Add(MoneyFromMicros(1)), // just past int64
		MoneyFromMicros(math.MinInt64).Sub(MoneyFromMicros(1)),
		fromBig(huge), fromBig(new(big.Int).Neg(huge)),
	}
	cases := [][]Money{edge, edge[:4], {edge[4], edge[4], edge[0]}}
	for range 200 {
		n := 1 + rng.IntN(200)
		v := make([]Money, n)
		wide := rng.IntN(3) == 0
		for i := range v {
			switch {
			case wide && rng.IntN(10) == 0:
				v[i] = edge[rng.IntN(len(edge))]
			case rng.IntN(4) == 0:
				v[i] = MoneyFromMicros(int64(rng.IntN(5)) * 1_000_000) // ties
			default:
				v[i] = MoneyFromMicros(rng.Int64() >> rng.IntN(40) * int64(1-2*rng.IntN(2)))
			}
		}
		cases = append(cases, v)
	}
	return cases
}

func TestMoneyFastPathMatchesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 8))
	fast := 0
	for _, vals := range moneyCases(rng) {
		fits := true
		for _, v := range vals {
			_, ok := v.Micros()
			fits = fits && ok
		}
		if fits {
			fast++
		}
		for bins := MinBins; bins <= MaxBins; bins++ {
			got := moneyScores(len(vals), func(k int) Money { return vals[k] }, bins)
			want := quantileScores(vals, bins, Money.Cmp)
			if !slices.Equal(got, want) {
				t.Fatalf("bins %d, amounts %v (fit int64: %v):\n got  %v\n want %v", bins, vals, fits, got, want)
			}
		}
	}
	if fast == 0 {
		t.Fatal("no case took the 64-bit path")
	}
}

// referenceScoreAll is ScoreAll as it was before the fast paths: sequential,
// every metric by comparison sort.
func referenceScoreAll(in []Customer, asof Instant, p Params) []Score {
	var cs []Customer
	for _, c := range in {
		if c.Agg.Scorable() {
			cs = append(cs, c)
		}
	}
	n := len(cs)
	out := make([]Score, n)
	if n == 0 {
		return out
	}
	w := Window{AsOf: asof}
	last, freq, money := make([]Instant, n), make([]int64, n), make([]Money, n)
	for i, c := range cs {
		last[i], freq[i], money[i] = c.Agg.Last, c.Agg.Frequency, c.Agg.Monetary
	}
	each := func(k int, score func(int) uint8) []uint8 {
		s := make([]uint8, k)
		for i := range s {
			s[i] = score(i)
		}
		return s
	}
	var r, f, m []uint8
	if p.R.Method == Threshold {
		r = each(n, func(i int) uint8 { return thresholdRecency(w.RecencyDays(last[i]), p.R.Cuts, p.Bins) })
	} else {
		r = quantileScores(last, p.Bins, cmp.Compare[Instant])
	}
	if p.F.Method == Threshold {
		f = each(n, func(i int) uint8 { return thresholdHigher(MoneyFromInt(freq[i]), p.F.Cuts) })
	} else {
		f = quantileScores(freq, p.Bins, cmp.Compare[int64])
	}
	if p.M.Method == Threshold {
		m = each(n, func(i int) uint8 { return thresholdHigher(money[i], p.M.Cuts) })
	} else {
		m = quantileScores(money, p.Bins, Money.Cmp)
	}
	newBefore := asof - Instant(int64(p.NewCustomerDays)*microsPerDay)
	for i, c := range cs {
		s := Score{Key: c.Key, RecencyDays: w.RecencyDays(c.Agg.Last), Frequency: c.Agg.Frequency,
			Monetary: c.Agg.Monetary, Last: c.Agg.Last, R: r[i], F: f[i], M: m[i]}
		s.Segment = p.Segments.Lookup(int(s.R), int(s.F), int(s.M))
		if p.NewCustomerDays > 0 && c.Agg.First > newBefore {
			s.Segment, s.New = p.NewSegment, true
		}
		out[i] = s
	}
	return out
}

func TestScoreAllMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 6))
	asof := Instant(1_750_000_000_000_000)
	quant := DefaultParams()
	thr := DefaultParams()
	thr.R = Scale{Method: Threshold, Cuts: []Money{MoneyFromInt(30), MoneyFromInt(90), MoneyFromInt(180), MoneyFromInt(365)}}
	thr.F = Scale{Method: Threshold, Cuts: []Money{MoneyFromInt(1), MoneyFromInt(2), MoneyFromInt(4), MoneyFromInt(8)}}
	thr.M = Scale{Method: Threshold, Cuts: []Money{MoneyFromInt(10), MoneyFromInt(100), MoneyFromInt(1000), MoneyFromInt(10000)}}
	thr.NewCustomerDays, thr.NewSegment = 30, Segment{ID: "new", Label: "New"}
	for round := range 40 {
		n := 1 + rng.IntN(3000)
		if round == 0 {
			n = 100_000 // large enough to assemble in parallel parts (on 2+ cores)
		}
		cs := make([]Customer, n)
		for i := range cs {
			var a Aggregate
			for range rng.IntN(6) {
				amount := MoneyFromMicros(rng.Int64N(2_000_000_000) - 100_000_000)
				if round%4 == 1 && rng.IntN(50) == 0 {
					amount = MoneyFromMicros(math.MaxInt64).MulInt(int64(1 + rng.IntN(3))) // beyond int64
				}
				a.Add(asof-Instant(rng.Int64N(700*microsPerDay)), amount)
			}
			cs[i] = Customer{Key: "c" + strconv.Itoa(i), Agg: a}
		}
		for _, p := range []Params{quant, thr} {
			got, want := ScoreAll(cs, asof, p), referenceScoreAll(cs, asof, p)
			if !reflect.DeepEqual(got, want) {
				for i := range min(len(got), len(want)) {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("round %d, row %d of %d: got %+v, want %+v", round, i, len(want), got[i], want[i])
					}
				}
				t.Fatalf("round %d: %d scores, want %d", round, len(got), len(want))
			}
		}
	}
}

func TestParseAmountFastPathMatchesWide(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
			if rng.IntN(4) == 0 {
				b[i] = "09"[rng.IntN(2)] // runs of nines and zeros carry and round
			}
		}
		return string(b)
	}
	cases := [][2]string{{"999999999999", "9999999"}, {"999999999999", "9999995"}, {"0", "0000005"}, {"", "0000004999"}, {"000000000000", ""}}
	for range 20000 {
		cases = append(cases, [2]string{digits(rng.IntN(maxFastIntDigits + 1)), digits(rng.IntN(10))})
	}
	for _, c := range cases {
		if c[0] == "" && c[1] == "" {
			continue
		}
		roundUp := len(c[1]) > 6 && c[1][6] >= '5'
		for _, neg := range []bool{false, true} {
			fast, wide := parseMicros64(neg, c[0], c[1], roundUp), parseWide(neg, c[0], c[1], roundUp)
			if fast != wide {
				t.Fatalf("%v %q.%q: fast %v (%+v), wide %v (%+v)", neg, c[0], c[1], fast, fast, wide, wide)
			}
		}
	}
}
