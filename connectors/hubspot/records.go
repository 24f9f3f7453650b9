package hubspot

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
)

// Properties every source reads besides its configured ones.
const (
	propModified = "hs_lastmodifieddate" // deals' and orders' cursor (contacts differ, §8.5)
	propID       = "hs_object_id"
	propMerged   = "hs_merged_object_ids"
	propCreated  = "createdate"
)

// orderStageCancelled is the default order pipeline's Cancelled stage, whose
// ID appears identical across portals (§4).
const orderStageCancelled = "3c85a297-e9ce-400b-b42e-9f16853d69d6"

// Status values handed to core; only StatusWon counts.
const (
	StatusWon      = "won"
	StatusNotWon   = "not_won"
	StatusRefunded = "refunded"
)

// source describes how one source is read and turned into records.
type source struct {
	name, object string
	props        []string
	// currencyProp is set when amounts are not in home currency, so every
	// record must share one currency.
	currencyProp, pinned string
	record               func(o *object) connector.Record
}

func (c *Connector) source(name string) (*source, error) {
	if !slices.Contains(c.o.Sources, name) {
		return nil, fmt.Errorf("hubspot: source %q is not configured (sources: %v)", name, c.o.Sources)
	}
	if name == SourceDeals {
		return c.dealSource(), nil
	}
	return c.orderSource(), nil
}

func (c *Connector) dealSource() *source {
	d := c.o.Deals
	s := &source{name: SourceDeals, object: "deals",
		props: uniq(d.AmountProperty, d.ClosedAtProperty, "dealstage", "pipeline", "hs_is_closed_won", propMerged)}
	if d.AmountProperty == "amount" {
		s.currencyProp, s.pinned = "deal_currency_code", d.Currency
		s.props = append(s.props, s.currencyProp)
	}
	s.record = func(o *object) connector.Record {
		r := connector.Record{OrderID: o.ID, ClosedAt: normaliseTime(o.prop(d.ClosedAtProperty)),
			Amount: o.prop(d.AmountProperty), Status: StatusNotWon}
		won := strings.EqualFold(o.prop("hs_is_closed_won"), "true")
		if len(d.WonStages) > 0 {
			pipeline := o.prop("pipeline")
			if pipeline == "" {
				pipeline = "default"
			}
			won = slices.Contains(d.WonStages[pipeline], o.prop("dealstage"))
		}
		if won {
			r.Status = StatusWon
		}
		return r
	}
	return s
}

func (c *Connector) orderSource() *source {
	od := c.o.Orders
	s := &source{name: SourceOrders, object: "orders",
		props: uniq(od.AmountProperty, od.ClosedAtProperty, propCreated, od.HomeCurrencyProperty, "hs_pipeline_stage",
			"hs_is_canceled", "hs_refund_amount", propMerged)}
	if od.HomeCurrencyProperty == "" {
		s.currencyProp, s.pinned = "hs_currency_code", od.Currency
		s.props = append(s.props, s.currencyProp)
	}
	s.record = func(o *object) connector.Record {
		closed := ""
		if od.ClosedAtProperty != "" {
			closed = o.prop(od.ClosedAtProperty)
		}
		if closed == "" {
			closed = o.prop(propCreated) // §4: fall back to createdate
		}
		r := connector.Record{OrderID: o.ID, ClosedAt: normaliseTime(closed), Amount: o.prop(od.AmountProperty), Status: StatusNotWon}
		stage := o.prop("hs_pipeline_stage")
		cancelled := strings.EqualFold(o.prop("hs_is_canceled"), "true") || stage == orderStageCancelled
		if cancelled || (len(od.WonStages) > 0 && !slices.Contains(od.WonStages, stage)) {
			return r
		}
		r.Status = StatusWon
		total := r.Amount
		if od.HomeCurrencyProperty != "" {
			r.Amount = o.prop(od.HomeCurrencyProperty)
		}
		if refund := o.prop("hs_refund_amount"); od.SubtractRefunds && refund != "" && r.Amount != "" {
			net, refunded, ok := netOfRefund(r.Amount, total, refund)
			switch {
			case !ok:
				r.Problem = "bad_refund_amount"
			case refunded:
				r.Status = StatusRefunded
			default:
				r.Amount = net
			}
		}
		return r
	}
	return s
}

// netOfRefund subtracts a refund, exactly. The refund is in the order's
// currency, like total; amount may be a home-currency value of total, so it
// is scaled by (total − refund) / total. refunded reports a refund that
// takes the whole order back: such an order does not count as a purchase.
func netOfRefund(amount, total, refund string) (net string, refunded, ok bool) {
	a, ok1 := new(big.Rat).SetString(strings.TrimSpace(amount))
	t, ok2 := new(big.Rat).SetString(strings.TrimSpace(total))
	r, ok3 := new(big.Rat).SetString(strings.TrimSpace(refund))
	if !ok1 || !ok2 || !ok3 {
		return "", false, false
	}
	if r.Sign() <= 0 {
		return amount, false, true
	}
	if t.Sign() <= 0 || r.Cmp(t) >= 0 {
		return "", true, true
	}
	left := new(big.Rat).Sub(t, r)
	n := new(big.Rat).Mul(a, left)
	n.Quo(n, t)
	s := n.FloatString(6)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s, false, true
}

// PinnedCurrency implements connector.CurrencyPinner: the configured
// currency of a source whose amounts are in the deal's or order's own
// currency; core applies the one-currency rule (the pinned one, else the
// first seen), so every CRM skips a second currency alike.
func (c *Connector) PinnedCurrency(source string) string {
	src, err := c.source(source)
	if err != nil {
		return ""
	}
	return src.pinned
}

// normaliseTime turns HubSpot's datetime values into strict RFC 3339 for
// core: ISO-8601 with any fraction (or none) as is, epoch milliseconds
// (accepted on writes, so possibly stored) converted, a bare date as
// midnight UTC. Anything else is passed on for core to skip as bad_closed_at.
func normaliseTime(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano)
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format(time.RFC3339)
	}
	return s
}

// uniq returns the non-empty names once each, in order.
func uniq(names ...string) []string {
	var out []string
	for _, n := range names {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
