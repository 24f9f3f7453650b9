package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
	"github.com/rfmsync/rfmsync/core/conformance"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/hostile"
	"github.com/rfmsync/rfmsync/core/outputs"
)

// wonAt is the custom datetime field the opportunities runs close on: the
// suite's orders close at a time of day, which CloseDate (a date) drops.
const wonAt = "Won_At__c"

// conformanceFake adapts salesforcetest to the conformance suite. The
// connector logs in through gate, one host in front of both of the fake's
// (login and instance), so the suite's hostile handler can sit in front of
// every call and a per-record lock can be put on the next written record.
type conformanceFake struct {
	s       *salesforcetest.Server
	gate    *gate
	url     string
	source  string // opportunities or orders
	object  string // Account or Contact
	byRole  bool   // contacts attributed by the primary contact role
	mu      sync.Mutex
	n       int
	roles   map[string]string // opportunity → its primary contact role
	reject  map[string]bool
	locked  atomic.Int64
	section map[string]any
	tokens  *memTokens
}

// memTokens is the state file's refresh-token store, in memory.
type memTokens struct {
	mu sync.Mutex
	m  map[string]string
}

func (m *memTokens) LoadRefreshToken(key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[key]
	return v, ok, nil
}

func (m *memTokens) SaveRefreshToken(key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[key] = token
	return nil
}

