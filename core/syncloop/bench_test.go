package syncloop

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// The sync benchmark's CRM: 1,000,000 customers with 2 orders each, all
// scored and published by a first sync prepared once per test binary; each
// iteration is an incremental sync of 10,000 changed orders on a copy.
const (
	syncBenchCustomers = 1_000_000
	syncBenchOrders    = 2 * syncBenchCustomers
	syncBenchChanges   = 10_000
	syncBenchPage      = 200
)

var syncBenchAsOf = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// benchCRM serves a feed of records after a numeric cursor and accepts
// every write at once, so the benchmark measures only rfmsync's own work.
type benchCRM struct {
	// feed[i] is record base+i: once the first sync is prepared only the
	// changes stay in memory, so the benchmark's garbage collector does not
	// mark two million records no real run holds.
	feed     []connector.Record
	base     int
	end      int // the feed is served up to here
	page     int
	maxBatch int
}

func (c *benchCRM) Sources() []string { return []string{"deals"} }

func (c *benchCRM) ReadPage(_ context.Context, req connector.ReadRequest) (connector.Page, error) {
	pos := 0
	if len(req.Cursor) > 0 {
		var err error
		if pos, err = strconv.Atoi(string(req.Cursor)); err != nil {
			return connector.Page{}, err
		}
	}
	if pos < c.base {
		return connector.Page{}, fmt.Errorf("cursor %d is before the records kept (%d)", pos, c.base)
	}
	n := min(pos+c.page, c.end)
	return connector.Page{Records: c.feed[pos-c.base : n-c.base], Cursor: []byte(strconv.Itoa(n)), Done: n == c.end}, nil
}

func (c *benchCRM) MaxBatch() int { return c.maxBatch }

func (c *benchCRM) WriteBatch(_ context.Context, ups []connector.Update) (connector.WriteResult, error) {
	res := connector.WriteResult{Accepted: make([]connector.CustomerKey, len(ups))}
	for i, u := range ups {
		res.Accepted[i] = u.Key
	}
	return res, nil
}

func (c *benchCRM) Close() error { return nil }

func syncBenchCustomer(c int) connector.CustomerKey {
	return connector.CustomerKey{Type: "contacts", ID: fmt.Sprintf("c%07d", c)}
}

// syncBenchOrder is order j as first pulled: customer j/2, spread over two years.
func syncBenchOrder(j int) connector.Record {
	closed := syncBenchAsOf.Add(-time.Duration(j%730)*24*time.Hour - time.Duration(j%86_400)*time.Second)
	return connector.Record{
		OrderID:  fmt.Sprintf("o%08d", j),
		Customer: syncBenchCustomer(j / 2),
		ClosedAt: closed.Format(time.RFC3339),
		Amount:   fmt.Sprintf("%d.%02d", j%5000, j%100),
		Status:   "won",
	}
}

// syncBenchFeed is every order, then syncBenchChangeFeed.
func syncBenchFeed() []connector.Record {
	feed := make([]connector.Record, 0, syncBenchOrders+syncBenchChanges)
	for j := range syncBenchOrders {
		feed = append(feed, syncBenchOrder(j))
	}
	return append(feed, syncBenchChangeFeed()...)
}

// syncBenchChangeFeed is 10,000 changes to orders scattered over the key
// space: 60 % amount changes, 30 % re-assignments, 10 % deletions.
func syncBenchChangeFeed() []connector.Record {
	feed := make([]connector.Record, 0, syncBenchChanges)
	for i := range syncBenchChanges {
		j := (i * 7919) % syncBenchOrders // 7919 is prime: a permutation
		rec := syncBenchOrder(j)
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			rec.Amount = fmt.Sprintf("%d.%02d", j%5000+1, j%100)
		case 6, 7, 8:
			rec.Customer = syncBenchCustomer((j/2 + 1 + i) % syncBenchCustomers)
		default:
			rec.Deleted = true
		}
		feed = append(feed, rec)
	}
	return feed
}

