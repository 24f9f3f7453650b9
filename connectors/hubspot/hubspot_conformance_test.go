package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/conformance"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/hostile"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// conformanceFake adapts hubspottest to the conformance suite. The
// connector talks OAuth (so TokenExpiry is real) through gate, which adds
// the two behaviours the fake does not model (see gate).
type conformanceFake struct {
	s      *hubspottest.Server
	gate   *gate
	url    string
	source string                 // deals or orders
	object hubspottest.ObjectType // contacts or companies
	n      int
	mu     sync.Mutex
}

func newConformanceFake(t *testing.T, source string, object hubspottest.ObjectType) *conformanceFake {
	s := newFake(t, hubspottest.Options{
		OAuth: &hubspottest.OAuthApp{ClientID: "cid", ClientSecret: "csecret",
			RefreshTokens: map[string][]string{"rt-conformance": nil}},
		SearchLag: 30 * time.Second,
	})
	g := &gate{s: s, rejected: map[string]bool{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	f := &conformanceFake{s: s, gate: g, url: srv.URL, source: source, object: object}
	specs := syncloop.FieldSpecs(conformance.DefaultFieldMap, rfm.DefaultParams(), conformance.WindowDays, syncloop.Inactive{})
	if _, err := f.connector(t).EnsureFields(context.Background(), specs, true); err != nil {
		t.Fatalf("fields ensure: %v", err)
	}
	return f
}

func (f *conformanceFake) connector(t testing.TB) *Connector {
	extra := map[string]any{}
	if f.gate.spoiler.Load() != nil {
		extra = hostileLimits
	}
	o := connectOpts(t, f.s, f.url, mergeOpts(extra, map[string]any{
		"oauth":   map[string]any{"client_id": "cid", "client_secret": "csecret", "refresh_token": "rt-conformance"},
		"object":  string(f.object),
		"sources": []any{f.source},
		// Small pages, so the suite's few hundred records cross many pages
		// (deletion scans included: the sync loop's cursor hand-back on a
		// scan's second page is exercised end to end).
		"page_size": 20, "read_batch": 40, "list_page_size": 3, "write_batch": 10,
		// The suite's runs are 15 minutes apart; deletions and re-assignments
		// must show in the next run, and the repair pass runs every time, so
		// the suite's "no change, no write" checks cover reading back too.
		"deletion_scan_every": "1m", "association_rescan_every": "1m", "repair_every": "1m",
	}))
	return build(t, o, nil)
}

// mergeOpts returns base with extra's keys added.
func mergeOpts(extra, base map[string]any) map[string]any {
	for k, v := range extra {
		base[k] = v
	}
	return base
}

func (f *conformanceFake) NewConnector(t testing.TB) connector.Connector { return f.connector(t) }
func (f *conformanceFake) CustomerType() string                          { return string(f.object) }

func (f *conformanceFake) NewCustomer(testing.TB) connector.CustomerKey {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	var id string
	if f.object == hubspottest.Contacts {
		id = f.s.CreateContact(hubspottest.Props{"email": fmt.Sprintf("c%d@example.com", n)})
	} else {
		id = f.s.CreateCompany(hubspottest.Props{"name": fmt.Sprintf("Company %d", n)})
	}
	return connector.CustomerKey{Type: string(f.object), ID: id}
}

func (f *conformanceFake) orderType() hubspottest.ObjectType {
	if f.source == SourceDeals {
		return hubspottest.Deals
	}
	return hubspottest.Orders
}

func (f *conformanceFake) PutOrder(_ testing.TB, o conformance.Order) string {
	var props hubspottest.Props
	if f.source == SourceDeals {
		stage := "appointmentscheduled"
		if o.Won {
			stage = hubspottest.DealStageClosedWon
		}
		props = hubspottest.Props{"amount": o.Amount, "closedate": o.ClosedAt, "pipeline": "default", "dealstage": stage}
	} else {
		stage := hubspottest.OrderStageCancelled
		if o.Won {
			stage = hubspottest.OrderStageDelivered
		}
		props = hubspottest.Props{"hs_total_price": o.Amount, "hs_currency_code": "USD",
			"hs_external_created_date": o.ClosedAt, "hs_pipeline_stage": stage}
	}
	id := o.ID
	if id == "" {
		id = f.s.Create(f.orderType(), props)
	} else {
		f.s.Update(f.orderType(), id, props)
	}
	f.associate(id, o.Customer.ID)
	return id
}

// associate makes customer the order's only association.
func (f *conformanceFake) associate(id, customer string) {
	for _, old := range f.s.Associations(f.orderType(), id, f.object) {
		if old != customer {
			f.s.Dissociate(f.orderType(), id, f.object, old)
		}
	}
	switch {
	case customer == "":
	case f.source == SourceDeals && f.object == hubspottest.Companies:
		f.s.AssociateDealCompany(id, customer, true)
	default:
		f.s.Associate(f.orderType(), id, f.object, customer)
	}
}

func (f *conformanceFake) DeleteOrder(_ testing.TB, id string) { f.s.Archive(f.orderType(), id) }

// Reassign changes the association only: HubSpot does not bump the
// order's modified date for it (§3.4).
func (f *conformanceFake) Reassign(_ testing.TB, id string, to connector.CustomerKey) {
	f.associate(id, to.ID)
}

// RemoveCustomer deletes the record as HubSpot does: it is archived, loses
// its associations, and reads and writes to it answer OBJECT_NOT_FOUND.
func (f *conformanceFake) RemoveCustomer(_ testing.TB, k connector.CustomerKey) {
	f.s.Archive(f.object, k.ID)
}
func (f *conformanceFake) RejectWrites(_ testing.TB, k connector.CustomerKey) { f.gate.reject(k.ID) }

func (f *conformanceFake) Inject(fault conformance.Fault) {
	switch fault {
	case conformance.RateLimitBurst:
		f.s.InjectFault(hubspottest.AnyRoute, 3, hubspottest.Fault{Status: http.StatusTooManyRequests})
	case conformance.TokenExpiry:
		f.s.ExpireAccessTokens()
	case conformance.ServerError:
		f.s.InjectFault(hubspottest.AnyRoute, 1, hubspottest.Fault{Status: http.StatusBadGateway})
	}
}

func (f *conformanceFake) Advance(d time.Duration) { f.s.Advance(d) }
func (f *conformanceFake) Now() time.Time          { return f.s.Now() }

// Fields returns the mapped fields as HubSpot stores them (a datetime with
// zero milliseconds loses them); the suite compares values canonically.
func (f *conformanceFake) Fields(_ testing.TB, k connector.CustomerKey) map[string]string {
	out := map[string]string{}
	rec, ok := f.s.Get(f.object, k.ID)
	if !ok {
		return out
	}
	for _, fn := range conformance.DefaultFieldMap {
		name := fn.For(string(f.object))
		if v := rec.Properties[name]; v != nil && *v != "" {
			out[name] = *v
		}
	}
	return out
}

// EditField sets a property as a person editing the record would.
func (f *conformanceFake) EditField(_ testing.TB, k connector.CustomerKey, field, value string) {
	f.s.Update(f.object, k.ID, hubspottest.Props{field: value})
}

// Profile implements conformance.Fake: the default fields, the search
// lag, and the faults HubSpot's fake serves through the suite.
func (f *conformanceFake) Profile() conformance.Profile {
	return conformance.Profile{Lag: 30 * time.Second,
		Faults: []conformance.Fault{conformance.RateLimitBurst, conformance.TokenExpiry, conformance.ServerError}}
}

// gate sits in front of the fake and models what hubspottest does not, on
// batch/update only: hubspottest validates values per property, not per
// record, so here any batch holding a rejected record answers the
// whole-batch 400 a portal validation rule gives (§5.3).
type gate struct {
	s        *hubspottest.Server
	spoiler  atomic.Pointer[hostile.Handler]
	mu       sync.Mutex
	rejected map[string]bool
}

func (g *gate) reject(id string) { g.mu.Lock(); g.rejected[id] = true; g.mu.Unlock() }

// Spoil implements conformance.HostileFake: the suite's hostile handler
// sits in front of the fake, and connectors built meanwhile use short
// timeouts so a stall costs a fraction of a second.
func (f *conformanceFake) Spoil(build func(fake http.Handler) *hostile.Handler) {
	if build == nil {
		f.gate.spoiler.Store(nil)
		return
	}
	f.gate.spoiler.Store(build(f.s))
}

// PageReads implements conformance.HostileFake: the first pull's list pages.
func (f *conformanceFake) PageReads() func(*http.Request) bool {
	return hostile.Method(http.MethodGet, hostile.PathContains("/objects/"+string(f.orderType())))
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := g.spoiler.Load(); h != nil {
		h.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/batch/update") {
		g.s.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Inputs []struct {
			ID string `json:"id"`
		} `json:"inputs"`
	}
	_ = json.Unmarshal(body, &req)
	g.mu.Lock()
	for _, in := range req.Inputs {
		if g.rejected[in.ID] {
			g.mu.Unlock()
			rejectBatch(w, in.ID)
			return
		}
	}
	g.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.s.ServeHTTP(w, r)
}

// rejectBatch answers HubSpot's whole-batch 400 for one bad value.
func rejectBatch(w http.ResponseWriter, id string) {
	msg := "The value for rfm_segment on record " + id + " violates a validation rule set by an admin."
	embedded, _ := json.Marshal([]map[string]any{{"isValid": false, "message": msg, "error": "VALIDATION_RULE", "name": "rfm_segment"}})
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "error", "category": "VALIDATION_ERROR",
		"message": "Property values were not valid: " + string(embedded), "correlationId": "gate",
		"errors": []map[string]any{{"message": msg, "code": "VALIDATION_RULE",
			"context": map[string][]string{"propertyName": {"rfm_segment"}}}}})
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func TestConformanceDealsToContacts(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fake {
		return newConformanceFake(t, SourceDeals, hubspottest.Contacts)
	})
}

func TestConformanceOrdersToCompanies(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fake {
		return newConformanceFake(t, SourceOrders, hubspottest.Companies)
	})
}
