package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
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

// ProblemSecondCurrency marks an order whose amount is in another currency
// than the source's one currency: summing it would mix currencies.
const ProblemSecondCurrency = "second_currency"

// cursor is a source's opaque position, stored by core as JSON. A pull
// reads one window [Since, Until) of hs_lastmodifieddate, Until fixed at
// now − search_lag when the window opens and kept until it is exhausted,
// walking it by hs_object_id (keyset): every search starts at offset 0, so
// the 10,000-result cap is never reached, and records sharing one
// timestamp (HubSpot's bulk jobs) cannot make it loop. The next window
// starts at Until inclusive (GTE): a boundary record may come twice, which
// core's idempotent apply absorbs.
type cursor struct {
	V     int    `json:"v"`
	Since int64  `json:"since,omitempty"` // epoch ms, inclusive
	Until int64  `json:"until,omitempty"` // epoch ms, exclusive; 0: no window open
	After string `json:"after,omitempty"` // last record ID read in the open window
	// Currency is the one currency of a single-currency source, the first
	// one seen unless configured.
	Currency string `json:"currency,omitempty"`
}

const cursorVersion = 1

func parseCursor(b []byte) (cursor, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return cursor{V: cursorVersion}, nil
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.V != cursorVersion {
		return cursor{}, &crmerr.Error{Class: crmerr.Permanent, Message: "the stored HubSpot cursor is unreadable " +
			"(written by another connector or version); reset the source's state to re-pull it"}
	}
	return c, nil
}

func (c cursor) encode() []byte {
	b, _ := json.Marshal(c)
	return b
}

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

// ReadPage implements connector.Reader: up to read_batch records of the
// source's open window (several searches of page_size), attributed by one
// association read, and the cursor after them.
func (c *Connector) ReadPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	src, err := c.source(req.Source)
	if err != nil {
		return connector.Page{}, err
	}
	cur, err := parseCursor(req.Cursor)
	if err != nil {
		return connector.Page{}, err
	}
	now := req.Now
	if now.IsZero() {
		now = c.now()
	}
	horizon := now.Add(-c.o.SearchLag).UnixMilli()
	if cur.Until == 0 {
		if horizon <= cur.Since {
			return connector.Page{Cursor: cur.encode(), Done: true}, nil
		}
		cur.Until, cur.After = horizon, ""
	}
	var objs []object
	exhausted := false
	for len(objs) < c.o.ReadBatch && !exhausted {
		resp, err := c.search(ctx, src, cur, min(c.o.PageSize, c.o.ReadBatch-len(objs)))
		if err != nil {
			return connector.Page{}, fmt.Errorf("search %s: %w", src.name, err)
		}
		if err := checkAscending(cur.After, resp.Results); err != nil {
			return connector.Page{}, fmt.Errorf("search %s: %w", src.name, err)
		}
		objs = append(objs, resp.Results...)
		if n := len(resp.Results); n > 0 {
			cur.After = resp.Results[n-1].ID
		}
		exhausted = len(resp.Results) == 0 || resp.Paging.nextAfter() == ""
	}
	records, err := c.records(ctx, src, objs, &cur)
	if err != nil {
		return connector.Page{}, err
	}
	page := connector.Page{Records: records}
	if exhausted {
		// A window opened by an earlier run (resumed after a crash) ends
		// before this run's horizon: open the next one at once.
		page.Done = cur.Until >= horizon
		cur = cursor{V: cursorVersion, Since: cur.Until, Currency: cur.Currency}
	}
	page.Cursor = cur.encode()
	return page, nil
}

// search runs one keyset search of the open window: modified in
// [Since, Until), ID above After, ascending by ID, from offset 0.
func (c *Connector) search(ctx context.Context, src *source, cur cursor, limit int) (searchResponse, error) {
	var fs []filter
	if cur.Since > 0 {
		fs = append(fs, filter{PropertyName: propModified, Operator: "GTE", Value: strconv.FormatInt(cur.Since, 10)})
	}
	fs = append(fs, filter{PropertyName: propModified, Operator: "LT", Value: strconv.FormatInt(cur.Until, 10)})
	if cur.After != "" {
		fs = append(fs, filter{PropertyName: propID, Operator: "GT", Value: cur.After})
	}
	body := searchRequest{
		FilterGroups: []filterGroup{{Filters: fs}},
		Sorts:        []sortRule{{PropertyName: propID, Direction: "ASCENDING"}},
		Properties:   src.props,
		Limit:        limit,
	}
	var resp searchResponse
	_, err := c.http.DoJSON(ctx, http.MethodPost, c.p.search(src.object), nil, body, &resp)
	return resp, err
}

