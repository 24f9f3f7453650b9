// Package offline scores a CSV of orders without any CRM: it streams the
// file once, keeping one aggregate per customer, so memory grows with
// customers, not orders.
package offline

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

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
// Reading and parsing run on one goroutine and the per-customer fold on
// another, handing rows over in batches: on two cores the pass then costs
// about as much as its slower half.
func Aggregate(r io.Reader, cols Columns, w rfm.Window) (Result, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	// A stray quote is data, as most CSV readers (and spreadsheets) take it.
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return Result{}, fmt.Errorf("read header: %w", err)
	}
	idx, err := columnIndex(header, cols)
	if err != nil {
		return Result{}, err
	}
	full := make(chan []row, 4)
	free := make(chan []row, 4)
	for range cap(free) {
		free <- make([]row, 0, batchRows)
	}
	errc := make(chan error, 1)
	go func() {
		defer close(full)
		errc <- parseRows(cr, idx, w, full, free)
	}()
	res := Result{Skipped: map[rfm.Skip]int{}}
	// One map lookup per row finds the customer's slot in a dense slice.
	index := map[string]int32{}
	var customers []rfm.Customer
	for batch := range full {
		for k := range batch {
			o := &batch[k]
			res.Rows++
			if o.skip != rfm.SkipNone {
				res.Skipped[o.skip]++
				continue
			}
			res.Qualifying++
			i, seen := index[o.customer]
			if !seen {
				// Cloned, so the map does not pin the whole CSV line.
				key := strings.Clone(o.customer)
				i = int32(len(customers))
				index[key] = i
				customers = append(customers, rfm.Customer{Key: key})
			}
			customers[i].Agg.Add(o.closedAt, o.amount)
		}
		free <- batch[:0]
	}
	if err := <-errc; err != nil {
		return Result{}, err
	}
	res.Customers = customers
	slices.SortFunc(res.Customers, func(a, b rfm.Customer) int { return strings.Compare(a.Key, b.Key) })
	return res, nil
}

// batchRows is how many rows go over the channel at once.
const batchRows = 1024

// row is one parsed order, or the reason it does not count.
type row struct {
	customer string
	closedAt rfm.Instant
	amount   rfm.Money
	skip     rfm.Skip
}

// parseRows reads and parses every row, sending them in batches.
func parseRows(cr *csv.Reader, idx [5]int, w rfm.Window, full chan<- []row, free <-chan []row) error {
	need := slices.Max(idx[:]) + 1
	batch := <-free
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		switch {
		case errors.As(err, &perr):
			batch = append(batch, row{skip: SkipMalformed})
		case err != nil:
			return fmt.Errorf("read orders: %w", err)
		case len(rec) < need:
			batch = append(batch, row{skip: SkipMalformed})
		default:
			// Each record's fields are substrings of a string of their own,
			// so they stay valid after the next Read.
			o, skip := rfm.ParseOrder(rfm.RawOrder{
				OrderID: rec[idx[0]], CustomerID: rec[idx[1]], ClosedAt: rec[idx[2]], Amount: rec[idx[3]], Status: rec[idx[4]],
			})
			if skip == rfm.SkipNone {
				skip = w.Place(o.ClosedAt)
			}
			batch = append(batch, row{customer: o.CustomerID, closedAt: o.ClosedAt, amount: o.Amount, skip: skip})
		}
		if len(batch) == batchRows {
			full <- batch
			batch = <-free
		}
	}
	if len(batch) > 0 {
		full <- batch
	}
	return nil
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
