package rfm

import "strings"

// RawOrder is one order as a source reports it, every field still text.
type RawOrder struct {
	OrderID    string
	CustomerID string
	ClosedAt   string
	Amount     string
	Status     string
}

// Order is a won order with a customer, a closing instant and an amount:
// everything the contract needs to decide whether it qualifies.
type Order struct {
	OrderID    string
	CustomerID string
	ClosedAt   Instant
	Amount     Money
}

// Skip names why a row does not count. Rows are never fatal: they are
// counted by reason and reported.
type Skip string

// The reasons a row can be skipped, checked in this order.
const (
	SkipNone        Skip = ""
	SkipNotWon      Skip = "not_won"
	SkipNoCustomer  Skip = "missing_customer"
	SkipBadClosedAt Skip = "bad_closed_at"
	SkipBadAmount   Skip = "bad_amount"
	// SkipBeforeWindow: closed at or before asof − W days.
	SkipBeforeWindow Skip = "before_window"
	// SkipAfterAsOf: closed after the run's asof.
	SkipAfterAsOf Skip = "after_asof"
)

// Place says where an order's instant falls against the window: SkipNone
// when it qualifies, else the reason it does not.
func (w Window) Place(t Instant) Skip {
	switch {
	case t > w.AsOf:
		return SkipAfterAsOf
	case t <= w.Start():
		return SkipBeforeWindow
	}
	return SkipNone
}

// IsWon reports whether a status means won: trimmed, case-insensitive "won".
func IsWon(status string) bool {
	return strings.EqualFold(strings.TrimSpace(status), "won")
}

// ParseOrder applies the contract's parsing rules to a raw row. It returns
// the reason when the row cannot count at all; window membership is decided
// later, against the run's one asof.
func ParseOrder(r RawOrder) (Order, Skip) {
	if !IsWon(r.Status) {
		return Order{}, SkipNotWon
	}
	o := Order{OrderID: r.OrderID, CustomerID: strings.TrimSpace(r.CustomerID)}
	if o.CustomerID == "" {
		return Order{}, SkipNoCustomer
	}
	var skip Skip
	o.ClosedAt, o.Amount, skip = ParseFacts(r.ClosedAt, r.Amount)
	if skip != SkipNone {
		return Order{}, skip
	}
	return o, SkipNone
}

// ParseFacts parses an order's closing instant and amount, the two values
// that decide what it contributes.
func ParseFacts(closedAt, amount string) (Instant, Money, Skip) {
	t, err := ParseInstant(closedAt)
	if err != nil {
		return 0, Money{}, SkipBadClosedAt
	}
	m, err := ParseAmount(amount)
	if err != nil {
		return 0, Money{}, SkipBadAmount
	}
	return t, m, SkipNone
}

// Aggregate is what scoring needs of one customer: built by adding the
// customer's qualifying orders (those inside the window) one at a time.
type Aggregate struct {
	// Frequency counts qualifying orders with amount ≥ 0; refunds don't count.
	Frequency int64
	// Last is the latest closed_at among the orders Frequency counts.
	Last Instant
	// First is the earliest closed_at of any qualifying order, refunds included;
	// it decides whether a customer is still new.
	First Instant
	// Monetary is the exact sum of all qualifying amounts, refunds included.
	Monetary Money
	// Orders counts every qualifying order, refunds included.
	Orders int64
}

// Add folds one qualifying order into the aggregate.
func (a *Aggregate) Add(closedAt Instant, amount Money) {
	if a.Orders == 0 || closedAt < a.First {
		a.First = closedAt
	}
	a.Orders++
	a.Monetary = a.Monetary.Add(amount)
	if amount.Sign() >= 0 {
		if a.Frequency == 0 || closedAt > a.Last {
			a.Last = closedAt
		}
		a.Frequency++
	}
}

// Scorable reports whether the customer is scored: frequency 0 is not.
func (a Aggregate) Scorable() bool { return a.Frequency > 0 }
