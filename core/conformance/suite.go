// Package conformance is the suite every connector runs against its fake
// CRM: the same scenarios, the same assertions, so three CRMs behave alike
// to core. A connector's test file implements Fake and calls Run.
//
// The suite drives the real sync loop over a real bbolt state file and
// checks outcomes, not calls: aggregates in state must equal the aggregates
// computed from the orders the fake holds, and the CRM's field values must
// equal what an uninterrupted run would leave.
package conformance

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// Order is an order as the suite seeds it into a fake.
type Order struct {
	ID       string
	Customer connector.CustomerKey
	ClosedAt time.Time
	// Amount in home currency, as a decimal string ("-12.50" for a refund).
	Amount string
	Won    bool
}

// Fault names a failure a fake injects on demand.
type Fault int

// The faults every fake offers.
const (
	// RateLimitBurst: the next few calls answer the CRM's short-window 429.
	RateLimitBurst Fault = iota
	// TokenExpiry: the access token in use expires now.
	TokenExpiry
	// ServerError: the next call answers a 5xx.
	ServerError
	// Maintenance: the CRM answers as it does while down for maintenance
	// or with an expired session it renews (vtenext).
	Maintenance
	// QuotaExhausted: the next call answers the CRM's daily-limit error.
	QuotaExhausted
	// RecordTransient: the next written record is refused for now (a
	// locked row, a per-record timeout) while the others land.
	RecordTransient
)

// Profile is what a fake tells the suite about its CRM.
type Profile struct {
	// Fields is the output → CRM field mapping the suite syncs with; nil
	// means DefaultFieldMap.
	Fields outputs.FieldMap
	// Lag is how long after a change the CRM's incremental read shows it
	// (HubSpot search lag, a query_lag); the suite waits past it.
	Lag time.Duration
	// Faults lists the faults the fake can serve; the suite skips none
	// silently: a fault scenario runs with every fault listed.
	Faults []Fault
}

// FaultCounter is implemented by fakes that count the faults they really
// served, so the suite can tell a healed fault from one never injected.
type FaultCounter interface {
	Served(f Fault) int
}

// Fake is a connector's fake CRM as the suite drives it. Seeding bypasses
// the API; everything the connector does goes through it.
type Fake interface {
	// NewConnector builds a connector as a fresh process would.
	NewConnector(t testing.TB) connector.Connector
	// CustomerType is the object type customers are keyed by.
	CustomerType() string
	// NewCustomer creates a customer record and returns its key.
	NewCustomer(t testing.TB) connector.CustomerKey
	// PutOrder creates an order or changes every field of an existing one;
	// it returns the order's id in the CRM (o.ID may be a hint or empty).
	PutOrder(t testing.TB, o Order) string
	// DeleteOrder deletes (archives) an order.
	DeleteOrder(t testing.TB, id string)
	// Reassign attributes an order to another customer, the way the CRM
	// does it (often without touching the order's modification time).
	Reassign(t testing.TB, id string, to connector.CustomerKey)
	// RemoveCustomer deletes or merges away a customer record.
	RemoveCustomer(t testing.TB, key connector.CustomerKey)
	// Inject makes the fake fail the way f says.
	Inject(f Fault)
	// Advance moves the fake's clock (past search lag, token lifetimes…).
	Advance(d time.Duration)
	// Now is the fake's clock.
	Now() time.Time
	// Fields returns the CRM's current values of a customer's fields.
	Fields(t testing.TB, key connector.CustomerKey) map[string]string
	// RejectWrites makes the CRM refuse every write to that one customer
	// with a value-level validation error (e.g. a field locked by a rule).
	RejectWrites(t testing.TB, key connector.CustomerKey)
	// EditField changes a customer's field as a person in the CRM would.
	EditField(t testing.TB, key connector.CustomerKey, field, value string)
	// Profile describes the fake's CRM to the suite.
	Profile() Profile
}

