package clv

import (
	"slices"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// Summarizer summarises one customer's orders at a time, reusing its
// buffer: for a caller that already holds orders grouped by customer (the
// state file does), it skips the Book's map of every customer. Its result
// is the Book's for the same orders.
type Summarizer struct {
	periods Periods
	days    []dayValue
}

// NewSummarizer returns a summarizer for the periods.
func NewSummarizer(p Periods) *Summarizer { return &Summarizer{periods: p} }

// Customer summarises the orders of one customer (key); false when they
// hold no occasion in the calibration period.
func (s *Summarizer) Customer(key string, orders []rfm.Order) (Customer, bool) {
	ds := s.days[:0]
	for _, o := range orders {
		holdout := o.ClosedAt > s.periods.CalibrationEnd
		if holdout && o.ClosedAt > s.periods.HoldoutEnd {
			continue
		}
		ds = append(ds, dayValue{day: floorDiv(int64(o.ClosedAt), microsPerDay), holdout: holdout,
			purchase: o.Amount.Sign() >= 0, value: o.Amount})
	}
	s.days = ds
	if len(ds) == 0 {
		return Customer{}, false
	}
	// Within a day and period, purchases sort first: later entries of the
	// same day fold into the first, as the Book folds them on Add.
	slices.SortFunc(ds, func(x, y dayValue) int {
		if x.day != y.day {
			return cmpInt(x.day, y.day)
		}
		if x.holdout != y.holdout {
			return boolInt(x.holdout) - boolInt(y.holdout)
		}
		return boolInt(y.purchase) - boolInt(x.purchase)
	})
	unitMicros := s.periods.Unit.Days() * microsPerDay
	return summarise(key, ds, float64(s.periods.CalibrationEnd), unitMicros)
}
