package rfm

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkScoreAll1M scores 1,000,000 customers with quantile scales and the
// 11-segment map.
func BenchmarkScoreAll1M(b *testing.B) {
	const n = 1_000_000
	asof := Instant(1_750_000_000_000_000)
	rng := rand.New(rand.NewPCG(1, 2))
	cs := make([]Customer, n)
	for i := range cs {
		var a Aggregate
		for k := 0; k < 1+rng.IntN(8); k++ {
			a.Add(asof-Instant(rng.Int64N(700*microsPerDay)), MoneyFromMicros(rng.Int64N(500_000_000)))
		}
		cs[i] = Customer{Key: "C" + strconv.Itoa(i), Agg: a}
	}
	p := DefaultParams()
	for b.Loop() {
		if got := ScoreAll(cs, asof, p); len(got) != n {
			b.Fatalf("scored %d", len(got))
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "customers/s")
}