// syncBenchFields are the outputs a typical config maps (all but
// recency_days, which changes for everyone every day).
var syncBenchFields = outputs.Single(map[string]string{
	outputs.R: "rfm_r", outputs.F: "rfm_f", outputs.M: "rfm_m", outputs.RFM: "rfm_code",
	outputs.Segment: "rfm_segment", outputs.Frequency: "rfm_orders", outputs.Monetary: "rfm_monetary",
	outputs.LastPurchaseDate: "rfm_last_date", outputs.PreviousSegment: "rfm_previous",
	outputs.SegmentChangedAt: "rfm_changed_at",
})

var syncBench struct {
	once sync.Once
	dir  string
	crm  *benchCRM
	err  error
}

func syncBenchOptions(db *state.DB, asof time.Time) Options {
	return Options{
		Connector: syncBench.crm, State: db, Params: rfm.DefaultParams(), WindowDays: 730,
		Fields: syncBenchFields, PullFingerprint: "p", ScoreFingerprint: "s",
		AsOf: asof, Now: func() time.Time { return asof },
	}
}

// prepareSyncBench runs the first sync (every order in pages of 50,000,
// every customer written in batches of 200,000) into dir/state.db.
// RFMSYNC_SYNC_BENCH_CACHE names a file that keeps the prepared state
// between benchmark runs (taken when it exists, else written): profiling
// the incremental sync then skips the 40 s first sync. Delete it when the
// state's encoding changes.
func prepareSyncBench(b *testing.B) {
	start := time.Now()
	if syncBench.dir, syncBench.err = os.MkdirTemp("", "rfmsync-sync-bench-"); syncBench.err != nil {
		return
	}
	cache := os.Getenv("RFMSYNC_SYNC_BENCH_CACHE")
	if cache != "" {
		if _, err := os.Stat(cache); err == nil {
			syncBench.crm = &benchCRM{feed: syncBenchChangeFeed(), base: syncBenchOrders}
			syncBench.err = copyFile(filepath.Join(syncBench.dir, "state.db"), cache)
			b.Logf("prepared state taken from %s", cache)
			return
		}
		defer func() {
			if syncBench.err == nil {
				syncBench.err = copyFile(cache, filepath.Join(syncBench.dir, "state.db"))
			}
		}()
	}
	syncBench.crm = &benchCRM{feed: syncBenchFeed(), end: syncBenchOrders, page: 50_000, maxBatch: 200_000}
	// The iterations read only the changes after the first sync.
	defer func() {
		c := syncBench.crm
		c.feed, c.base = slices.Clone(c.feed[syncBenchOrders:]), syncBenchOrders
		runtime.GC()
	}()
	db, err := state.Open(filepath.Join(syncBench.dir, "state.db"), state.Options{CheckLimit: -1})
	if err != nil {
		syncBench.err = err
		return
	}
	defer db.Close()
	rep, err := Run(context.Background(), syncBenchOptions(db, syncBenchAsOf))
	if err == nil && rep.Written != syncBenchCustomers {
		err = fmt.Errorf("first sync wrote %d customers, want %d", rep.Written, syncBenchCustomers)
	}
	syncBench.err = err
	b.Logf("first sync of %d customers prepared in %s", syncBenchCustomers, time.Since(start).Round(time.Millisecond))
}