func newConformanceFake(t *testing.T, source, object string, byRole bool) *conformanceFake {
	// Pages of 10 rows (the server may cut below batchSize, §2.3), so the
	// suite's few hundred records cross many pages.
	s := newFake(t, salesforcetest.Options{RotateRefreshTokens: true, DailyAPIRequests: -1, MaxBatchSize: 10})
	if source == SourceOpportunities {
		s.SeedField(salesforcetest.Opportunity, salesforcetest.FieldSpec{Name: wonAt, Label: "Won At", Type: "DateTime"})
	}
	f := &conformanceFake{s: s, source: source, object: object, byRole: byRole, roles: map[string]string{}, reject: map[string]bool{},
		tokens: &memTokens{m: map[string]string{}}}
	f.gate = &gate{f: f, login: mustURL(s.LoginURL()), inst: mustURL(s.URL())}
	srv := httptest.NewServer(f.gate)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	f.gate.self = srv.URL
	attribution := AttributionContactID
	if byRole {
		attribution = AttributionPrimaryRole
	}
	f.section = map[string]any{"object": object, "sources": []any{source},
		"opportunities": map[string]any{"date_field": wonAt, "contact_attribution": attribution},
		"orders":        map[string]any{"date_field": "ActivatedDate"},
		"page_size":     200, "write_batch": 10, "reread_every": "1m", "repair_every": "1m",
		"permission_set": "RFM_Sync"}
	s.SetValidation(func(_, id string, _ map[string]any) *salesforcetest.RecordError {
		f.mu.Lock()
		rejected := f.reject[id]
		f.mu.Unlock()
		if rejected {
			return &salesforcetest.RecordError{StatusCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message: "RFM fields are locked for this record"}
		}
		return nil
	})
	if _, err := f.connector(t).EnsureFields(context.Background(), specs(rfmFields()), true); err != nil {
		t.Fatalf("fields ensure: %v", err)
	}
	return f
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

func (f *conformanceFake) connector(t testing.TB) *Connector {
	section := map[string]any{}
	for k, v := range f.section {
		section[k] = v
	}
	if f.gate.spoiler.Load() != nil {
		section["timeouts"] = map[string]any{"connect": "5s", "response_header": "2s", "idle_read": "1s", "attempt": "20s", "stalled": "5s"}
	}
	o := connectOpts(t, f.s, f.url, section)
	// The rotated refresh token survives "restarts" as the state file keeps it.
	return build(t, o, nil, &connector.Env{Fields: specs(rfmFields()), Tokens: f.tokens})
}

func (f *conformanceFake) NewConnector(t testing.TB) connector.Connector { return f.connector(t) }
func (f *conformanceFake) CustomerType() string                          { return f.object }

func (f *conformanceFake) NewCustomer(testing.TB) connector.CustomerKey {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	var id string
	if f.object == "Account" {
		id = f.s.Create(salesforcetest.Account, salesforcetest.F{"Name": fmt.Sprintf("Account %d", n)})
	} else {
		id = f.s.Create(salesforcetest.Contact, salesforcetest.F{"LastName": fmt.Sprintf("Contact %d", n)})
	}
	return connector.CustomerKey{Type: f.object, ID: id}
}

func (f *conformanceFake) PutOrder(_ testing.TB, o conformance.Order) string {
	var obj string
	var fields salesforcetest.F
	if f.source == SourceOpportunities {
		obj = salesforcetest.Opportunity
		stage := "Closed Lost"
		if o.Won {
			stage = "Closed Won"
		}
		fields = salesforcetest.F{"Name": "Deal", "Amount": o.Amount, "StageName": stage,
			"CloseDate": salesforcetest.Date(o.ClosedAt.UTC().Format("2006-01-02")), wonAt: o.ClosedAt}
	} else {
		obj = salesforcetest.Order
		status := "Draft"
		if o.Won {
			status = "Activated"
		}
		fields = salesforcetest.F{"Status": status, "TotalAmount": o.Amount,
			"EffectiveDate": salesforcetest.Date(o.ClosedAt.UTC().Format("2006-01-02"))}
		if o.Won {
			fields["ActivatedDate"] = o.ClosedAt
		}
	}
	id := o.ID
	if id == "" {
		id = f.s.Create(obj, fields)
	} else {
		f.s.Update(id, fields)
	}
	f.attribute(id, o.Customer.ID)
	return id
}

// attribute makes customer the order's customer the way the org does:
// the Account lookup, the contact field, or the primary contact role.
func (f *conformanceFake) attribute(id, customer string) {
	var ref any
	if customer != "" {
		ref = customer
	}
	switch {
	case f.object == "Account":
		f.s.Update(id, salesforcetest.F{"AccountId": ref})
	case f.source == SourceOrders:
		f.s.Update(id, salesforcetest.F{"BillToContactId": ref})
	case !f.byRole:
		f.s.Update(id, salesforcetest.F{"ContactId": ref})
	default:
		// A contact role changes without touching the Opportunity.
		f.mu.Lock()
		old := f.roles[id]
		delete(f.roles, id)
		f.mu.Unlock()
		if old != "" {
			f.s.Delete(old)
		}
		if customer != "" {
			role := f.s.Create(salesforcetest.OpportunityContactRole, salesforcetest.F{"OpportunityId": id, "ContactId": customer, "IsPrimary": true})
			f.mu.Lock()
			f.roles[id] = role
			f.mu.Unlock()
		}
	}
}

func (f *conformanceFake) DeleteOrder(_ testing.TB, id string) { f.s.Delete(id) }

func (f *conformanceFake) Reassign(_ testing.TB, id string, to connector.CustomerKey) {
	f.attribute(id, to.ID)
}

// RemoveCustomer deletes the record; writes to it then answer
// ENTITY_IS_DELETED.
func (f *conformanceFake) RemoveCustomer(_ testing.TB, k connector.CustomerKey) { f.s.Delete(k.ID) }

func (f *conformanceFake) RejectWrites(_ testing.TB, k connector.CustomerKey) {
	f.mu.Lock()
	f.reject[k.ID] = true
	f.mu.Unlock()
}

func (f *conformanceFake) Inject(fault conformance.Fault) {
	switch fault {
	case conformance.RateLimitBurst:
		f.s.InjectFault(salesforcetest.AnyRoute, 3, salesforcetest.FaultEdgeRateLimited)
	case conformance.TokenExpiry:
		// The session in use ends just before the next data call (a fresh
		// connector has none until it logs in).
		f.gate.beforeNext(f.s.ExpireSessions)
	case conformance.ServerError:
		f.s.InjectFault(salesforcetest.AnyRoute, 1, salesforcetest.FaultServerError)
	case conformance.Maintenance:
		f.s.InjectFault(salesforcetest.AnyRoute, 1, salesforcetest.FaultMaintenancePage)
	case conformance.QuotaExhausted:
		// The allocation is spent at the next data call (the token endpoint
		// has no API allocation).
		f.gate.beforeNext(func() { f.s.InjectFault(salesforcetest.AnyRoute, 1, salesforcetest.FaultDailyLimit) })
	case conformance.RecordTransient:
		f.gate.lockNext.Store(true)
	}
}

// Served implements conformance.FaultCounter from the fake's request log.
func (f *conformanceFake) Served(fault conformance.Fault) int {
	status := map[conformance.Fault]int{conformance.RateLimitBurst: 429, conformance.TokenExpiry: 401,
		conformance.ServerError: 500, conformance.Maintenance: 503, conformance.QuotaExhausted: 403}
	if fault == conformance.RecordTransient {
		return int(f.locked.Load())
	}
	n := 0
	for _, c := range f.s.Log() {
		if c.Status == status[fault] {
			n++
		}
	}
	return n
}

func (f *conformanceFake) Advance(d time.Duration) { f.s.Advance(d) }
func (f *conformanceFake) Now() time.Time          { return f.s.Now() }

// Fields returns the mapped fields as the org stores them.
func (f *conformanceFake) Fields(_ testing.TB, k connector.CustomerKey) map[string]string {
	out := map[string]string{}
	rec := f.s.Get(k.ID)
	if rec == nil {
		return out
	}
	for _, name := range rfmFields() {
		if s := fakeText(rec[name]); s != "" {
			out[name] = s
		}
	}
	return out
}

// fakeText renders a stored value as text.
func fakeText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case time.Time:
		return t.UTC().Format(outputs.TimeLayout)
	case float64:
		return big.NewFloat(t).Text('f', -1)
	case fmt.Stringer:
		return t.String()
	}
	return fmt.Sprint(v)
}

