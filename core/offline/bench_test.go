package offline

import (
	"bytes"
	"encoding/csv"
	"io"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/internal/synth"
)

const benchOrders = 500_000

func benchCSV(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	err := synth.WriteCSV(&buf, synth.Spec{
		Customers: benchOrders / 10, Orders: benchOrders,
		End: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), Years: 3, Seed: 1,
	})
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkBarePass is the floor: reading every CSV record and nothing else.
func BenchmarkBarePass(b *testing.B) {
	data := benchCSV(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(benchOrders*b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkAggregate is the full offline pass: parse, window, fold per customer.
func BenchmarkAggregate(b *testing.B) {
	data := benchCSV(b)
	asof, _ := rfm.ParseInstant("2025-07-01T00:00:00Z")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Aggregate(bytes.NewReader(data), DefaultColumns, rfm.Window{AsOf: asof, Days: 730}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchOrders*b.N)/b.Elapsed().Seconds(), "orders/s")
}
