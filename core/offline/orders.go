package offline

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// EachOrder reads orders from r and calls fn with every row the contract
// can count (won, with a customer, a parsable instant and amount), leaving
// windows to the caller: the models of core/clv see each order, not an
// aggregate. Rows that cannot count are counted in the result's Skipped.
func EachOrder(r io.Reader, cols Columns, fn func(rfm.Order)) (Result, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return Result{}, fmt.Errorf("read header: %w", err)
	}
	idx, err := columnIndex(header, cols)
	if err != nil {
		return Result{}, err
	}
	need := slices.Max(idx[:]) + 1
	res := Result{Skipped: map[rfm.Skip]int{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return res, nil
		}
		var perr *csv.ParseError
		switch {
		case errors.As(err, &perr):
			res.Rows++
			res.Skipped[SkipMalformed]++
			continue
		case err != nil:
			return Result{}, fmt.Errorf("read orders: %w", err)
		}
		res.Rows++
		if len(rec) < need {
			res.Skipped[SkipMalformed]++
			continue
		}
		o, skip := rfm.ParseOrder(rfm.RawOrder{
			OrderID: rec[idx[0]], CustomerID: rec[idx[1]], ClosedAt: rec[idx[2]], Amount: rec[idx[3]], Status: rec[idx[4]],
		})
		if skip != rfm.SkipNone {
			res.Skipped[skip]++
			continue
		}
		res.Qualifying++
		fn(o)
	}
}
