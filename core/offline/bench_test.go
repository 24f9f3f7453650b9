package offline

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/internal/synth"
)

const benchOrders = 500_000

func benchCSV(b *testing.B, orders, customers int) []byte {
	b.Helper()
	var buf bytes.Buffer
	err := synth.WriteCSV(&buf, synth.Spec{
		Customers: customers, Orders: orders,
		End: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), Years: 3, Seed: 1,
	})
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkBarePass is a floor: reading every CSV record and nothing else.
func BenchmarkBarePass(b *testing.B) {
	data := benchCSV(b, benchOrders, benchOrders/10)
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
	data := benchCSV(b, benchOrders, benchOrders/10)
	asof, _ := rfm.ParseInstant("2025-07-01T00:00:00Z")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Aggregate(bytes.NewReader(data), DefaultColumns, rfm.Window{AsOf: asof, Days: 730}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchOrders*b.N)/b.Elapsed().Seconds(), "orders/s")
}

// barePass is the floor `score` is measured against: one goroutine splits
// the bytes into lines and fields and counts rows per customer in a map.
func barePass(data []byte) int {
	counts := map[string]int{}
	data = data[bytes.IndexByte(data, '\n')+1:] // header
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		_, rest, _ := bytes.Cut(line, []byte{','})
		cust, _, _ := bytes.Cut(rest, []byte{','})
		counts[string(cust)]++
	}
	return len(counts)
}

// BenchmarkScoreVsBarePass runs, on the same generated order book in the
// same process, the bare pass, the offline pass and all of `score` (pass,
// scoring, CSV output), interleaved per iteration, and reports the medians
// and their ratios. BENCH_ORDERS and BENCH_CUSTOMERS size the book
// (default 2,000,000 / 200,000).
func BenchmarkScoreVsBarePass(b *testing.B) {
	orders, customers := envInt(b, "BENCH_ORDERS", 2_000_000), envInt(b, "BENCH_CUSTOMERS", 200_000)
	data := benchCSV(b, orders, customers)
	asof, _ := rfm.ParseInstant("2025-07-01T00:00:00Z")
	w := rfm.Window{AsOf: asof, Days: 730}
	p := rfm.DefaultParams()
	var bare, pass, score, bareCPU, passCPU []time.Duration
	b.ResetTimer()
	for range b.N {
		start, cpu := time.Now(), processCPU()
		if barePass(data) == 0 {
			b.Fatal("bare pass saw no customer")
		}
		bare = append(bare, time.Since(start))
		bareCPU = append(bareCPU, processCPU()-cpu)

		start, cpu = time.Now(), processCPU()
		res, err := Aggregate(bytes.NewReader(data), DefaultColumns, w)
		if err != nil {
			b.Fatal(err)
		}
		pass = append(pass, time.Since(start))
		passCPU = append(passCPU, processCPU()-cpu)
		if err := WriteScores(io.Discard, rfm.ScoreAll(res.Customers, asof, p)); err != nil {
			b.Fatal(err)
		}
		score = append(score, time.Since(start))
	}
	b.StopTimer()
	mb, mp, ms := median(bare), median(pass), median(score)
	b.ReportMetric(mb.Seconds(), "bare-s")
	b.ReportMetric(mp.Seconds(), "pass-s")
	b.ReportMetric(ms.Seconds(), "score-s")
	b.ReportMetric(mp.Seconds()/mb.Seconds(), "pass/bare")
	b.ReportMetric(ms.Seconds()/mb.Seconds(), "score/bare")
	// CPU time (all threads, GC included) tells a loaded machine from a slow pass.
	b.ReportMetric(median(bareCPU).Seconds(), "bare-cpu-s")
	b.ReportMetric(median(passCPU).Seconds(), "pass-cpu-s")
}

// processCPU is the user and system time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}
