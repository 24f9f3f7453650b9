// Package memcrm is an in-memory CRM and its connector: the smallest thing
// that behaves like a CRM to core. It comes in the three shapes rfmsync's
// CRMs have (see Shape), so the sync loop and the conformance suite are
// proven on each before a real connector is; it is not a product connector.
package memcrm

import (
	"context"
	"encoding/binary"
	"slices"
	"sync"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
)

// PageSize is small so tests cross many page boundaries.
const PageSize = 7

// BatchSize is the write batch limit.
const BatchSize = 10

// Shape is which real CRM's behaviour the in-memory CRM copies.
type Shape int

const (
	// HubSpotShape: re-assigning an order does not move the read cursor
	// (associations), so it is found by a customer-only re-read; deletions
	// are found by a deletion scan; batch writes.
	HubSpotShape Shape = iota
	// SalesforceShape: re-assignment moves the cursor (SystemModstamp) and
	// deletions arrive in the pull itself (queryAll IsDeleted rows); batch
	// writes that may defer a locked record.
	SalesforceShape
	// VtenextShape: deletions are invisible to the pull and found only by
	// re-reading held ids (missing = deleted); one record per write call;
	// no quota headers.
	VtenextShape
)

// String names the shape.
func (s Shape) String() string {
	return [...]string{"hubspot", "salesforce", "vtenext"}[s]
}

type order struct {
	id, closedAt, amount string
	currency             string
	customer             connector.CustomerKey
	won, deleted         bool
	seq                  uint64
}

// CRM is the in-memory CRM. Its zero value is not usable; call New.
type CRM struct {
	shape     Shape
	mu        sync.Mutex
	now       time.Time
	seq       uint64
	orders    map[string]*order
	customers map[connector.CustomerKey]map[string]string
	calls     map[string]int64
	// failNext makes the next n calls of any kind fail with a transient error.
	failNext int
	// faults are queued failures, served one per call (see Inject).
	faults []Fault
	// served counts the faults actually served, by kind.
	served map[Fault]int
	// lockNext makes the next n written records answer "row locked, retry later".
	lockNext int
	// token is the access token generation; a call with an older one is refused.
	token int
	// pinned is the currency the connector pins (connector.CurrencyPinner).
	pinned string
	// quotaUsed and quotaLimit are the day's calls the CRM reports.
	quotaUsed, quotaLimit int64
	// rejected customers refuse every write with a value-level error.
	rejected map[connector.CustomerKey]bool
}

// New returns an empty CRM of the HubSpot shape whose clock starts at now.
func New(now time.Time) *CRM { return NewShaped(HubSpotShape, now) }

// NewShaped returns an empty CRM of a shape whose clock starts at now.
func NewShaped(shape Shape, now time.Time) *CRM {
	return &CRM{shape: shape, now: now, orders: map[string]*order{}, customers: map[connector.CustomerKey]map[string]string{},
		calls: map[string]int64{}, served: map[Fault]int{}}
}

// Shape is the CRM's shape.
func (c *CRM) Shape() Shape { return c.shape }

// Now is the CRM's clock.
func (c *CRM) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock.
func (c *CRM) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// AddCustomer creates a customer record that writes can land on.
func (c *CRM) AddCustomer(k connector.CustomerKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.customers[k] == nil {
		c.customers[k] = map[string]string{}
	}
}

// RemoveCustomer deletes a customer record (as a merge or deletion would).
func (c *CRM) RemoveCustomer(k connector.CustomerKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.customers, k)
}

// PutOrder creates or modifies an order, moving the read cursor.
func (c *CRM) PutOrder(id string, customer connector.CustomerKey, closedAt time.Time, amount string, won bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.orders[id] = &order{id: id, customer: customer, closedAt: closedAt.UTC().Format(time.RFC3339Nano), amount: amount, won: won, seq: c.seq}
}

// DeleteOrder deletes an order; the read stream reports it as deleted.
func (c *CRM) DeleteOrder(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.orders[id]; o != nil {
		c.seq++
		o.deleted, o.seq = true, c.seq
	}
}

// Reassign attributes an order to another customer. In the Salesforce shape
// that moves the read cursor (SystemModstamp); in the others it does not,
// the way associations and related-record links behave.
func (c *CRM) Reassign(id string, to connector.CustomerKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.orders[id]; o != nil {
		o.customer = to
		if c.shape == SalesforceShape {
			c.seq++
			o.seq = c.seq
		}
	}
}

