// Package clv predicts what RFM only describes: how many more purchases a
// customer will make (BG/NBD), whether the customer is still alive, and what
// each purchase will be worth (Gamma-Gamma), fitted by maximum likelihood
// from the same won orders the scoring contract reads. Pure: no I/O.
//
// The models are Fader, Hardie and Lee (2005), "Counting your customers the
// easy way" and "RFM and CLV: using iso-value curves for customer base
// analysis".
package clv

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// Unit is the time unit of t_x, T and horizons. Parameters fitted in one
// unit do not apply in another (α scales with it).
type Unit string

// The units a model can be fitted in.
const (
	Day  Unit = "day"
	Week Unit = "week"
)

// microsPerDay is the contract's day (exactly 86,400 s) in Instant units.
const microsPerDay = rfm.DaySeconds * 1_000_000

// ParseUnit reads "day" or "week".
func ParseUnit(s string) (Unit, error) {
	switch u := Unit(strings.ToLower(strings.TrimSpace(s))); u {
	case Day, Week:
		return u, nil
	}
	return "", fmt.Errorf("unit %q: want day or week", s)
}

// Days is the length of one unit in contract days.
func (u Unit) Days() float64 {
	if u == Week {
		return 7
	}
	return 1
}

// Periods fixes the calibration period (every order at or before
// CalibrationEnd) and an optional holdout period (CalibrationEnd, HoldoutEnd].
type Periods struct {
	CalibrationEnd rfm.Instant
	// HoldoutEnd is zero when there is no holdout.
	HoldoutEnd rfm.Instant
	Unit       Unit
}

// Customer is what the models see of one customer, in the BG/NBD paper's
// notation.
type Customer struct {
	Key string
	// X counts repeat purchase occasions in the calibration period: every
	// occasion after the first. An occasion is a UTC day with at least one
	// order of amount ≥ 0; refunds never make one.
	X int
	// Tx is the time from the first occasion to the last, T the time from
	// the first occasion to the end of calibration, both in the unit, both
	// measured between the starts of the occasions' UTC days.
	Tx, T float64
	// RepeatValue is the exact sum of the repeat occasions' values. An
	// occasion's value is the sum of that day's amounts; a refund on a day
	// without a purchase lowers the latest occasion before it.
	RepeatValue rfm.Money
	// HoldoutX counts occasions in the holdout period (0 without one).
	HoldoutX int
}

// MeanRepeatValue is the spend the Gamma-Gamma model sees: the mean value of
// the repeat occasions (the first excluded), 0 for a one-time buyer.
func (c Customer) MeanRepeatValue() float64 {
	if c.X == 0 {
		return 0
	}
	return moneyFloat(c.RepeatValue) / float64(c.X)
}

// moneyFloat converts an exact amount for the models, which are continuous.
func moneyFloat(m rfm.Money) float64 {
	if micros, ok := m.Micros(); ok {
		return float64(micros) / 1e6
	}
	var f float64
	fmt.Sscan(m.String(), &f)
	return f
}

// Book collects won orders per customer and per UTC day, then summarises
// them into Customers. Orders can be added in any order.
type Book struct {
	periods Periods
	index   map[string]int32
	keys    []string
	days    [][]dayValue
	// Ignored counts orders after the last period.
	Ignored int
}

// dayValue is one customer's orders on one UTC day within one period.
type dayValue struct {
	day      int64
	holdout  bool
	purchase bool // some order ≥ 0 that day
	value    rfm.Money
}

// NewBook starts an empty book for the periods.
func NewBook(p Periods) *Book {
	return &Book{periods: p, index: map[string]int32{}}
}

// Add folds one won, parsed order into the book.
func (b *Book) Add(o rfm.Order) {
	holdout := o.ClosedAt > b.periods.CalibrationEnd
	if holdout && o.ClosedAt > b.periods.HoldoutEnd {
		b.Ignored++
		return
	}
	i, ok := b.index[o.CustomerID]
	if !ok {
		key := strings.Clone(o.CustomerID)
		i = int32(len(b.keys))
		b.index[key] = i
		b.keys = append(b.keys, key)
		b.days = append(b.days, nil)
	}
	day := floorDiv(int64(o.ClosedAt), microsPerDay)
	ds := b.days[i]
	// Orders of one customer usually arrive in time order: look at the last
	// entries first.
	for k := len(ds) - 1; k >= 0 && k >= len(ds)-4; k-- {
		if ds[k].day == day && ds[k].holdout == holdout {
			ds[k].value = ds[k].value.Add(o.Amount)
			ds[k].purchase = ds[k].purchase || o.Amount.Sign() >= 0
			return
		}
	}
	b.days[i] = append(ds, dayValue{day: day, holdout: holdout, purchase: o.Amount.Sign() >= 0, value: o.Amount})
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Customers summarises the book: one Customer per customer with at least one
// occasion in the calibration period, sorted by key in byte order. Customers
// who first buy in the holdout period are not part of the calibration cohort
// and are left out, as in the paper. Customers consumes the book (it
// summarises each customer's days in place): call it once, after the last Add.
func (b *Book) Customers() []Customer {
	unitMicros := b.periods.Unit.Days() * microsPerDay
	end := float64(b.periods.CalibrationEnd)
	// Sorting indices moves 4 bytes per swap instead of a whole Customer.
	order := make([]int32, len(b.keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return strings.Compare(b.keys[x], b.keys[y]) })
	out := make([]Customer, 0, len(b.keys))
	for _, i := range order {
		ds := b.days[i]
		slices.SortFunc(ds, func(x, y dayValue) int {
			if x.day != y.day {
				return cmpInt(x.day, y.day)
			}
			// The calibration part of a day split by CalibrationEnd first,
			// and within a part the entry with a purchase first, so that a
			// second entry of the same day (orders added out of time order)
			// folds into it.
			if x.holdout != y.holdout {
				return boolInt(x.holdout) - boolInt(y.holdout)
			}
			return boolInt(y.purchase) - boolInt(x.purchase)
		})
		if c, ok := summarise(b.keys[i], ds, end, unitMicros); ok {
			out = append(out, c)
		}
		b.days[i] = nil
	}
	return out
}

func summarise(key string, ds []dayValue, end, unitMicros float64) (Customer, bool) {
	c := Customer{Key: key}
	// Merge purchase-less refund days into the latest occasion before them,
	// compacting the occasions in place (ds is not used again).
	occ := ds[:0]
	lastHoldout := int64(math.MinInt64)
	for _, d := range ds {
		sameDay := len(occ) > 0 && occ[len(occ)-1].day == d.day
		switch {
		case d.holdout:
			// A holdout occasion on a day that already had a calibration
			// occasion (a day split by CalibrationEnd) is not a new one.
			if d.purchase && !sameDay && d.day != lastHoldout {
				c.HoldoutX++
				lastHoldout = d.day
			}
		case sameDay || !d.purchase:
			if len(occ) > 0 {
				occ[len(occ)-1].value = occ[len(occ)-1].value.Add(d.value)
			}
		default:
			occ = append(occ, d)
		}
	}
	if len(occ) == 0 {
		return Customer{}, false
	}
	first := float64(occ[0].day) * microsPerDay
	c.X = len(occ) - 1
	c.Tx = (float64(occ[len(occ)-1].day)*microsPerDay - first) / unitMicros
	c.T = (end - first) / unitMicros
	for _, o := range occ[1:] {
		c.RepeatValue = c.RepeatValue.Add(o.value)
	}
	return c, true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
