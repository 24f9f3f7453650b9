package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// The benchmark state: 1,000,000 customers with 2 orders each, built once
// per test binary and shared by the benchmarks.
const (
	benchCustomers = 1_000_000
	benchOrders    = 2 * benchCustomers
	benchChanges   = 10_000
	benchPageSize  = 200
)

var bench struct {
	once  sync.Once
	dir   string
	db    *DB
	err   error
	round int // ApplyChanges rounds so far: each round changes other orders
}

func benchOrderID(j int) string                 { return fmt.Sprintf("o%08d", j) }
func benchCustomer(c int) connector.CustomerKey { return cust(fmt.Sprintf("c%07d", c)) }

// benchFact is order j as built: customer j/2, spread over two years.
func benchFact(j int) Fact {
	return Fact{
		OrderID:  benchOrderID(j),
		Customer: benchCustomer(j / 2),
		ClosedAt: asof - rfm.Instant(j%730)*day - rfm.Instant(j%86_400)*1_000_000,
		Amount:   rfm.MoneyFromMicros(int64(j%5000)*1_000_000 + int64(j%100)*10_000),
	}
}

func benchDB(b *testing.B) *DB {
	bench.once.Do(func() {
		if bench.dir, bench.err = os.MkdirTemp("", "rfmsync-state-bench-"); bench.err != nil {
			return
		}
		path := filepath.Join(bench.dir, "state.db")
		start := time.Now()
		if bench.err = buildBench(path); bench.err != nil {
			return
		}
		st, _ := os.Stat(path)
		b.Logf("built %d customers / %d orders in %s (%d MB)", benchCustomers, benchOrders,
			time.Since(start).Round(time.Millisecond), st.Size()>>20)
		bench.db, bench.err = Open(path, Options{})
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.db
}

func cleanupBench() {
	if bench.db != nil {
		_ = bench.db.Close()
	}
	if bench.dir != "" {
		_ = os.RemoveAll(bench.dir)
	}
}

// buildBench bulk-loads the state with sorted keys in a few large
// transactions, pages packed full and fsync off (setup only).
func buildBench(path string) error {
	db, err := Open(path, Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	db.bolt.NoSync = true
	const chunk = 250_000
	for lo := 0; lo < benchOrders; lo += chunk {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			facts, err := tx.Bucket(bucketFacts).CreateBucketIfNotExists([]byte("deals"))
			if err != nil {
				return err
			}
			facts.FillPercent = 1.0
			custs := tx.Bucket(bucketCustomers)
			custs.FillPercent = 1.0
			for j := lo; j < lo+chunk; j++ {
				f := benchFact(j)
				v, err := encodeFact(f)
				if err != nil {
					return err
				}
				if err := facts.Put([]byte(f.OrderID), v); err != nil {
					return err
				}
				if j%2 == 1 {
					g := benchFact(j - 1)
					k, _ := customerKey(f.Customer)
					es := []entry{
						{source: "deals", order: g.OrderID, closedAt: g.ClosedAt, amount: g.Amount},
						{source: "deals", order: f.OrderID, closedAt: f.ClosedAt, amount: f.Amount},
					}
					if err := custs.Put(k, encodeEntries(es)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	db.bolt.NoSync = false
	return db.bolt.Sync()
}

// benchPages makes round r's 10,000 changes, in pages of 200, over orders
// scattered across the key space (as modification-ordered pages are): 60 %
// amount changes, 30 % re-assignments, 10 % deletions.
func benchPages(r int) [][]Change {
	pages := make([][]Change, 0, benchChanges/benchPageSize)
	var page []Change
	for i := range benchChanges {
		j := ((r*benchChanges + i) * 7919) % benchOrders // 7919 is prime: a permutation
		f := benchFact(j)
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			f.Amount = f.Amount.Add(rfm.MoneyFromInt(int64(r + 1)))
			page = append(page, Change{OrderID: f.OrderID, Fact: f})
		case 6, 7, 8:
			f.Customer = benchCustomer((j/2 + 1 + r*7 + i) % benchCustomers)
			page = append(page, Change{OrderID: f.OrderID, Fact: f})
		default:
			page = append(page, Change{OrderID: f.OrderID, Delete: true})
		}
		if len(page) == benchPageSize {
			pages = append(pages, page)
			page = nil
		}
	}
	return pages
}

// BenchmarkApplyChanges10kOn1M measures one op = 10,000 changed orders
// applied as 50 committed (fsynced) pages of 200 on a 1M-customer state.
func BenchmarkApplyChanges10kOn1M(b *testing.B) {
	db := benchDB(b)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		pages := benchPages(bench.round)
		bench.round++
		b.StartTimer()
		for p, page := range pages {
			a, err := db.ApplyPage("deals", page, []byte(strconv.Itoa(p)))
			if err != nil {
				b.Fatal(err)
			}
			if a.Unchanged == len(page) {
				b.Fatalf("page %d changed nothing", p)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchChanges), "ns/change")
}

// BenchmarkCustomersIterate1M measures one full pass computing every
// customer's window aggregate, what each scoring run starts with.
func BenchmarkCustomersIterate1M(b *testing.B) {
	db := benchDB(b)
	w := rfm.Window{AsOf: asof, Days: 365}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n, scorable := 0, 0
		err := db.Customers(w, func(_ connector.CustomerKey, a rfm.Aggregate) error {
			n++
			if a.Scorable() {
				scorable++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n < benchCustomers*9/10 || scorable == 0 {
			b.Fatalf("iterated %d customers (%d scorable)", n, scorable)
		}
	}
}