// SetRaw changes an order's closed_at text and currency as the CRM would
// send them (e.g. a datetime without an offset, a second currency),
// moving the read cursor.
func (c *CRM) SetRaw(id, closedAt, currency string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.orders[id]; o != nil {
		c.seq++
		o.closedAt, o.currency, o.seq = closedAt, currency, c.seq
	}
}

// SetDailyQuota sets the day's calls used and the daily limit the CRM
// reports (connector.DailyBudget); limit 0 reports none.
func (c *CRM) SetDailyQuota(used, limit int64) {
	c.mu.Lock()
	c.quotaUsed, c.quotaLimit = used, limit
	c.mu.Unlock()
}

// PinCurrency makes the connector pin the one currency its orders count in.
func (c *CRM) PinCurrency(code string) { c.mu.Lock(); c.pinned = code; c.mu.Unlock() }

// FailNext makes the next n calls fail with a transient error.
func (c *CRM) FailNext(n int) { c.mu.Lock(); c.failNext = n; c.mu.Unlock() }

// RejectCustomer makes every write to k fail with a value-level error.
func (c *CRM) RejectCustomer(k connector.CustomerKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rejected == nil {
		c.rejected = map[connector.CustomerKey]bool{}
	}
	c.rejected[k] = true
}

// Fields returns what the CRM holds for a customer.
func (c *CRM) Fields(k connector.CustomerKey) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for f, v := range c.customers[k] {
		out[f] = v
	}
	return out
}

// Calls returns the calls served by kind.
func (c *CRM) Calls() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int64{}
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// call counts a call and applies an injected failure.
func (c *CRM) call(kind string) error {
	c.calls[kind]++
	if c.failNext > 0 {
		c.failNext--
		return &crmerr.Error{Class: crmerr.Transient, Status: 503, Message: "injected failure"}
	}
	if len(c.faults) == 0 {
		return nil
	}
	f := c.faults[0]
	c.faults = c.faults[1:]
	c.served[f]++
	switch f {
	case RateLimited:
		return &crmerr.Error{Class: crmerr.RateLimited, Status: 429, Message: "injected rate limit", RetryAfter: time.Second}
	case SessionExpired:
		c.token++
		return errSessionExpired
	case Unavailable:
		return &crmerr.Error{Class: crmerr.Transient, Status: 503, Message: "injected maintenance"}
	case QuotaExhausted:
		return &crmerr.Error{Class: crmerr.QuotaExhausted, Status: 403, Message: "injected daily quota exhausted", ResetAt: c.now.Add(time.Hour)}
	}
	return nil
}

// errSessionExpired is the CRM's 401 for an expired session: the connector
// logs in again once and replays, as connectors on crmhttp do.
var errSessionExpired = &crmerr.Error{Class: crmerr.Auth, Status: 401, Message: "injected session expiry"}

// maxAttempts bounds the connector's retries of one call.
const maxAttempts = 6

// do runs one CRM call the way a connector on the shared HTTP client does:
// transient errors and rate limits are retried (the wait advances the
// CRM's clock instead of sleeping), an expired session is renewed once and
// the call replayed, anything else is returned.
func (m *Connector) do(kind string, fn func() error) error {
	c := m.crm
	renewed := false
	for attempt := 1; ; attempt++ {
		err := c.call(kind)
		if err == nil {
			return fn()
		}
		if err == errSessionExpired && !renewed {
			renewed = true
			c.calls["token"]++
			continue
		}
		e, ok := crmerr.As(err)
		if !ok || !e.Class.Retryable() || attempt == maxAttempts {
			return err
		}
		c.now = c.now.Add(e.RetryAfter)
	}
}

// Fault is a failure the CRM serves on demand.
type Fault int

// The faults memcrm serves.
const (
	// RateLimited answers one call with a short-window 429.
	RateLimited Fault = iota
	// SessionExpired expires the access token: the call is refused with 401.
	SessionExpired
	// Unavailable answers one call with a 503 (maintenance).
	Unavailable
	// QuotaExhausted answers one call with the daily-limit error.
	QuotaExhausted
	// RecordLocked makes the next written record answer "locked, retry later".
	RecordLocked
)

