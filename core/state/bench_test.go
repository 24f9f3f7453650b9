package state

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
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
	if err := publishScores(db); err != nil {
		return err
	}
	db.bolt.NoSync = false
	return db.bolt.Sync()
}

// benchWindow is the window the sync-side benchmarks score in.
var benchWindow = rfm.Window{AsOf: asof, Days: 730}

// publishScores stores, as published, every customer's scores in the built
// state, as if a first sync had written them all.
func publishScores(db *DB) error {
	keys, scores, err := scoreState(db)
	if err != nil {
		return err
	}
	const chunk = 200_000
	for lo := 0; lo < len(keys); lo += chunk {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketPublished)
			b.FillPercent = 1.0
			for i := lo; i < min(lo+chunk, len(keys)); i++ {
				k, _ := customerKey(keys[i])
				if err := b.Put(k, encodePublished(published(&scores[i]))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func published(s *rfm.Score) *Published {
	return &Published{Segment: s.Segment.ID, Fields: map[string]string{"rfm_segment": s.Segment.Label, "rfm_code": s.Code()}}
}

// scoreState folds every customer's aggregate and scores the scorable
// ones, as a sync's score step (syncloop's run.score) does.
func scoreState(db *DB) ([]connector.CustomerKey, []rfm.Score, error) {
	n, err := db.CustomerCount()
	if err != nil {
		return nil, nil, err
	}
	keys := make([]connector.CustomerKey, 0, n)
	cs := make([]rfm.Customer, 0, n)
	err = db.Customers(benchWindow, func(k connector.CustomerKey, a rfm.Aggregate) error {
		if a.Scorable() {
			keys = append(keys, k)
			cs = append(cs, rfm.Customer{Key: k.ID, Agg: a})
		}
		return nil
	})
	return keys, rfm.ScoreAll(cs, asof, rfm.DefaultParams()), err
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

// BenchmarkApplyChangesBatched10kOn1M applies the same kind of 10,000
// changes (50 pages of 200) one commit per page and through PageWriters of
// several bounds, interleaved per iteration on the same state so the file's
// growth affects all alike, and reports the median of each.
func BenchmarkApplyChangesBatched10kOn1M(b *testing.B) {
	db := benchDB(b)
	bounds := []int{benchPageSize, 2000, 5000, DefaultBatchChanges}
	times := make([][]time.Duration, len(bounds))
	b.ResetTimer()
	for range b.N {
		for k, max := range bounds {
			pages := benchPages(bench.round)
			bench.round++
			start := time.Now()
			applyBatchedMax(b, db, pages, max)
			times[k] = append(times[k], time.Since(start))
		}
	}
	b.StopTimer()
	for k, max := range bounds {
		slices.Sort(times[k])
		b.ReportMetric(times[k][len(times[k])/2].Seconds(), "s/max"+strconv.Itoa(max))
	}
}

// processCPU is the user and system time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func applyBatched(b *testing.B, db *DB, pages [][]Change) { applyBatchedMax(b, db, pages, 0) }

func applyBatchedMax(b *testing.B, db *DB, pages [][]Change, max int) {
	pw := db.NewPageWriter("deals", Batch{MaxChanges: max})
	total := 0
	for p, page := range pages {
		a, err := pw.Add(page, []byte(strconv.Itoa(p)))
		if err != nil {
			b.Fatal(err)
		}
		total += a.Inserted + a.Updated + a.Unchanged + a.Deleted + a.Moved
	}
	a, err := pw.Flush()
	if err != nil {
		b.Fatal(err)
	}
	if total += a.Inserted + a.Updated + a.Unchanged + a.Deleted + a.Moved; total != benchChanges {
		b.Fatalf("applied %d changes, want %d", total, benchChanges)
	}
}

// BenchmarkSyncLocalWork1M is an incremental sync's local work on a state
// of 1,000,000 customers whose scores are all published: apply 10,000
// changed orders (50 pages of 200 through a PageWriter), fold and re-score
// every customer, and diff the scores against what was published.
func BenchmarkSyncLocalWork1M(b *testing.B) {
	db := benchDB(b)
	var changed int
	var tApply, tScore, tDiff, cApply time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		pages := benchPages(bench.round)
		bench.round++
		b.StartTimer()
		t0, c0 := time.Now(), processCPU()
		applyBatched(b, db, pages)
		t1 := time.Now()
		cApply += processCPU() - c0
		keys, scores, err := scoreState(db)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		changed = 0
		i := 0
		err = db.ForEachPublished(func(k connector.CustomerKey, p Published) error {
			for i < len(keys) && compareCustomerKeys(keys[i], k) < 0 {
				i++ // scored, never published
			}
			if i == len(keys) || keys[i] != k {
				changed++ // published, no longer scored
				return nil
			}
			s := &scores[i]
			if p.Segment != s.Segment.ID || p.Fields["rfm_code"] != s.Code() {
				changed++
			}
			i++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if changed == 0 {
			b.Fatal("the diff found no change")
		}
		tApply, tScore, tDiff = tApply+t1.Sub(t0), tScore+t2.Sub(t1), tDiff+time.Since(t2)
	}
	b.ReportMetric(float64(changed), "changed")
	b.ReportMetric(tApply.Seconds()/float64(b.N), "apply-s")
	b.ReportMetric(cApply.Seconds()/float64(b.N), "apply-cpu-s")
	b.ReportMetric(tScore.Seconds()/float64(b.N), "fold+score-s")
	b.ReportMetric(tDiff.Seconds()/float64(b.N), "diff-s")
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