// EditField sets a field as a person editing the record would.
func (f *conformanceFake) EditField(_ testing.TB, k connector.CustomerKey, field, value string) {
	var v any = value
	if value == "" {
		v = nil
	}
	f.s.Update(k.ID, salesforcetest.F{field: v})
}

// Profile implements conformance.Fake.
func (f *conformanceFake) Profile() conformance.Profile {
	return conformance.Profile{Fields: outputs.Single(rfmFields()), Lag: 30 * time.Second,
		Faults: []conformance.Fault{conformance.RateLimitBurst, conformance.TokenExpiry, conformance.ServerError,
			conformance.Maintenance, conformance.QuotaExhausted, conformance.RecordTransient}}
}

// Spoil implements conformance.HostileFake.
func (f *conformanceFake) Spoil(build func(fake http.Handler) *hostile.Handler) {
	if build == nil {
		f.gate.spoiler.Store(nil)
		return
	}
	f.gate.spoiler.Store(build(http.HandlerFunc(f.gate.forward)))
}

// PageReads implements conformance.HostileFake: query pages of the source.
func (f *conformanceFake) PageReads() func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodGet && (strings.Contains(r.URL.Path, "/query/") || strings.HasSuffix(r.URL.Path, "/queryAll"))
	}
}

// gate is one host in front of the fake's two: the token endpoint goes to
// the login host (instance_url rewritten to the gate), everything else to
// the instance host.
type gate struct {
	f           *conformanceFake
	login, inst *url.URL
	self        string
	spoiler     atomic.Pointer[hostile.Handler]
	lockNext    atomic.Bool
	next        atomic.Pointer[func()]
}

// beforeNext runs fn before the next data request reaches the fake.
func (g *gate) beforeNext(fn func()) { g.next.Store(&fn) }

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := g.spoiler.Load(); h != nil && !strings.HasSuffix(r.URL.Path, tokenPath) {
		h.ServeHTTP(w, r)
		return
	}
	g.forward(w, r)
}

func (g *gate) forward(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, tokenPath) {
		g.token(w, r)
		return
	}
	if fn := g.next.Swap(nil); fn != nil {
		(*fn)()
	}
	// Plain bodies, so the hostile spoilers can rewrite the JSON.
	r.Header.Del("Accept-Encoding")
	if r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/composite/sobjects") && g.lockNext.Load() {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Records []struct {
				ID string `json:"id"`
			} `json:"records"`
		}
		if json.Unmarshal(body, &req) == nil && len(req.Records) > 0 && g.lockNext.CompareAndSwap(true, false) {
			g.f.s.LockRow(req.Records[0].ID, 1)
			g.f.locked.Add(1)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	httputil.NewSingleHostReverseProxy(g.inst).ServeHTTP(w, r)
}

// token forwards a token request to the login host and points the
// answer's instance_url at the gate.
func (g *gate) token(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, _ := http.NewRequest(r.Method, g.login.String()+r.URL.Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if resp.StatusCode == http.StatusOK && json.Unmarshal(out, &m) == nil {
		m["instance_url"] = g.self
		out, _ = json.Marshal(m)
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

func TestConformanceOpportunitiesToAccounts(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fake {
		return newConformanceFake(t, SourceOpportunities, "Account", false)
	})
}

func TestConformanceOrdersToContacts(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fake {
		return newConformanceFake(t, SourceOrders, "Contact", false)
	})
}

func TestConformanceOpportunitiesToContactsByRole(t *testing.T) {
	conformance.Run(t, func(t *testing.T) conformance.Fake {
		return newConformanceFake(t, SourceOpportunities, "Contact", true)
	})
}

// CursorBack implements conformance.CursorRewinder: Salesforce's paging
// cursor is the nextRecordsUrl locator.
func (f *conformanceFake) CursorBack() hostile.Spoil { return hostile.CursorBack("nextRecordsUrl", 1) }

func (m *memTokens) values() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, v := range m.m {
		out = append(out, v)
	}
	return out
}
