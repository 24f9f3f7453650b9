// Package synth generates realistic order books for benchmarks and demos:
// a skewed customer base (few heavy buyers, many one-off ones), refunds,
// ties, non-won statuses and the odd malformed value, all from one seed.
package synth

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Spec shapes a generated order book.
type Spec struct {
	Customers int
	Orders    int
	// End is the latest closing instant; orders spread over Years before it.
	End   time.Time
	Years float64
	Seed  uint64
}

// Order is one generated order, fields as text the way a CRM or CSV has them.
type Order struct {
	ID, Customer, ClosedAt, Amount, Status string
}

// Generate calls emit for every order, deterministically for a Spec.
func Generate(s Spec, emit func(Order) error) error {
	rng := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	span := time.Duration(s.Years * 365 * 24 * float64(time.Hour))
	start := s.End.Add(-span)
	// Each customer gets a weight from a Pareto-like draw and a favourite
	// basket size, so frequency and monetary are skewed and correlated.
	weights := make([]float64, s.Customers)
	baskets := make([]float64, s.Customers)
	var total float64
	for i := range weights {
		weights[i] = 1 / math.Pow(1-rng.Float64()*0.999, 0.8)
		baskets[i] = 20 + rng.ExpFloat64()*80
		total += weights[i]
	}
	cum := make([]float64, s.Customers)
	acc := 0.0
	for i, w := range weights {
		acc += w / total
		cum[i] = acc
	}
	for n := 0; n < s.Orders; n++ {
		c := searchCum(cum, rng.Float64())
		o := Order{
			ID:       strconv.Itoa(100000 + n),
			Customer: fmt.Sprintf("C%07d", c),
			Status:   "won",
		}
		at := start.Add(time.Duration(rng.Int64N(int64(span))))
		if n%50 == 0 {
			// Ties: bulk imports stamp many orders with one instant.
			at = at.Truncate(24 * time.Hour)
		}
		amount := baskets[c] * (0.5 + rng.Float64())
		switch r := rng.IntN(1000); {
		case r < 40:
			amount = -amount * rng.Float64() // a (partial) refund
		case r < 45:
			amount = 0
		case r < 120:
			o.Status = []string{"lost", "open", "Won ", "WON"}[r%4]
		case r < 122:
			o.Customer = ""
		case r < 123:
			o.Amount = "n/a"
		}
		if o.Amount == "" {
			o.Amount = strconv.FormatFloat(math.Round(amount*100)/100, 'f', 2, 64)
		}
		o.ClosedAt = at.UTC().Format(time.RFC3339)
		if err := emit(o); err != nil {
			return err
		}
	}
	return nil
}

func searchCum(cum []float64, x float64) int {
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// WriteCSV writes the order book as the CSV `rfmsync score` reads.
func WriteCSV(w io.Writer, s Spec) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := csv.NewWriter(bw)
	if err := cw.Write([]string{"order_id", "customer_id", "closed_at", "amount", "status"}); err != nil {
		return err
	}
	row := make([]string, 5)
	err := Generate(s, func(o Order) error {
		row[0], row[1], row[2], row[3], row[4] = o.ID, o.Customer, o.ClosedAt, o.Amount, o.Status
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
