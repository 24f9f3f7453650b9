package syncloop_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/rfmsync/rfmsync/core/outputs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/conformance/memcrm"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

type env struct {
	t    *testing.T
	crm  *memcrm.CRM
	path string
	opts syncloop.Options
}

func newEnv(t *testing.T) *env {
	crm := memcrm.New(t0)
	e := &env{t: t, crm: crm, path: filepath.Join(t.TempDir(), "s.db")}
	e.opts = syncloop.Options{
		Params: rfm.DefaultParams(), WindowDays: 730, Now: crm.Now,
		Fields:          outputs.Single(map[string]string{outputs.Segment: "seg", outputs.RFM: "code", outputs.PreviousSegment: "prev"}),
		PullFingerprint: "p1", ScoreFingerprint: "s1",
	}
	for i := 0; i < 6; i++ {
		k := key(i)
		crm.AddCustomer(k)
		for j := 0; j <= i; j++ {
			crm.PutOrder(k.ID+"-"+string(rune('a'+j)), k, t0.Add(-time.Duration(24*(i+j+1))*time.Hour), "100", true)
		}
	}
	return e
}

func key(i int) connector.CustomerKey {
	return connector.CustomerKey{Type: "contacts", ID: string(rune('A' + i))}
}

func (e *env) run(mod func(*syncloop.Options)) (*syncloop.Report, error) {
	e.t.Helper()
	db, err := state.Open(e.path, state.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	o := e.opts
	o.State, o.Connector = db, e.crm.Connector()
	if mod != nil {
		mod(&o)
	}
	return syncloop.Run(context.Background(), o)
}

func TestDryRunWritesAndCommitsNothing(t *testing.T) {
	e := newEnv(t)
	e.crm.PutOrder("bad-amount", key(1), t0, "12,50", true)
	e.crm.PutOrder("no-customer", connector.CustomerKey{Type: "contacts"}, t0, "12", true)
	e.crm.PutOrder("bad-date", key(1), time.Time{}, "12", true)
	rep, err := e.run(func(o *syncloop.Options) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped[rfm.SkipBadAmount] != 1 || rep.Skipped[rfm.SkipNoCustomer] != 1 {
		t.Errorf("skipped = %v, want one bad amount and one missing customer", rep.Skipped)
	}
	if e.crm.Calls()["write"] != 0 || rep.Changed != 6 || rep.WriteCallsNeeded != 1 {
		t.Fatalf("dry run: writes %d, changed %d, calls needed %d", e.crm.Calls()["write"], rep.Changed, rep.WriteCallsNeeded)
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, s := range []string{"dry run", "scored 6 customers", "write calls needed: 1", "rfm_segment", "contacts/A"} {
		if s == "rfm_segment" {
			s = "seg"
		}
		if !strings.Contains(out.String(), s) {
			t.Errorf("plan lacks %q:\n%s", s, out.String())
		}
	}
	// The real run after it still writes everything: the dry run committed no published values.
	rep, err = e.run(nil)
	if err != nil || rep.Written != 6 {
		t.Fatalf("real run after dry run wrote %d, err %v", rep.Written, err)
	}
}

func TestScoreFingerprintChangeRewritesAll(t *testing.T) {
	e := newEnv(t)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	rep, _ := e.run(nil)
	if rep.Written != 0 {
		t.Fatalf("unchanged run wrote %d", rep.Written)
	}
	rep, err := e.run(func(o *syncloop.Options) { o.ScoreFingerprint = "s2" })
	if err != nil || rep.Written != 6 || !rep.FullRewrite {
		t.Fatalf("after a scoring change: written %d, full rewrite %v, err %v", rep.Written, rep.FullRewrite, err)
	}
}

func TestPullFingerprintChangeRepulls(t *testing.T) {
	e := newEnv(t)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	rep, err := e.run(func(o *syncloop.Options) { o.PullFingerprint = "p2" })
	if err != nil || !rep.Repull || rep.Pulled["orders"] != 21 {
		t.Fatalf("after a pull change: repull %v, pulled %v, err %v", rep.Repull, rep.Pulled, err)
	}
	if rep.Written != 0 {
		t.Errorf("re-pull of identical data wrote %d customers", rep.Written)
	}
}

func TestInactiveLabelAndMoves(t *testing.T) {
	e := newEnv(t)
	e.opts.Inactive = syncloop.Inactive{Label: true, Segment: rfm.Segment{ID: "inactive", Label: "Inactive"}}
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	before := e.crm.Fields(key(0))
	e.crm.DeleteOrder("A-a")
	e.crm.Advance(time.Hour)
	rep, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	got := e.crm.Fields(key(0))
	if got["seg"] != "inactive" || got["code"] != "" || got["prev"] != before["seg"] {
		t.Fatalf("inactive customer fields %v (before %v)", got, before)
	}
	if rep.Moves[before["seg"]+" → (inactive)"] != 1 {
		t.Errorf("moves %v lack the move to inactive", rep.Moves)
	}
	// A new order brings it back, counted as a move from inactive.
	e.crm.PutOrder("A-z", key(0), t0, "5", true)
	rep, err = e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	back := e.crm.Fields(key(0))
	if back["seg"] == "inactive" || back["prev"] != "inactive" {
		t.Errorf("returning customer fields %v", back)
	}
	found := false
	for m := range rep.Moves {
		found = found || strings.HasPrefix(m, "(inactive) → ")
	}
	if !found {
		t.Errorf("moves %v lack the return from inactive", rep.Moves)
	}
}

func TestQuotaExhaustedPausesUntilReset(t *testing.T) {
	e := newEnv(t)
	quota := &quotaConn{Connector: e.crm.Connector(), reset: t0.Add(6 * time.Hour)}
	_, err := e.run(func(o *syncloop.Options) { o.Connector = quota })
	if crmerr.ClassOf(err) != crmerr.QuotaExhausted {
		t.Fatalf("err = %v, want quota exhausted", err)
	}
	e.crm.Advance(time.Hour)
	rep, err := e.run(nil)
	if crmerr.ClassOf(err) != crmerr.QuotaExhausted || !strings.Contains(rep.Stopped, "resumes after") {
		t.Fatalf("run before reset: %v, %q", err, rep.Stopped)
	}
	if e.crm.Calls()["read"] != 0 {
		t.Fatalf("a paused run called the CRM %d times", e.crm.Calls()["read"])
	}
	e.crm.Advance(6 * time.Hour)
	if rep, err = e.run(nil); err != nil || rep.Written != 6 {
		t.Fatalf("run after reset: written %d, err %v", rep.Written, err)
	}
}

// A Retry-After of years on a 503 or 429 is no daily limit: the run fails,
// and the next one starts as usual. A reset the connector names beyond any
// CRM's daily reset is capped; a poisoned pause in an old state is ignored.
func TestOnlyContractResetsPauseLaterRuns(t *testing.T) {
	for name, fail := range map[string]error{
		"retry-after 4e9 s": &crmerr.Error{Class: crmerr.Transient, Status: 503, RetryAfter: 4_000_000_000 * time.Second},
		"quota without reset": &crmerr.Error{Class: crmerr.QuotaExhausted, Status: 429,
			RetryAfter: 86400 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.run(func(o *syncloop.Options) { o.Connector = &failConn{e.crm.Connector(), fail} })
			if err == nil {
				t.Fatal("a failing read succeeded")
			}
			if rep, err := e.run(nil); err != nil || rep.Written != 6 {
				t.Fatalf("the next run against a healthy CRM: written %d, err %v", rep.Written, err)
			}
		})
	}
	t.Run("reset capped at MaxPause", func(t *testing.T) {
		e := newEnv(t)
		far := t0.Add(100 * 24 * time.Hour)
		if _, err := e.run(func(o *syncloop.Options) { o.Connector = &quotaConn{e.crm.Connector(), far} }); crmerr.ClassOf(err) != crmerr.QuotaExhausted {
			t.Fatalf("err = %v", err)
		}
		e.crm.Advance(crmerr.MaxPause + time.Minute)
		if rep, err := e.run(nil); err != nil || rep.Written != 6 {
			t.Fatalf("run after MaxPause: written %d, err %v", rep.Written, err)
		}
	})
	t.Run("poisoned state", func(t *testing.T) {
		e := newEnv(t)
		db, err := state.Open(e.path, state.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetMeta("quota.reset_at", []byte("2163-01-01T00:00:00Z")); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if rep, err := e.run(nil); err != nil || rep.Written != 6 {
			t.Fatalf("run with a pause of a century persisted: written %d, err %v", rep.Written, err)
		}
	})
}

type failConn struct {
	*memcrm.Connector
	err error
}

func (f *failConn) ReadPage(context.Context, connector.ReadRequest) (connector.Page, error) {
	return connector.Page{}, f.err
}

type quotaConn struct {
	*memcrm.Connector
	reset time.Time
}

func (q *quotaConn) ReadPage(context.Context, connector.ReadRequest) (connector.Page, error) {
	return connector.Page{}, &crmerr.Error{Class: crmerr.QuotaExhausted, Status: 429, Code: "DAILY", ResetAt: q.reset}
}

func TestRepairPassRewritesValuesChangedInTheCRM(t *testing.T) {
	e := newEnv(t)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	want := e.crm.Fields(key(2))
	e.crm.SetField(key(2), "seg", "champions_by_hand")
	e.crm.Advance(time.Minute)
	rep, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Repaired != 1 || rep.Written != 1 {
		t.Fatalf("repaired %d, written %d; want 1 and 1", rep.Repaired, rep.Written)
	}
	if got := e.crm.Fields(key(2)); got["seg"] != want["seg"] {
		t.Fatalf("after repair seg = %q, want %q", got["seg"], want["seg"])
	}
	e.crm.Advance(time.Minute)
	rep, _ = e.run(nil)
	if rep.Repaired != 0 || rep.Written != 0 {
		t.Fatalf("a clean CRM was repaired: %+v", rep)
	}
}

func TestRecalibrationReplacesStaleCuts(t *testing.T) {
	e := newEnv(t)
	// Stale cuts put everyone in F1: nobody has more than 100 orders.
	e.opts.Params.F = rfm.Scale{Method: rfm.Threshold, Cuts: []rfm.Money{rfm.MoneyFromInt(100), rfm.MoneyFromInt(200), rfm.MoneyFromInt(300), rfm.MoneyFromInt(400)}}
	rep, err := e.run(nil)
	if err != nil || rep.FDist[1] != 6 {
		t.Fatalf("stale cuts: F distribution %v, err %v", rep.FDist, err)
	}
	e.opts.Recalibrate = map[rfm.Metric]time.Duration{rfm.Frequency: 24 * time.Hour}
	rep, err = e.run(nil)
	if err != nil || len(rep.Recalibrated) != 1 || rep.FDist[1] == 6 {
		t.Fatalf("recalibrated: %v, F distribution %v, err %v", rep.Recalibrated, rep.FDist, err)
	}
	// Within the period the stored cuts are reused, not recomputed.
	e.crm.Advance(time.Hour)
	rep, _ = e.run(nil)
	if len(rep.Recalibrated) != 0 || rep.FDist[1] == 6 {
		t.Fatalf("within the period: %v, F distribution %v", rep.Recalibrated, rep.FDist)
	}
}

func TestClearedCustomerReturnsAsWinBack(t *testing.T) {
	e := newEnv(t) // default inactive treatment: clear
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	e.crm.DeleteOrder("A-a")
	e.crm.Advance(time.Hour)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	if got := e.crm.Fields(key(0)); got["seg"] != "" || got["code"] != "" {
		t.Fatalf("inactive customer not cleared: %v", got)
	}
	e.crm.PutOrder("A-z", key(0), t0, "5", true)
	e.crm.Advance(time.Hour)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	if got := e.crm.Fields(key(0)); got["seg"] == "" || got["prev"] != "inactive" {
		t.Fatalf("returning customer: %v, want previous segment inactive (a win-back, not a new customer)", got)
	}
}

func TestGoneCustomerRestoredInCRMIsWrittenAgain(t *testing.T) {
	e := newEnv(t)
	e.crm.RemoveCustomer(key(3))
	rep, err := e.run(nil)
	if err != nil || rep.NotFound != 1 {
		t.Fatalf("first run: not found %d, err %v", rep.NotFound, err)
	}
	e.crm.AddCustomer(key(3)) // restored from the CRM's recycle bin
	e.crm.Advance(time.Hour)
	rep, err = e.run(nil)
	if err != nil || rep.Restored != 1 || rep.Written != 1 {
		t.Fatalf("after restore: restored %d, written %d, err %v", rep.Restored, rep.Written, err)
	}
	if e.crm.Fields(key(3))["seg"] == "" {
		t.Fatal("restored customer has no segment")
	}
}

// Core keeps one currency per source for every CRM: the first one seen,
// remembered across runs, or the connector's pinned one; a datetime
// without an offset is skipped, never read as UTC.
func TestOneCurrencyAndOffsetsAreCoreRules(t *testing.T) {
	e := newEnv(t)
	at := t0.Add(-48 * time.Hour).Format(time.RFC3339)
	e.crm.SetRaw("B-a", at, "eur")
	e.crm.SetRaw("C-a", at, "USD")
	e.crm.SetRaw("D-a", t0.Add(-48*time.Hour).Format("2006-01-02T15:04:05"), "")
	rep, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped[syncloop.SkipSecondCurrency] != 1 || rep.Skipped[rfm.SkipNoOffset] != 1 {
		t.Fatalf("skipped = %v, want one second currency (USD after EUR) and one datetime without offset", rep.Skipped)
	}
	// The first currency seen is remembered: a later run still refuses USD.
	e.crm.SetRaw("E-a", at, "USD")
	e.crm.SetRaw("E-b", at, "EUR")
	e.crm.Advance(time.Hour)
	rep, err = e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped[syncloop.SkipSecondCurrency] != 1 {
		t.Errorf("second run skipped %v, want E-a's USD only", rep.Skipped)
	}
	// A pinned currency wins over the first one seen.
	e.crm.PinCurrency("USD")
	e.crm.SetRaw("F-a", at, "EUR")
	e.crm.Advance(time.Hour)
	rep, err = e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped[syncloop.SkipSecondCurrency] != 1 {
		t.Errorf("pinned USD: skipped %v, want F-a's EUR", rep.Skipped)
	}
}

// A value the CRM hands back in another form (545.0 for 545, a datetime
// without milliseconds) is the same value: neither the repair pass nor the
// diff rewrites it.
func TestCanonicalValuesAreNotRepaired(t *testing.T) {
	e := newEnv(t)
	e.opts.Fields = outputs.Single(map[string]string{outputs.R: "r", outputs.Frequency: "freq",
		outputs.LastPurchaseAt: "last", outputs.Segment: "seg"})
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	k := key(4)
	f := e.crm.Fields(k)
	last, err := time.Parse(outputs.TimeLayout, f["last"])
	if err != nil {
		t.Fatalf("last purchase %q: %v", f["last"], err)
	}
	e.crm.SetField(k, "r", f["r"]+".000")
	e.crm.SetField(k, "freq", f["freq"]+".0")
	e.crm.SetField(k, "last", last.Format("2006-01-02T15:04:05-0700"))
	e.crm.Advance(time.Minute)
	rep, err := e.run(func(o *syncloop.Options) { o.AsOf = t0 })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Repaired != 0 || rep.Written != 0 {
		t.Errorf("values that only look different were repaired %d / written %d times", rep.Repaired, rep.Written)
	}
	e.crm.SetField(k, "r", "9")
	e.crm.Advance(time.Minute)
	rep, err = e.run(func(o *syncloop.Options) { o.AsOf = t0 })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Repaired != 1 || rep.Written != 1 {
		t.Errorf("a real edit: repaired %d, written %d; want 1 and 1", rep.Repaired, rep.Written)
	}
}

// failRereadAfter lets n re-read batches through, then fails the next.
type failRereadAfter struct {
	*memcrm.Connector
	n     int
	asked [][]string
}

func (f *failRereadAfter) RereadOrders(ctx context.Context, source string, ids []string) ([]connector.Record, error) {
	if f.n == 0 {
		return nil, &crmerr.Error{Class: crmerr.Transient, Message: "down"}
	}
	f.n--
	f.asked = append(f.asked, ids)
	return f.Connector.RereadOrders(ctx, source, ids)
}

// An interrupted re-read resumes after the last batch it applied instead
// of starting over; a deletion it finds is applied like any change.
func TestInterruptedRereadResumes(t *testing.T) {
	crm := memcrm.NewShaped(memcrm.VtenextShape, t0)
	e := newEnv(t)
	e.crm, e.opts.Now = crm, crm.Now
	for i := 0; i < 3; i++ {
		crm.AddCustomer(key(i))
	}
	for j := 0; j < 120; j++ {
		crm.PutOrder(fmt.Sprintf("o%03d", j), key(j%3), t0.Add(-time.Duration(j+1)*time.Hour), "10", true)
	}
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	crm.DeleteOrder("o110") // invisible to the vtenext-shaped pull
	crm.Advance(time.Hour)
	broken := &failRereadAfter{Connector: crm.Connector(), n: 1}
	_, err := e.run(func(o *syncloop.Options) { o.Connector = broken })
	if crmerr.ClassOf(err) != crmerr.Transient || len(broken.asked) != 1 {
		t.Fatalf("interrupted re-read: %v after %d batches", err, len(broken.asked))
	}
	firstBatchEnd := broken.asked[0][len(broken.asked[0])-1]
	again := &failRereadAfter{Connector: crm.Connector(), n: 100}
	rep, err := e.run(func(o *syncloop.Options) { o.Connector = again })
	if err != nil {
		t.Fatal(err)
	}
	if len(again.asked) == 0 || again.asked[0][0] <= firstBatchEnd {
		t.Fatalf("the resumed re-read started at %v, want after %s", again.asked, firstBatchEnd)
	}
	if rep.Reread["orders"] == nil || rep.Reread["orders"].Deleted != 1 {
		t.Errorf("re-read report %+v, want the one deleted order", rep.Reread)
	}
}

// With less than the reserve of the daily allocation left, the due scans
// and the repair pass wait (and say so) while the pull and writes go on;
// they run once quota is back.
func TestLowQuotaPutsOffScans(t *testing.T) {
	e := newEnv(t)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	e.crm.SetDailyQuota(95, 100)
	e.crm.PutOrder("new", key(0), t0.Add(-time.Minute), "5", true)
	e.crm.Advance(time.Hour)
	calls := e.crm.Calls()
	rep, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.QuotaSkipped) != 3 || len(rep.Scans) != 0 {
		t.Errorf("quota skipped %v, scans %v; want the deletion scan, re-read and repair put off", rep.QuotaSkipped, rep.Scans)
	}
	after := e.crm.Calls()
	if after["reread"] != calls["reread"] || after["read_fields"] != calls["read_fields"] || rep.Pulled["orders"] == 0 {
		t.Errorf("calls %v → %v, pulled %v: scans must cost nothing, the pull must run", calls, after, rep.Pulled)
	}
	e.crm.SetDailyQuota(10, 100)
	e.crm.Advance(time.Hour)
	rep, err = e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.QuotaSkipped) != 0 || len(rep.Scans) != 3 {
		t.Errorf("with quota back: skipped %v, scans %v", rep.QuotaSkipped, rep.Scans)
	}
}

// The printed report names segments by label, as the page and the demo do.
func TestReportPrintsSegmentLabels(t *testing.T) {
	e := newEnv(t)
	rep, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	rep.Print(&b)
	out := b.String()
	for id := range rep.Segments {
		label := ""
		for _, r := range e.opts.Params.Segments.Rules() {
			if r.ID == id {
				label = r.Label
			}
		}
		if label == "" || label == id {
			continue
		}
		if !strings.Contains(out, "  "+label) || strings.Contains(out, "  "+id+" ") {
			t.Errorf("segment %s printed by id, want its label %q:\n%s", id, label, out)
		}
	}
}

// failDeletedAfter lets n deletion-scan pages through, then fails.
type failDeletedAfter struct {
	*memcrm.Connector
	n       int
	cursors []string
}

func (f *failDeletedAfter) ReadDeletedPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	if f.n == 0 {
		return connector.Page{}, &crmerr.Error{Class: crmerr.Transient, Message: "down"}
	}
	f.n--
	f.cursors = append(f.cursors, string(req.Cursor))
	return f.Connector.ReadDeletedPage(ctx, req)
}

