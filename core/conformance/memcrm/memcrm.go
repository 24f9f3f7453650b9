// Package memcrm is an in-memory CRM and its connector: the smallest thing
// that behaves like a CRM to core (paged incremental reads whose cursor does
// not move on re-assignment, batch writes, deleted records). It tests the
// sync loop and the conformance suite itself; it is not a product connector.
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

type order struct {
	id, closedAt, amount string
	customer             connector.CustomerKey
	won, deleted         bool
	seq                  uint64
}

// CRM is the in-memory CRM. Its zero value is not usable; call New.
type CRM struct {
	mu        sync.Mutex
	now       time.Time
	seq       uint64
	orders    map[string]*order
	customers map[connector.CustomerKey]map[string]string
	calls     map[string]int64
	// failNext makes the next n calls of any kind fail with a transient error.
	failNext int
	// rejected customers refuse every write with a value-level error.
	rejected map[connector.CustomerKey]bool
}

// New returns an empty CRM whose clock starts at now.
func New(now time.Time) *CRM {
	return &CRM{now: now, orders: map[string]*order{}, customers: map[connector.CustomerKey]map[string]string{}, calls: map[string]int64{}}
}

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

// Reassign attributes an order to another customer without moving the read
// cursor, the way CRM associations behave.
func (c *CRM) Reassign(id string, to connector.CustomerKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.orders[id]; o != nil {
		o.customer = to
	}
}

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
	return nil
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
	if err := c.call("read"); err != nil {
		return connector.Page{}, err
	}
	var after uint64
	if len(req.Cursor) == 8 {
		after = binary.BigEndian.Uint64(req.Cursor)
	}
	var os []*order
	for _, o := range c.orders {
		if o.seq > after {
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
	return connector.Record{OrderID: o.id, Customer: o.customer, ClosedAt: o.closedAt, Amount: o.amount, Status: status, Deleted: o.deleted}
}

// AssociationRescanEvery implements connector.AssociationRereader: every run.
func (m *Connector) AssociationRescanEvery() time.Duration { return time.Nanosecond }

// RereadBatch implements connector.AssociationRereader.
func (m *Connector) RereadBatch() int { return 50 }

// RereadCustomers implements connector.AssociationRereader.
func (m *Connector) RereadCustomers(_ context.Context, _ string, ids []string) (map[string]connector.CustomerKey, error) {
	c := m.crm
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.call("associations"); err != nil {
		return nil, err
	}
	out := map[string]connector.CustomerKey{}
	for _, id := range ids {
		if o := c.orders[id]; o != nil && !o.deleted && o.customer.ID != "" {
			out[id] = o.customer
		}
	}
	return out, nil
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
	if err := c.call("write"); err != nil {
		return res, err
	}
	for _, u := range ups {
		fields := c.customers[u.Key]
		if fields == nil {
			res.NotFound = append(res.NotFound, u.Key)
			continue
		}
		if c.rejected[u.Key] {
			if res.Rejected == nil {
				res.Rejected = map[connector.CustomerKey]string{}
			}
			res.Rejected[u.Key] = "INVALID_VALUE"
			continue
		}
		for f, v := range u.Fields {
			fields[f] = v
		}
		res.Accepted = append(res.Accepted, u.Key)
	}
	return res, nil
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
	if err := c.call("read_fields"); err != nil {
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
	_ connector.Connector           = (*Connector)(nil)
	_ connector.AssociationRereader = (*Connector)(nil)
	_ connector.CallCounter         = (*Connector)(nil)
	_ connector.FieldReader         = (*Connector)(nil)
)
