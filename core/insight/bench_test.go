package insight

import (
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// BenchmarkSummarize1M measures the insight of a million scored customers,
// the cost it adds to a run after scoring.
func BenchmarkSummarize1M(b *testing.B) {
	p := rfm.DefaultParams()
	scores := make([]rfm.Score, 1_000_000)
	for i := range scores {
		r, f, m := uint8(1+i%5), uint8(1+i/5%5), uint8(1+i/25%5)
		scores[i] = rfm.Score{Key: itoa(int64(i)), RecencyDays: int64(i % 730), Frequency: int64(1 + i%17),
			Monetary: rfm.MoneyFromMicros(int64(i%100_000) * 12_345), R: r, F: f, M: m, Segment: p.Segments.Lookup(int(r), int(f), int(m))}
	}
	b.ResetTimer()
	for range b.N {
		Summarize(scores, p, Options{WindowDays: 730})
	}
}