// Inject queues a fault: call faults are served by the next calls, in order.
func (c *CRM) Inject(f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f == RecordLocked {
		c.lockNext++
		return
	}
	c.faults = append(c.faults, f)
}

// Served returns how many times a fault was actually served.
func (c *CRM) Served(f Fault) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.served[f]
}

// Connector returns a connector to this CRM, as a fresh process would build it.
func (c *CRM) Connector() *Connector { return &Connector{crm: c} }

// Connector is memcrm's connector.
type Connector struct{ crm *CRM }

// Sources implements connector.Reader.
func (m *Connector) Sources() []string { return []string{"orders"} }

// ReadPage implements connector.Reader: records modified after the cursor's
// sequence number, oldest first.
func (m *Connector) ReadPage(_ context.Context, req connector.ReadRequest) (connector.Page, error) {
	c := m.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := m.do("read", func() error { return nil }); err != nil {
		return connector.Page{}, err
	}
	var after uint64
	if len(req.Cursor) == 8 {
		after = binary.BigEndian.Uint64(req.Cursor)
	}
	var os []*order
	for _, o := range c.orders {
		// Only Salesforce's queryAll returns deleted records; HubSpot's
		// search and vtenext's query drop them.
		if o.seq > after && !(o.deleted && c.shape != SalesforceShape) {
			os = append(os, o)
		}
	}
	slices.SortFunc(os, func(a, b *order) int { return int(a.seq) - int(b.seq) })
	page := connector.Page{Done: len(os) <= PageSize}
	os = os[:min(PageSize, len(os))]
	last := after
	for _, o := range os {
		page.Records = append(page.Records, record(o))
		last = o.seq
	}
	page.Cursor = binary.BigEndian.AppendUint64(nil, last)
	return page, nil
}

func record(o *order) connector.Record {
	status := "open"
	if o.won {
		status = "won"
	}
	return connector.Record{OrderID: o.id, Customer: o.customer, ClosedAt: o.closedAt, Amount: o.amount,
		Currency: o.currency, Status: status, Deleted: o.deleted}
}

// RereadEvery implements connector.OrderRereader: every run, so tests see
// it; the Salesforce shape needs no re-read (its cursor sees everything).
func (m *Connector) RereadEvery() time.Duration {
	if m.crm.shape == SalesforceShape {
		return 0
	}
	return time.Nanosecond
}

// RereadBatch implements connector.OrderRereader.
func (m *Connector) RereadBatch() int { return 50 }

// RereadOrders implements connector.OrderRereader: customer-only answers
// in the HubSpot shape (an association read), full records in the vtenext
// shape (a query by id that omits deleted records).
func (m *Connector) RereadOrders(_ context.Context, _ string, ids []string) ([]connector.Record, error) {
	c := m.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := m.do("reread", func() error { return nil }); err != nil {
		return nil, err
	}
	var out []connector.Record
	for _, id := range ids {
		o := c.orders[id]
		if o == nil || o.deleted {
			continue
		}
		if c.shape == HubSpotShape {
			out = append(out, connector.Record{OrderID: id, Customer: o.customer, CustomerOnly: true})
			continue
		}
		out = append(out, record(o))
	}
	return out, nil
}

// DeletionScanEvery implements connector.DeletionLister: the HubSpot
// shape's deletions are found by a scan of deleted records.
func (m *Connector) DeletionScanEvery() time.Duration {
	if m.crm.shape == HubSpotShape {
		return time.Nanosecond
	}
	return 0
}