func TestMain(m *testing.M) {
	code := m.Run()
	if syncBench.dir != "" {
		_ = os.RemoveAll(syncBench.dir)
	}
	os.Exit(code)
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	// Synced, so the copy's writeback (a gigabyte for the 1M state) is over
	// before the timed run starts instead of competing with it.
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// BenchmarkIncrementalSync1M is one incremental sync through Run on a
// state of 1,000,000 published customers: 10,000 changed orders pulled in
// 50 pages of 200, every customer re-scored, the diff planned, and the
// changed customers written (the CRM accepts at once) and committed in
// batches of 100. ns/op is the whole Run; the split is its steps' medians
// (-s wall, -cpu-s process CPU time), local-s their sum without the
// commit, and floor-s a bare walk of the published records (fields left
// encoded) in the same iteration. diff=decoded turns off the diff's fast
// path (unchanged.go), as every customer was diffed before it.
func BenchmarkIncrementalSync1M(b *testing.B) {
	cpuClock = processCPU
	defer func() { cpuClock = nil }()
	syncBench.once.Do(func() { prepareSyncBench(b) })
	if syncBench.err != nil {
		b.Fatal(syncBench.err)
	}
	for _, c := range []struct {
		name        string
		proven, hot bool
	}{{"diff=proven/open=daemon", true, true}, {"diff=proven/open=cold", true, false}, {"diff=decoded/open=daemon", false, true}} {
		b.Run(c.name, func(b *testing.B) {
			provenUnchanged = c.proven
			defer func() { provenUnchanged = true }()
			benchIncrementalSync(b, c.hot)
		})
	}
}

// benchIncrementalSync runs the incremental sync on a fresh copy of the
// prepared state each iteration. daemon opens it as the daemon does, with
// the consistency check that reads every page (so the run finds the file
// mapped, as every run of a daemon after its first does); cold skips the
// check, so the run itself faults in every page it reads, as a process
// that opens a file too large for the check would.
func benchIncrementalSync(b *testing.B, daemon bool) {
	c := syncBench.crm
	split := map[string][]float64{}
	add := func(name string, v float64) { split[name] = append(split[name], v) }
	var changed int
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		path := filepath.Join(syncBench.dir, "iter.db")
		if err := copyFile(path, filepath.Join(syncBench.dir, "state.db")); err != nil {
			b.Fatal(err)
		}
		opt := state.Options{CheckLimit: -1}
		if daemon {
			opt.CheckLimit = 0 // the default, as the daemon opens it
		}
		db, err := state.Open(path, opt)
		if err != nil {
			b.Fatal(err)
		}
		c.end, c.page, c.maxBatch = c.base+len(c.feed), syncBenchPage, 100
		faults := minorFaults()
		b.StartTimer()
		rep, err := Run(context.Background(), syncBenchOptions(db, syncBenchAsOf.Add(time.Hour)))
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Pulled["deals"] != syncBenchChanges || rep.Changed == 0 || rep.Written != rep.Changed {
			b.Fatalf("pulled %d, changed %d, written %d", rep.Pulled["deals"], rep.Changed, rep.Written)
		}
		changed = rep.Changed
		add("page-faults", float64(minorFaults()-faults))
		ph := rep.phases
		add("apply-s", ph.apply.Seconds())
		add("score-s", ph.score.Seconds())
		add("plan-s", ph.plan.Seconds())
		add("commit-s", ph.commit.Seconds())
		add("local-s", (ph.apply + ph.score + ph.plan).Seconds())
		add("apply-cpu-s", ph.cpu[0].Seconds())
		add("score-cpu-s", ph.cpu[1].Seconds())
		add("plan-cpu-s", ph.cpu[2].Seconds())
		add("local-cpu-s", (ph.cpu[0] + ph.cpu[1] + ph.cpu[2]).Seconds())
		t := time.Now()
		n := 0
		if err := db.ForEachPublishedView(func(connector.CustomerKey, *state.PublishedView) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		add("floor-s", time.Since(t).Seconds())
		if n != syncBenchCustomers {
			b.Fatalf("walked %d published records", n)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(changed), "changed")
	// The heap's high-water mark (HeapSys never shrinks): what the runs
	// needed at most, the prepared state's first sync aside when cached.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys>>20), "heap-peak-MiB")
	for name, xs := range split {
		slices.Sort(xs)
		b.ReportMetric(xs[len(xs)/2], name)
	}
}

// minorFaults is how many pages the process has faulted in from memory.
func minorFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Minflt
}

// processCPU is the user and system time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
