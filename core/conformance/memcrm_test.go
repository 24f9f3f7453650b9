package conformance_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/conformance"
	"github.com/rfmsync/rfmsync/core/conformance/memcrm"
	"github.com/rfmsync/rfmsync/core/connector"
)

// memFake adapts memcrm to the suite, proving the suite on the simplest CRM
// in each of the three shapes.
type memFake struct {
	crm  *memcrm.CRM
	mu   sync.Mutex
	next int
}

func (f *memFake) NewConnector(testing.TB) connector.Connector { return f.crm.Connector() }
func (f *memFake) CustomerType() string                        { return "customers" }

func (f *memFake) NewCustomer(testing.TB) connector.CustomerKey {
	f.mu.Lock()
	f.next++
	k := connector.CustomerKey{Type: "customers", ID: "c" + strconv.Itoa(f.next)}
	f.mu.Unlock()
	f.crm.AddCustomer(k)
	return k
}

func (f *memFake) PutOrder(_ testing.TB, o conformance.Order) string {
	if o.ID == "" {
		f.mu.Lock()
		f.next++
		o.ID = "o" + strconv.Itoa(f.next)
		f.mu.Unlock()
	}
	f.crm.PutOrder(o.ID, o.Customer, o.ClosedAt, o.Amount, o.Won)
	return o.ID
}

func (f *memFake) DeleteOrder(_ testing.TB, id string) { f.crm.DeleteOrder(id) }
func (f *memFake) Reassign(_ testing.TB, id string, to connector.CustomerKey) {
	f.crm.Reassign(id, to)
}
func (f *memFake) RemoveCustomer(_ testing.TB, k connector.CustomerKey) { f.crm.RemoveCustomer(k) }
func (f *memFake) Advance(d time.Duration)                              { f.crm.Advance(d) }
func (f *memFake) Now() time.Time                                       { return f.crm.Now() }
func (f *memFake) Fields(_ testing.TB, k connector.CustomerKey) map[string]string {
	return f.crm.Fields(k)
}
func (f *memFake) RejectWrites(_ testing.TB, k connector.CustomerKey) { f.crm.RejectCustomer(k) }
func (f *memFake) EditField(_ testing.TB, k connector.CustomerKey, field, value string) {
	f.crm.SetField(k, field, value)
}

// faults maps the suite's faults onto memcrm's.
var faults = map[conformance.Fault]memcrm.Fault{
	conformance.RateLimitBurst:  memcrm.RateLimited,
	conformance.TokenExpiry:     memcrm.SessionExpired,
	conformance.ServerError:     memcrm.Unavailable,
	conformance.Maintenance:     memcrm.Unavailable,
	conformance.QuotaExhausted:  memcrm.QuotaExhausted,
	conformance.RecordTransient: memcrm.RecordLocked,
}

func (f *memFake) Inject(fault conformance.Fault) {
	if m, ok := faults[fault]; ok {
		f.crm.Inject(m)
	}
}

func (f *memFake) Served(fault conformance.Fault) int { return f.crm.Served(faults[fault]) }

func (f *memFake) Profile() conformance.Profile {
	p := conformance.Profile{Faults: []conformance.Fault{conformance.RateLimitBurst, conformance.TokenExpiry,
		conformance.ServerError, conformance.Maintenance, conformance.QuotaExhausted}}
	if f.crm.Shape() == memcrm.SalesforceShape {
		p.Faults = append(p.Faults, conformance.RecordTransient)
	}
	return p
}

func TestMemCRMConformance(t *testing.T) {
	for _, shape := range []memcrm.Shape{memcrm.HubSpotShape, memcrm.SalesforceShape, memcrm.VtenextShape} {
		t.Run(shape.String(), func(t *testing.T) {
			conformance.Run(t, func(t *testing.T) conformance.Fake {
				return &memFake{crm: memcrm.NewShaped(shape, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))}
			})
		})
	}
}