// DefaultFieldMap is the output → CRM field mapping the suite syncs with
// unless a fake's Profile names its own; fakes that need fields to exist
// create these.
var DefaultFieldMap = outputs.Single(map[string]string{
	outputs.R:                "rfm_r",
	outputs.F:                "rfm_f",
	outputs.M:                "rfm_m",
	outputs.RFM:              "rfm_code",
	outputs.Segment:          "rfm_segment",
	outputs.Monetary:         "rfm_monetary",
	outputs.Frequency:        "rfm_frequency",
	outputs.LastPurchaseAt:   "rfm_last_purchase_at",
	outputs.PreviousSegment:  "rfm_previous_segment",
	outputs.SegmentChangedAt: "rfm_segment_changed_at",
})

// WindowDays is the suite's look-back window.
const WindowDays = 730

// world is one scenario: a fake, the suite's own record of its orders, and
// a state file that survives simulated restarts.
type world struct {
	t       *testing.T
	fake    Fake
	profile Profile
	orders  map[string]Order
	path    string
}

func newWorld(t *testing.T, fake Fake) *world {
	p := fake.Profile()
	if p.Fields == nil {
		p.Fields = DefaultFieldMap
	}
	return &world{t: t, fake: fake, profile: p, orders: map[string]Order{}, path: filepath.Join(t.TempDir(), "state.db")}
}

// field is the CRM field an output is written to on the fake's customers.
func (w *world) field(output string) string {
	return w.profile.Fields[output].For(w.fake.CustomerType())
}

// supports reports whether the fake serves a fault.
func (w *world) supports(f Fault) bool { return slices.Contains(w.profile.Faults, f) }

func (w *world) put(o Order) string {
	w.t.Helper()
	id := w.fake.PutOrder(w.t, o)
	o.ID = id
	w.orders[id] = o
	return id
}

func (w *world) del(id string) {
	w.fake.DeleteOrder(w.t, id)
	delete(w.orders, id)
}

func (w *world) reassign(id string, to connector.CustomerKey) {
	w.fake.Reassign(w.t, id, to)
	o := w.orders[id]
	o.Customer = to
	w.orders[id] = o
}

// seed creates customers and a spread of orders over the last two years,
// refunds, zero amounts and lost deals among them.
func (w *world) seed(customers, orders int) []connector.CustomerKey {
	keys := make([]connector.CustomerKey, customers)
	for i := range keys {
		keys[i] = w.fake.NewCustomer(w.t)
	}
	now := w.fake.Now()
	for i := 0; i < orders; i++ {
		amount := fmt.Sprintf("%d.%02d", 10+(i*37)%900, (i*13)%100)
		switch {
		case i%17 == 5:
			amount = "-" + amount
		case i%23 == 7:
			amount = "0"
		}
		w.put(Order{
			Customer: keys[(i*7)%customers],
			ClosedAt: now.Add(-time.Duration(1+(i*97)%(700*24)) * time.Hour).Truncate(time.Second),
			Amount:   amount,
			Won:      i%11 != 3,
		})
	}
	return keys
}

// settle moves the fake's clock past its lag, as time passes between runs.
func (w *world) settle() { w.fake.Advance(max(15*time.Minute, 2*w.profile.Lag)) }

// sync runs the loop once against a fresh connector and state handle.
func (w *world) sync(dry bool) (*syncloop.Report, error) {
	w.t.Helper()
	return w.syncAt(dry, time.Time{})
}

