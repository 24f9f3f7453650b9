// Package offline scores a CSV of orders without any CRM: it streams the
// file once, keeping one aggregate per customer, so memory grows with
// customers, not orders.
package offline

import (
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// SkipMalformed counts CSV rows that are not well-formed (bad quoting, too few fields).
const SkipMalformed rfm.Skip = "malformed_row"

// Columns are the header names the input must carry.
type Columns struct {
	OrderID, CustomerID, ClosedAt, Amount, Status string
}

// DefaultColumns is the contract's header.
var DefaultColumns = Columns{
	OrderID: "order_id", CustomerID: "customer_id", ClosedAt: "closed_at", Amount: "amount", Status: "status",
}

// Result is the outcome of one pass over the orders.
type Result struct {
	// Customers holds every customer with at least one qualifying order,
	// sorted by key in byte order.
	Customers []rfm.Customer
	// Rows is the number of data rows read.
	Rows int
	// Qualifying is the number of rows that counted.
	Qualifying int
	// Skipped counts the rows that did not count, by reason.
	Skipped map[rfm.Skip]int
}

// Aggregate reads orders from r and folds every qualifying one into its
// customer's aggregate. Rows that cannot count are skipped and counted, never
// fatal; a missing column or an unreadable stream is an error.
//
// One goroutine reads the input in large chunks cut at record boundaries;
// every worker (one per core) scans every chunk but parses and folds only
// the rows of the customers it owns, by hash of the customer id. Each
// customer therefore lives in exactly one worker's table: nothing is merged
// but the sorted lists at the end, and memory grows with customers.
func Aggregate(r io.Reader, cols Columns, w rfm.Window) (Result, error) {
	return aggregate(r, cols, w, min(runtime.GOMAXPROCS(0), maxWorkers), chunkSize)
}

const (
	maxWorkers = 8
	// chunkSize is the read size: large enough that handing chunks between
	// goroutines costs nothing measurable, small enough to stay in cache.
	chunkSize = 1 << 20
)

func aggregate(r io.Reader, cols Columns, w rfm.Window, workers, readSize int) (Result, error) {
	in := &input{r: r, buf: make([]byte, 0, readSize), readSize: readSize}
	header, err := in.header()
	if err != nil {
		return Result{}, err
	}
	idx, err := columnIndex(header, cols)
	if err != nil {
		return Result{}, err
	}
	seed := maphash.MakeSeed()
	ws := make([]*worker, workers)
	feeds := make([]chan *chunk, workers)
	free := make(chan []byte, workers+3)
	for range cap(free) - 1 {
		free <- make([]byte, 0, readSize)
	}
	var wg sync.WaitGroup
	for k := range ws {
		ws[k] = newWorker(k, workers, idx, w, seed)
		feeds[k] = make(chan *chunk, 2)
		wg.Go(func() {
			for c := range feeds[k] {
				ws[k].chunk(c.data)
				if c.pending.Add(-1) == 0 {
					free <- c.buf[:0]
				}
			}
			ws[k].finish()
		})
	}
	err = in.chunks(free, func(c *chunk) {
		c.pending.Store(int32(workers))
		for _, f := range feeds {
			f <- c
		}
	})
	for _, f := range feeds {
		close(f)
	}
	wg.Wait()
	if err != nil {
		return Result{}, err
	}
	res := Result{Skipped: map[rfm.Skip]int{}}
	lists := make([][]rfm.Customer, workers)
	for k, wk := range ws {
		res.Rows += wk.rows
		res.Qualifying += wk.qualifying
		for _, s := range wk.skipped {
			res.Skipped[s.reason] += s.n
		}
		lists[k] = wk.customers
	}
	res.Customers = mergeSorted(lists)
	if res.Customers == nil {
		res.Customers = []rfm.Customer{}
	}
	return res, nil
}

// chunk is a run of whole records shared, read-only, by every worker; the
// last worker done with it returns its buffer.
type chunk struct {
	buf     []byte
	data    []byte
	pending atomic.Int32
}

// input reads the stream and cuts it at record boundaries.
type input struct {
	r   io.Reader
	buf []byte // unconsumed bytes
	eof bool
	// readSize is the chunk size aimed at.
	readSize int
}

// fill reads until buf is full or the stream ends.
func (in *input) fill() error {
	for !in.eof && len(in.buf) < cap(in.buf) {
		n, err := in.r.Read(in.buf[len(in.buf):cap(in.buf)])
		in.buf = in.buf[:len(in.buf)+n]
		if err == io.EOF {
			in.eof = true
		} else if err != nil {
			return fmt.Errorf("read orders: %w", err)
		}
	}
	return nil
}

// more makes room for a record longer than the buffer.
func (in *input) more() {
	if len(in.buf) == cap(in.buf) {
		in.buf = append(in.buf[:cap(in.buf)], 0)[:len(in.buf)]
	}
}

// header reads the first non-empty record, parsed by encoding/csv.
func (in *input) header() ([]string, error) {
	for {
		if err := in.fill(); err != nil {
			return nil, fmt.Errorf("read header: %w", err)
		}
		if len(in.buf) == 0 {
			return nil, fmt.Errorf("read header: %w", io.EOF)
		}
		n, ok := recordEnd(in.buf, in.eof)
		if !ok {
			in.more()
			continue
		}
		rec := in.buf[:n]
		in.buf = in.buf[n:]
		if len(trimEOL(rec)) == 0 {
			continue // an empty line, skipped like encoding/csv does
		}
		fields, err := newQuotedReader().read(rec)
		if err != nil {
			return nil, fmt.Errorf("read header: %w", err)
		}
		return slices.Clone(fields), nil
	}
}

// chunks hands out the rest of the stream as chunks of whole records.
func (in *input) chunks(free chan []byte, send func(*chunk)) error {
	for {
		if err := in.fill(); err != nil {
			return err
		}
		if len(in.buf) == 0 {
			return nil
		}
		n := completeRecords(in.buf, in.eof)
		if n == 0 {
			in.more() // one record longer than the buffer
			continue
		}
		c := &chunk{buf: in.buf, data: in.buf[:n]}
		rest := in.buf[n:]
		next := <-free
		if cap(next) < len(rest)+in.readSize/2 {
			next = make([]byte, 0, len(rest)+in.readSize)
		}
		in.buf = append(next, rest...)
		send(c)
	}
}

// skipCount is one skip reason's count; a worker sees few reasons.
type skipCount struct {
	reason rfm.Skip
	n      int
}

// worker parses and folds the rows of the customers it owns.
type worker struct {
	id, n      int
	idx        [5]int
	fields     []string // the first need fields of a line
	win        rfm.Window
	seed       maphash.Seed
	tab        table
	quoted     *quotedReader
	rows       int
	qualifying int
	skipped    []skipCount
	pending    [32]pendingRow
	npending   int
	touched    uint64 // sink of table.touch
	customers  []rfm.Customer
}

func newWorker(id, n int, idx [5]int, w rfm.Window, seed maphash.Seed) *worker {
	return &worker{
		id: id, n: n, idx: idx, win: w, seed: seed,
		fields: make([]string, slices.Max(idx[:])+1),
		quoted: newQuotedReader(),
	}
}

// chunk processes every record of b.
func (wk *worker) chunk(b []byte) {
	forEachRecord(b, wk.quoted, wk)
	wk.drain()
}

// line takes a quote-free record: it splits the fields up to the customer,
// and the rest only when the customer is this worker's.
func (wk *worker) line(b []byte) {
	c := wk.idx[1]
	f := wk.fields
	n, rest, more := splitFields(b, f[:c+1])
	if n <= c {
		wk.noCustomerField()
		return
	}
	h, cust, mine := wk.owner(f[c])
	if !mine {
		return
	}
	if more && n < len(f) {
		m, _, _ := splitFields(rest, f[n:])
		n += m
	}
	wk.fold(f[:n], h, cust)
}

// record takes the fields of a record that held a quote.
func (wk *worker) record(f []string) {
	c := wk.idx[1]
	if len(f) <= c {
		wk.noCustomerField()
		return
	}
	if h, cust, mine := wk.owner(f[c]); mine {
		wk.fold(f, h, cust)
	}
}

// noCustomerField counts a row too short to name a customer: worker 0 does.
func (wk *worker) noCustomerField() {
	if wk.id == 0 {
		wk.rows++
		wk.skip(SkipMalformed)
	}
}

// owner hashes the trimmed customer id and says whether it is this worker's.
func (wk *worker) owner(field string) (uint64, string, bool) {
	cust := strings.TrimSpace(field)
	h := maphash.String(wk.seed, cust)
	return h, cust, wk.n == 1 || int((h>>32)*uint64(wk.n)>>32) == wk.id
}

// fold counts one row of this worker's and folds it into its customer.
func (wk *worker) fold(f []string, h uint64, cust string) {
	wk.rows++
	if len(f) < len(wk.fields) {
		wk.skip(SkipMalformed)
		return
	}
	o, skip := rfm.ParseOrder(rfm.RawOrder{
		OrderID: f[wk.idx[0]], CustomerID: f[wk.idx[1]], ClosedAt: f[wk.idx[2]], Amount: f[wk.idx[3]], Status: f[wk.idx[4]],
	})
	if skip == rfm.SkipNone {
		skip = wk.win.Place(o.ClosedAt)
	}
	if skip != rfm.SkipNone {
		wk.skip(skip)
		return
	}
	wk.qualifying++
	wk.pending[wk.npending] = pendingRow{h, cust, o.ClosedAt, o.Amount}
	if wk.npending++; wk.npending == len(wk.pending) {
		wk.drain()
	}
}

// pendingRow is a parsed, qualifying row waiting to be folded; cust aliases
// the chunk, so rows are drained before the chunk is released.
type pendingRow struct {
	h      uint64
	cust   string
	at     rfm.Instant
	amount rfm.Money
}

// drain folds the pending rows in order. The lookups of a customer table
// larger than the cache miss; touching all their slots first lets the
// misses overlap.
func (wk *worker) drain() {
	rows := wk.pending[:wk.npending]
	for k := range rows {
		wk.touched += wk.tab.touch(rows[k].h)
	}
	for k := range rows {
		wk.tab.get(rows[k].h, rows[k].cust).Add(rows[k].at, rows[k].amount)
	}
	wk.npending = 0
}

func (wk *worker) skip(reason rfm.Skip) {
	for k := range wk.skipped {
		if wk.skipped[k].reason == reason {
			wk.skipped[k].n++
			return
		}
	}
	wk.skipped = append(wk.skipped, skipCount{reason, 1})
}

// finish sorts the worker's customers, on its own core.
func (wk *worker) finish() {
	wk.customers = wk.tab.sorted()
	wk.tab = table{}
}

func columnIndex(header []string, cols Columns) ([5]int, error) {
	var idx [5]int
	pos := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		if _, dup := pos[h]; !dup {
			pos[h] = i
		}
	}
	for i, name := range []string{cols.OrderID, cols.CustomerID, cols.ClosedAt, cols.Amount, cols.Status} {
		p, ok := pos[name]
		if !ok {
			return idx, fmt.Errorf("orders header has no %q column (header: %s)", name, strings.Join(header, ","))
		}
		idx[i] = p
	}
	return idx, nil
}
