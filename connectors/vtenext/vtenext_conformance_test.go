package vtenext

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
	"github.com/rfmsync/rfmsync/core/conformance"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/hostile"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// conformanceFake adapts vtenexttest to the conformance suite: sales
// orders or invoices by createdtime (server wall time in Europe/Rome),
// attributed to Accounts (account_id) or Contacts (contact_id), RFM values
// in cf_ fields an admin created on that module, named per customer type,
// a third of the documents in US dollars, refunds on invoices entered as
// credit invoices.
type conformanceFake struct {
	s       *vtenexttest.Server
	spoiler atomic.Pointer[hostile.Handler]
	source  string // salesorder or invoice
	object  string // Accounts or Contacts
	url     string
	fields  outputs.FieldMap
	specs   []outputs.FieldSpec
	mu      sync.Mutex
	n       int
}

func newConformanceFake(t *testing.T, source, object string) *conformanceFake {
	s := vtenexttest.New(vtenexttest.Options{})
	f := &conformanceFake{s: s, source: source, object: object, fields: outputs.FieldMap{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := f.spoiler.Load(); h != nil {
			h.ServeHTTP(w, r)
			return
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { s.Close(); srv.Close() })
	f.url = srv.URL
	// The map's outputs with their Layout Editor types; R keeps three
	// decimals so "4.000" must read back as 4.
	add := func(out string, spec vtenexttest.FieldSpec) {
		o, _ := outputs.Lookup(out)
		spec.Label = o.Label
		// Named for the object's type only, as cf_ names differ per module.
		f.fields[out] = outputs.FieldName{ByType: map[string]string{object: s.AddField(object, spec)}}
	}
	number := func(d int) vtenexttest.FieldSpec {
		return vtenexttest.FieldSpec{Type: vtenexttest.TypeDouble, Decimals: d}
	}
	text := vtenexttest.FieldSpec{Type: vtenexttest.TypeString}
	add(outputs.R, number(3))
	add(outputs.F, number(0))
	add(outputs.M, number(0))
	add(outputs.RFM, text)
	add(outputs.Monetary, number(2))
	add(outputs.Frequency, number(0))
	add(outputs.LastPurchaseAt, text)
	add(outputs.SegmentChangedAt, text)
	var labels []string
	for _, o := range syncloop.FieldSpecs(outputs.FieldMap{outputs.Segment: outputs.Named("x")}, rfm.DefaultParams(), conformance.WindowDays, syncloop.Inactive{})[0].Options {
		labels = append(labels, o.Label)
	}
	add(outputs.Segment, vtenexttest.FieldSpec{Type: vtenexttest.TypePicklist, Values: labels})
	add(outputs.PreviousSegment, vtenexttest.FieldSpec{Type: vtenexttest.TypePicklist, Values: labels})
	f.specs = syncloop.FieldSpecs(f.fields, rfm.DefaultParams(), conformance.WindowDays, syncloop.Inactive{})
	return f
}

func (f *conformanceFake) connector(t testing.TB) *Connector {
	o := options(t, f.s, f.url, map[string]any{
		// Small pages so the suite's few hundred orders cross many; the
		// suite's runs are 15 minutes apart, so deletions and hand edits
		// must be found by the next run.
		"page_size": 20, "write_batch": 5, "reconcile_every": "1m", "repair_every": "1m",
		"object": f.object, "sources": []any{f.source},
		// Invoices by their creation time: the suite's orders close at a second.
		"invoice": map[string]any{"date_field": "createdtime"},
	})
	if f.spoiler.Load() != nil {
		// A stalled attempt costs a fraction of a second of real time;
		// retry waits run on the fake's clock and cost none.
		o.hooks.timeouts = crmhttp.Timeouts{Connect: time.Second, ResponseHeader: 300 * time.Millisecond,
			IdleRead: 200 * time.Millisecond, Attempt: 5 * time.Second}
		o.hooks.stallBudget = time.Second
	}
	return build(t, o, f.specs)
}

// Spoil implements conformance.HostileFake: the suite's hostile handler
// sits in front of the fake for connectors built meanwhile.
func (f *conformanceFake) Spoil(build func(fake http.Handler) *hostile.Handler) {
	if build == nil {
		f.spoiler.Store(nil)
		return
	}
	f.spoiler.Store(build(f.s))
}

// CursorBack implements conformance.CursorRewinder: vtenext answers carry
// no cursor, so going back is a server answering every later page with the
// first page's rows, as one ignoring the keyset WHERE would.
func (f *conformanceFake) CursorBack() hostile.Spoil {
	var mu sync.Mutex
	var first []byte
	return hostile.Rewrite(func(_ int, body []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = bytes.Clone(body)
			return body
		}
		return first
	})
}

// PageReads implements conformance.HostileFake: the pull's keyset queries
// of the order module (not the id re-reads or the field read-backs).
func (f *conformanceFake) PageReads() func(*http.Request) bool {
	return func(r *http.Request) bool {
		q := r.URL.Query()
		return q.Get("operation") == opQuery && strings.Contains(q.Get("query"), "FROM "+sourceDefs[f.source].module+" WHERE modifiedtime")
	}
}

func (f *conformanceFake) NewConnector(t testing.TB) connector.Connector { return f.connector(t) }
func (f *conformanceFake) CustomerType() string                          { return f.object }

func (f *conformanceFake) NewCustomer(testing.TB) connector.CustomerKey {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	vals := map[string]string{"accountname": fmt.Sprintf("Azienda %d Srl", n)}
	if f.object == vtenexttest.Contacts {
		vals = map[string]string{"lastname": fmt.Sprintf("Rossi %d", n)}
	}
	return connector.CustomerKey{Type: f.object, ID: f.s.Create(f.object, vals)}
}

// PutOrder stores the order as a save in the web UI would (modifiedtime
// moves); createdtime carries the closing time in server wall time.
func (f *conformanceFake) PutOrder(t testing.TB, o conformance.Order) string {
	wall := f.s.Wall(o.ClosedAt)
	if back, err := rfm.ParseLocal(vtenexttest.WallLayout, wall, f.s.Location()); err != nil || !back.Time().Equal(o.ClosedAt) {
		t.Fatalf("order time %s falls in the repeated DST hour of %s, which server wall time cannot tell apart: move the fake's start", o.ClosedAt, f.s.Location())
	}
	vals := map[string]string{"subject": "Ordine", "hdnGrandTotal": o.Amount, "conversion_rate": "1", "currency_id": "23x1", "createdtime": wall}
	module := vtenexttest.SalesOrder
	if f.source == SourceInvoice {
		module = vtenexttest.Invoice
		vals["invoicestatus"] = map[bool]string{true: "Paid", false: "Created"}[o.Won]
		if o.Won && strings.HasPrefix(o.Amount, "-") {
			// A refund as vtenext users enter it: a credit invoice of the
			// positive total.
			vals["invoicestatus"], vals["hdnGrandTotal"] = "Credit Invoice", strings.TrimPrefix(o.Amount, "-")
		}
	} else {
		vals["sostatus"] = map[bool]string{true: "Delivered", false: "Cancelled"}[o.Won]
		vals["invoicestatus"] = "Created"
	}
	f.setCustomer(vals, o.Customer.ID)
	if f.n%3 == 0 {
		// In dollars: hdnGrandTotal / conversion_rate is the euro amount.
		m, err := rfm.ParseAmount(o.Amount)
		if err != nil {
			t.Fatal(err)
		}
		if vals["invoicestatus"] == "Credit Invoice" {
			m = m.Neg()
		}
		usd, _ := rfm.ConvertRate(m, "1.1", rfm.Multiply)
		vals["hdnGrandTotal"], vals["conversion_rate"], vals["currency_id"] = usd.String(), "1.1", "23x2"
	}
	f.n++
	if o.ID == "" {
		return f.s.Create(module, vals)
	}
	f.s.Update(o.ID, vals)
	return o.ID
}

func (f *conformanceFake) DeleteOrder(_ testing.TB, id string) { f.s.Delete(id) }

// Reassign saves the order with another account, which moves its
// modifiedtime: the pull sees it.
func (f *conformanceFake) Reassign(_ testing.TB, id string, to connector.CustomerKey) {
	vals := map[string]string{}
	f.setCustomer(vals, to.ID)
	f.s.Update(id, vals)
}

// setCustomer points an order at a customer: account_id for Accounts,
// contact_id for Contacts (seeding bypasses the mandatory account_id).
func (f *conformanceFake) setCustomer(vals map[string]string, id string) {
	if f.object == vtenexttest.Accounts {
		vals["account_id"] = id
		return
	}
	vals["contact_id"] = id
}

// RemoveCustomer moves the account to the recycle bin: its orders' account_id
// reads "" from then on, without their modifiedtime moving.
func (f *conformanceFake) RemoveCustomer(_ testing.TB, k connector.CustomerKey) { f.s.Delete(k.ID) }

func (f *conformanceFake) RejectWrites(_ testing.TB, k connector.CustomerKey) { f.s.RejectRevise(k.ID) }

func (f *conformanceFake) Inject(fault conformance.Fault) {
	switch fault {
	case conformance.TokenExpiry:
		f.s.Inject(vtenexttest.AnyRoute, 1, vtenexttest.Fault{ExpireSession: true})
	case conformance.ServerError:
		f.s.Inject(vtenexttest.AnyRoute, 1, vtenexttest.Fault{Status: 502})
	case conformance.Maintenance:
		f.s.Inject(vtenexttest.AnyRoute, 2, vtenexttest.Fault{Maintenance: true})
	case conformance.RecordTransient:
		// A deadlock on one save, and on its one retry.
		f.s.Inject(opRevise, 2, vtenexttest.Fault{Code: codeDatabaseError, Message: "Database error while performing requested operation"})
	}
}

// Served implements conformance.FaultCounter.
func (f *conformanceFake) Served(fault conformance.Fault) int {
	return map[conformance.Fault]int{
		conformance.TokenExpiry:     f.s.Served("session"),
		conformance.ServerError:     f.s.Served("5xx"),
		conformance.Maintenance:     f.s.Served("maintenance"),
		conformance.RecordTransient: f.s.Served(codeDatabaseError),
	}[fault]
}

func (f *conformanceFake) Advance(d time.Duration) { f.s.Advance(d) }
func (f *conformanceFake) Now() time.Time          { return f.s.Now() }

// Fields returns the mapped fields as vtenext shows them, picklist labels
// read as the segment ids rfmsync writes; the suite compares canonically.
func (f *conformanceFake) Fields(_ testing.TB, k connector.CustomerKey) map[string]string {
	rec := f.s.Get(k.ID)
	out := map[string]string{}
	for _, s := range f.specs {
		name := s.Field.For(f.object)
		v := rec[name]
		for _, o := range s.Options {
			if o.Label == v {
				v = o.Value
			}
		}
		if v != "" {
			out[name] = v
		}
	}
	return out
}

// EditField changes a field as a person in the web UI does (the picklist
// shows labels).
func (f *conformanceFake) EditField(_ testing.TB, k connector.CustomerKey, field, value string) {
	for _, s := range f.specs {
		if s.Field.For(f.object) == field {
			for _, o := range s.Options {
				if o.Value == value {
					value = o.Label
				}
			}
		}
	}
	f.s.Update(k.ID, map[string]string{field: strings.TrimSpace(value)})
}

// Profile: the cf_ fields, the query lag, and the faults vtenext has
// (no 429s and no quotas exist in vtenext).
func (f *conformanceFake) Profile() conformance.Profile {
	return conformance.Profile{Fields: f.fields, Lag: 30 * time.Second, Faults: []conformance.Fault{
		conformance.TokenExpiry, conformance.ServerError, conformance.Maintenance, conformance.RecordTransient}}
}

func TestConformanceSalesOrdersToAccounts(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fake {
		return newConformanceFake(t, SourceSalesOrder, vtenexttest.Accounts)
	})
}

func TestConformanceInvoicesToContacts(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fake {
		return newConformanceFake(t, SourceInvoice, vtenexttest.Contacts)
	})
}