// syncAt is sync with a pinned asof (zero: the run's own).
func (w *world) syncAt(dry bool, asof time.Time) (*syncloop.Report, error) {
	w.t.Helper()
	db, err := state.Open(w.path, state.Options{LockTimeout: time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	conn := w.fake.NewConnector(w.t)
	defer conn.Close()
	o := w.options(conn, db, dry)
	o.AsOf = asof
	return syncloop.Run(context.Background(), o)
}

func (w *world) runWith(conn connector.Connector, db *state.DB, dry bool) (*syncloop.Report, error) {
	return syncloop.Run(context.Background(), w.options(conn, db, dry))
}

func (w *world) options(conn connector.Connector, db *state.DB, dry bool) syncloop.Options {
	return syncloop.Options{
		Connector: conn, State: db, Params: rfm.DefaultParams(), WindowDays: WindowDays,
		Fields: w.profile.Fields, PullFingerprint: "conformance", ScoreFingerprint: "conformance",
		DryRun: dry, Now: w.fake.Now,
	}
}

// transientFaults are the faults a run must heal by itself, of those the
// fake serves.
func (w *world) transientFaults() []Fault {
	var out []Fault
	for _, f := range []Fault{TokenExpiry, RateLimitBurst, ServerError, Maintenance} {
		if w.supports(f) {
			out = append(out, f)
		}
	}
	return out
}

// checkServed asserts the fake really served a fault it was asked to.
func (w *world) checkServed(f Fault) {
	w.t.Helper()
	if fc, ok := w.fake.(FaultCounter); ok && fc.Served(f) == 0 {
		w.t.Errorf("fault %d was never served: the scenario passed without it", f)
	}
}

// mustSyncAt runs one sync with a pinned asof (a run that resumes the
// same day), failing the test on error.
func (w *world) mustSyncAt(dry bool, asof time.Time) *syncloop.Report {
	w.t.Helper()
	rep, err := w.syncAt(dry, asof)
	if err != nil {
		w.t.Fatalf("sync: %v (report: %+v)", err, rep)
	}
	return rep
}

func (w *world) mustSync(dry bool) *syncloop.Report {
	w.t.Helper()
	rep, err := w.sync(dry)
	if err != nil {
		w.t.Fatalf("sync: %v (report: %+v)", err, rep)
	}
	return rep
}

// expected computes every customer's aggregate from the suite's own record.
func (w *world) expected() map[connector.CustomerKey]rfm.Aggregate {
	win := rfm.Window{AsOf: rfm.InstantOf(w.fake.Now()), Days: WindowDays}
	out := map[connector.CustomerKey]rfm.Aggregate{}
	for _, o := range w.orders {
		if !o.Won || o.Customer.ID == "" {
			continue
		}
		at := rfm.InstantOf(o.ClosedAt)
		amount, err := rfm.ParseAmount(o.Amount)
		if err != nil || !win.Contains(at) {
			continue
		}
		a := out[o.Customer]
		a.Add(at, amount)
		out[o.Customer] = a
	}
	return out
}

// checkAggregates asserts state holds exactly the expected aggregates.
func (w *world) checkAggregates() {
	w.t.Helper()
	db, err := state.Open(w.path, state.Options{LockTimeout: time.Second, ReadOnly: true})
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	want := w.expected()
	win := rfm.Window{AsOf: rfm.InstantOf(w.fake.Now()), Days: WindowDays}
	got := map[connector.CustomerKey]rfm.Aggregate{}
	err = db.Customers(win, func(k connector.CustomerKey, a rfm.Aggregate) error {
		if a.Orders > 0 {
			got[k] = a
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	for k, a := range want {
		g, ok := got[k]
		if !ok || g.Frequency != a.Frequency || g.Last != a.Last || g.First != a.First || !g.Monetary.Equal(a.Monetary) || g.Orders != a.Orders {
			w.t.Errorf("customer %s: state %+v, want %+v", k, g, a)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			w.t.Errorf("customer %s in state (%+v) but has no qualifying order in the CRM", k, g)
		}
	}
}

// Run runs the whole suite, read half and write half.
func Run(t *testing.T, newFake func(t *testing.T) Fake) {
	t.Run("read", func(t *testing.T) { RunRead(t, newFake) })
	t.Run("write", func(t *testing.T) { RunWrite(t, newFake) })
	t.Run("hostile", func(t *testing.T) { RunHostile(t, newFake) })
}