// An interrupted deletion scan resumes from the page after the last one it
// committed, and the deletions of the pages it read are kept.
func TestInterruptedDeletionScanResumes(t *testing.T) {
	e := newEnv(t)
	for j := 0; j < 40; j++ {
		e.crm.PutOrder(fmt.Sprintf("d%03d", j), key(j%6), t0.Add(-time.Duration(j+1)*time.Hour), "10", true)
	}
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 40; j++ {
		e.crm.DeleteOrder(fmt.Sprintf("d%03d", j)) // the HubSpot shape's pull does not see these
	}
	e.crm.Advance(time.Hour)
	broken := &failDeletedAfter{Connector: e.crm.Connector(), n: 2}
	if _, err := e.run(func(o *syncloop.Options) { o.Connector = broken }); crmerr.ClassOf(err) != crmerr.Transient {
		t.Fatalf("interrupted scan: %v", err)
	}
	again := &failDeletedAfter{Connector: e.crm.Connector(), n: 100}
	rep, err := e.run(func(o *syncloop.Options) { o.Connector = again })
	if err != nil {
		t.Fatal(err)
	}
	if len(again.cursors) == 0 || again.cursors[0] == "" {
		t.Fatalf("the scan started over instead of resuming: cursors %q", again.cursors)
	}
	if got := rep.Applied["orders"].Deleted; got != 40-2*memcrm.PageSize {
		t.Errorf("the resumed scan removed %d orders, want the %d the first run had not reached", got, 40-2*memcrm.PageSize)
	}
}