// ReadDeletedPage implements connector.DeletionLister: the deleted orders
// in id order, PageSize a page; the cursor is the last id listed.
func (m *Connector) ReadDeletedPage(_ context.Context, req connector.ReadRequest) (connector.Page, error) {
	c := m.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := m.do("deleted", func() error { return nil }); err != nil {
		return connector.Page{}, err
	}
	var ids []string
	for id, o := range c.orders {
		if o.deleted && id > string(req.Cursor) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	page := connector.Page{Done: len(ids) <= PageSize, Cursor: req.Cursor}
	for _, id := range ids[:min(PageSize, len(ids))] {
		page.Records = append(page.Records, record(c.orders[id]))
		page.Cursor = []byte(id)
	}
	return page, nil
}

// DailyQuota implements connector.DailyBudget.
func (m *Connector) DailyQuota() (used, limit int64) {
	m.crm.mu.Lock()
	defer m.crm.mu.Unlock()
	return m.crm.quotaUsed, m.crm.quotaLimit
}

// PinnedCurrency implements connector.CurrencyPinner.
func (m *Connector) PinnedCurrency(string) string {
	m.crm.mu.Lock()
	defer m.crm.mu.Unlock()
	return m.crm.pinned
}

// WriteCalls implements connector.WritePlanner: one call per record in the
// vtenext shape.
func (m *Connector) WriteCalls(n int) int {
	if m.crm.shape == VtenextShape {
		return n
	}
	return (n + BatchSize - 1) / BatchSize
}

// MaxBatch implements connector.Writer.
func (m *Connector) MaxBatch() int { return BatchSize }

// WriteBatch implements connector.Writer.
func (m *Connector) WriteBatch(_ context.Context, ups []connector.Update) (connector.WriteResult, error) {
	c := m.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	var res connector.WriteResult
	if len(ups) > BatchSize {
		return res, &crmerr.Error{Class: crmerr.Validation, Status: 400, Message: "batch too large"}
	}
	if c.shape == VtenextShape {
		// One record per call, as vtenext's revise.
		for _, u := range ups {
			if err := m.do("write", func() error { return nil }); err != nil {
				return res, err
			}
			res.Calls++
			c.writeOne(u, &res)
		}
		return res, nil
	}
	if err := m.do("write", func() error { return nil }); err != nil {
		return res, err
	}
	res.Calls = 1
	for _, u := range ups {
		c.writeOne(u, &res)
	}
	return res, nil
}

// writeOne applies one update, filling the result's bucket for it.
func (c *CRM) writeOne(u connector.Update, res *connector.WriteResult) {
	{
		fields := c.customers[u.Key]
		if fields == nil {
			res.NotFound = append(res.NotFound, u.Key)
			return
		}
		if c.rejected[u.Key] {
			if res.Rejected == nil {
				res.Rejected = map[connector.CustomerKey]string{}
			}
			res.Rejected[u.Key] = "INVALID_VALUE"
			return
		}
		if c.lockNext > 0 {
			c.lockNext--
			c.served[RecordLocked]++
			if res.RetryLater == nil {
				res.RetryLater = map[connector.CustomerKey]string{}
			}
			res.RetryLater[u.Key] = "UNABLE_TO_LOCK_ROW"
			return
		}
		for f, v := range u.Fields {
			fields[f] = v
		}
		res.Accepted = append(res.Accepted, u.Key)
	}
}

// SetField changes a customer's field as a person in the CRM would.
func (c *CRM) SetField(k connector.CustomerKey, field, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.customers[k]; f != nil {
		f[field] = value
	}
}

// RepairEvery implements connector.FieldReader: every run, so tests see it.
func (m *Connector) RepairEvery() time.Duration { return time.Nanosecond }

// ReadBatch implements connector.FieldReader.
func (m *Connector) ReadBatch() int { return BatchSize }

// ReadFields implements connector.FieldReader.
func (m *Connector) ReadFields(_ context.Context, keys []connector.CustomerKey, fields []string) (map[connector.CustomerKey]map[string]string, error) {
	c := m.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := m.do("read_fields", func() error { return nil }); err != nil {
		return nil, err
	}
	out := map[connector.CustomerKey]map[string]string{}
	for _, k := range keys {
		if have := c.customers[k]; have != nil {
			vals := map[string]string{}
			for _, f := range fields {
				vals[f] = have[f]
			}
			out[k] = vals
		}
	}
	return out, nil
}

// Calls implements connector.CallCounter.
func (m *Connector) Calls() map[string]int64 { return m.crm.Calls() }

// Close implements connector.Connector.
func (m *Connector) Close() error { return nil }

var (
	_ connector.Connector      = (*Connector)(nil)
	_ connector.OrderRereader  = (*Connector)(nil)
	_ connector.DeletionLister = (*Connector)(nil)
	_ connector.WritePlanner   = (*Connector)(nil)
	_ connector.CallCounter    = (*Connector)(nil)
	_ connector.FieldReader    = (*Connector)(nil)
)