// checkAscending guards the keyset walk: IDs must rise strictly above the
// last one seen, or a filter that compared IDs as strings (an unverified
// report, §2.2) could make the walk skip or repeat records.
func checkAscending(after string, objs []object) error {
	prev := after
	for _, o := range objs {
		if prev != "" && compareIDs(o.ID, prev) <= 0 {
			return &crmerr.Error{Class: crmerr.Permanent, Message: fmt.Sprintf(
				"search returned record %s after %s: IDs are not ascending, so keyset paging is unsafe", o.ID, prev)}
		}
		prev = o.ID
	}
	return nil
}

// compareIDs orders decimal IDs numerically, without overflow.
func compareIDs(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// records maps objects to records with their customers, adds a deletion
// for every record a survivor absorbed in a merge (merged IDs vanish
// without being archived, §2.5), and applies the one-currency rule.
//
// Only records that count need a customer, so only won records without a
// problem are looked up: a page of lost deals costs no association read.
func (c *Connector) records(ctx context.Context, src *source, objs []object, cur *cursor) ([]connector.Record, error) {
	out := make([]connector.Record, 0, len(objs))
	var counting []string
	for i := range objs {
		o := &objs[i]
		r := src.record(o)
		if src.currencyProp != "" && r.Status == StatusWon && r.Problem == "" {
			r.Problem = checkCurrency(o.prop(src.currencyProp), src.pinned, cur)
		}
		if r.Status == StatusWon && r.Problem == "" {
			counting = append(counting, r.OrderID)
		}
		out = append(out, r)
		for _, m := range strings.Split(o.prop(propMerged), ";") {
			if m = strings.TrimSpace(m); m != "" {
				out = append(out, connector.Record{OrderID: m, Deleted: true})
			}
		}
	}
	customers, err := c.customers(ctx, src.object, counting)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if !out[i].Deleted {
			out[i].Customer = connector.CustomerKey{Type: c.o.Object, ID: customers[out[i].OrderID]}
		}
	}
	return out, nil
}

// checkCurrency applies the one-currency rule of a source whose amounts are
// not in home currency: the configured currency, else the first one seen
// (kept in the cursor), is the only one that counts. An empty code is taken
// as the account's one currency (single-currency portals send none).
func checkCurrency(code, pinned string, cur *cursor) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return ""
	}
	want := pinned
	if want == "" {
		if cur.Currency == "" {
			cur.Currency = code
		}
		want = cur.Currency
	}
	if code != want {
		return ProblemSecondCurrency
	}
	return ""
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

// customers reads the associations of from-records to the customer object
// in v4 batch reads of up to 1,000 inputs, following each input's own
// paging, and picks one customer per record by the attribution rule.
// Records without associations come back as 207 NO_ASSOCIATIONS_FOUND
// errors (§3.2): they simply have no customer.
func (c *Connector) customers(ctx context.Context, from string, ids []string) (map[string]string, error) {
	if len(ids) == 0 {
		return map[string]string{}, nil
	}
	targets := map[string]map[string]bool{} // from ID → target ID → primary
	pending := make([]assocInput, len(ids))
	for i, id := range ids {
		pending[i] = assocInput{ID: id}
	}
	for len(pending) > 0 {
		batch := pending[:min(len(pending), MaxReadBatch)]
		pending = pending[len(batch):]
		sent := map[string]string{}
		for _, in := range batch {
			sent[in.ID] = in.After
		}
		var resp assocResponse
		_, err := c.http.DoJSON(ctx, http.MethodPost, c.p.assocBatchRead(from, c.o.Object), nil, assocRequest{Inputs: batch}, &resp)
		if err != nil {
			return nil, fmt.Errorf("read %s→%s associations: %w", from, c.o.Object, err)
		}
		for _, r := range resp.Results {
			id := string(r.From.ID)
			if targets[id] == nil {
				targets[id] = map[string]bool{}
			}
			for _, t := range r.To {
				tid := string(t.ToObjectID)
				targets[id][tid] = targets[id][tid] || c.isPrimary(from, t.AssociationTypes)
			}
			if next := r.Paging.nextAfter(); next != "" && next != sent[id] {
				pending = append(pending, assocInput{ID: id, After: next})
			}
		}
		for _, e := range resp.Errors {
			if e.subCategory() != "crm.associations.NO_ASSOCIATIONS_FOUND" && e.Category != "OBJECT_NOT_FOUND" {
				c.log.Warn("association read reported an error; the record is left without a customer",
					"from", from, "category", e.Category, "message", e.Message)
			}
		}
	}
	out := make(map[string]string, len(targets))
	for id, ts := range targets {
		if pick := c.pick(ts); pick != "" {
			out[id] = pick
		}
	}
	return out, nil
}

