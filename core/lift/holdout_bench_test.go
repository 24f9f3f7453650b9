package lift

import (
	"strconv"
	"testing"
)

// BenchmarkInHoldout1M decides the holdout of 1,000,000 customers, as a
// sync does for every scored customer.
func BenchmarkInHoldout1M(b *testing.B) {
	ids := make([]string, 1_000_000)
	for i := range ids {
		ids[i] = "contacts/" + strconv.Itoa(i)
	}
	key := []byte("bench-key-0123456789")
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, id := range ids {
			if InHoldout(key, id, 0.1) {
				n++
			}
		}
		if n < 90_000 || n > 110_000 {
			b.Fatalf("%d held out", n)
		}
	}
}

// BenchmarkChooser1M is BenchmarkInHoldout1M with one reused hash.
func BenchmarkChooser1M(b *testing.B) {
	ids := make([]string, 1_000_000)
	for i := range ids {
		ids[i] = "contacts/" + strconv.Itoa(i)
	}
	c := NewChooser([]byte("bench-key-0123456789"), 0.1)
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, id := range ids {
			if c.InHoldout(id) {
				n++
			}
		}
		if n < 90_000 || n > 110_000 {
			b.Fatalf("%d held out", n)
		}
	}
}

func TestChooserIsInHoldout(t *testing.T) {
	for _, share := range []float64{0, 0.1, 0.37, 1} {
		c := NewChooser([]byte("k"), share)
		for i := range 5000 {
			id := "contacts/" + strconv.Itoa(i)
			if c.InHoldout(id) != InHoldout([]byte("k"), id, share) {
				t.Fatalf("share %g, %s: chooser and InHoldout differ", share, id)
			}
		}
	}
}
