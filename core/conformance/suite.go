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
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
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
)

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
}

// FieldMap is the output → CRM field mapping the suite syncs with; fakes
// that need fields to exist create these.
var FieldMap = map[string]string{
	syncloop.OutR:                "rfm_r",
	syncloop.OutF:                "rfm_f",
	syncloop.OutM:                "rfm_m",
	syncloop.OutRFM:              "rfm_code",
	syncloop.OutSegment:          "rfm_segment",
	syncloop.OutMonetary:         "rfm_monetary",
	syncloop.OutFrequency:        "rfm_frequency",
	syncloop.OutLastPurchaseAt:   "rfm_last_purchase_at",
	syncloop.OutPreviousSegment:  "rfm_previous_segment",
	syncloop.OutSegmentChangedAt: "rfm_segment_changed_at",
}

// WindowDays is the suite's look-back window.
const WindowDays = 730

// world is one scenario: a fake, the suite's own record of its orders, and
// a state file that survives simulated restarts.
type world struct {
	t      *testing.T
	fake   Fake
	orders map[string]Order
	path   string
}

func newWorld(t *testing.T, fake Fake) *world {
	return &world{t: t, fake: fake, orders: map[string]Order{}, path: filepath.Join(t.TempDir(), "state.db")}
}

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

// settle moves the fake's clock past any search lag, as time passes between runs.
func (w *world) settle() { w.fake.Advance(15 * time.Minute) }

// sync runs the loop once against a fresh connector and state handle.
func (w *world) sync(dry bool) (*syncloop.Report, error) {
	w.t.Helper()
	db, err := state.Open(w.path, state.Options{LockTimeout: time.Second})
	if err != nil {
		w.t.Fatal(err)
	}
	defer db.Close()
	conn := w.fake.NewConnector(w.t)
	defer conn.Close()
	return w.runWith(conn, db, dry)
}

func (w *world) runWith(conn connector.Connector, db *state.DB, dry bool) (*syncloop.Report, error) {
	return syncloop.Run(context.Background(), syncloop.Options{
		Connector: conn, State: db, Params: rfm.DefaultParams(), WindowDays: WindowDays,
		Fields: FieldMap, PullFingerprint: "conformance", ScoreFingerprint: "conformance",
		DryRun: dry, Now: w.fake.Now,
	})
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
}