// isPrimary reports a primary association: deal→company typeId 5, or any
// type labelled "Primary" (§3.4).
func (c *Connector) isPrimary(from string, types []assocType) bool {
	for _, t := range types {
		if from == "deals" && c.o.Object == "companies" && t.Category == "HUBSPOT_DEFINED" && t.TypeID == 5 {
			return true
		}
		if t.Label != nil && strings.EqualFold(*t.Label, "Primary") {
			return true
		}
	}
	return false
}

// pick applies the attribution rule: with primary, the lowest-ID primary
// target if any; otherwise the lowest ID, so the choice is stable.
func (c *Connector) pick(ts map[string]bool) string {
	best, bestPrimary := "", false
	usePrimary := c.o.attribution() == AttributionPrimary
	for id, primary := range ts {
		p := usePrimary && primary
		switch {
		case best == "", p && !bestPrimary, p == bestPrimary && compareIDs(id, best) < 0:
			best, bestPrimary = id, p
		}
	}
	return best
}

// deletionCursor is ReadDeletedPage's position: the list's opaque cursor.
type deletionCursor struct {
	Deleted bool   `json:"deleted"`
	After   string `json:"after,omitempty"`
}

// ReadDeletedPage implements connector.DeletionLister: one page of the
// source's archived records (GET list with archived=true, the only place
// deletions show, §2.5), each as a deleted record.
//
// The scan's position is kept here as well as in the page cursor: the sync
// loop hands back the source's pull cursor instead of the page's after the
// first page, so a cursor that is not a deletion cursor continues the scan
// in progress.
func (c *Connector) ReadDeletedPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	src, err := c.source(req.Source)
	if err != nil {
		return connector.Page{}, err
	}
	var after string
	var dc deletionCursor
	switch {
	case len(req.Cursor) == 0:
	case json.Unmarshal(req.Cursor, &dc) == nil && dc.Deleted:
		after = dc.After
	default:
		c.mu.Lock()
		after = c.deletion[src.name]
		c.mu.Unlock()
	}
	q := url.Values{"archived": {"true"}, "limit": {strconv.Itoa(c.o.ListPageSize)}, "properties": {propID}}
	if after != "" {
		q.Set("after", after)
	}
	var resp listResponse
	if _, err := c.http.DoJSON(ctx, http.MethodGet, c.p.list(src.object), q, nil, &resp); err != nil {
		return connector.Page{}, fmt.Errorf("list archived %s: %w", src.name, err)
	}
	page := connector.Page{Records: make([]connector.Record, 0, len(resp.Results))}
	for _, o := range resp.Results {
		page.Records = append(page.Records, connector.Record{OrderID: o.ID, Deleted: true})
	}
	next := resp.Paging.nextAfter()
	if next == after && next != "" {
		return connector.Page{}, errors.New("list archived " + src.name + ": the list cursor did not move")
	}
	c.mu.Lock()
	if next == "" {
		delete(c.deletion, src.name)
	} else {
		c.deletion[src.name] = next
	}
	c.mu.Unlock()
	page.Done = next == ""
	page.Cursor, _ = json.Marshal(deletionCursor{Deleted: true, After: next})
	return page, nil
}

// RereadCustomers implements connector.AssociationRereader with the same
// association reads and attribution rule as the pull.
func (c *Connector) RereadCustomers(ctx context.Context, source string, orderIDs []string) (map[string]connector.CustomerKey, error) {
	src, err := c.source(source)
	if err != nil {
		return nil, err
	}
	ids, err := c.customers(ctx, src.object, orderIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]connector.CustomerKey, len(ids))
	for order, customer := range ids {
		out[order] = connector.CustomerKey{Type: c.o.Object, ID: customer}
	}
	return out, nil
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
