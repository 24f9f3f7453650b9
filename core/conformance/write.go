package conformance

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// RunWrite is the write half: diff-only writes, clearing, rejected records,
// crashes between a write and its commit, faults during writes.
func RunWrite(t *testing.T, newFake func(t *testing.T) Fake) {
	t.Run("FirstSyncThenNoWrites", func(t *testing.T) {
		w := newWorld(t, newFake(t))
		keys := w.seed(25, 200)
		w.settle()
		asof := w.fake.Now()
		rep := w.mustSync(false)
		if rep.Written == 0 || rep.WriteCalls == 0 {
			t.Fatalf("first sync wrote nothing: %+v", rep)
		}
		w.checkFields(keys, asof)
		w.settle()
		rep = w.mustSync(false)
		if rep.WriteCalls != 0 || rep.Changed != 0 {
			t.Errorf("second sync with no change made %d write calls for %d customers", rep.WriteCalls, rep.Changed)
		}
	})

	t.Run("CustomerWhoStopsQualifyingIsCleared", func(t *testing.T) {
		w := newWorld(t, newFake(t))
		keys := w.seed(12, 80)
		w.settle()
		w.mustSync(false)
		victim := keys[3]
		before := w.fake.Fields(t, victim)
		segField := w.field(outputs.Segment)
		if before[segField] == "" {
			t.Fatalf("customer %s has no segment after the first sync: %v", victim, before)
		}
		for id, o := range w.orders {
			if o.Customer == victim {
				w.del(id)
			}
		}
		w.settle()
		rep := w.mustSync(false)
		after := w.fake.Fields(t, victim)
		for out := range w.profile.Fields {
			field := w.field(out)
			switch out {
			case outputs.PreviousSegment:
				if after[field] != before[segField] {
					t.Errorf("previous_segment = %q, want the segment it left, %q", after[field], before[segField])
				}
			case outputs.SegmentChangedAt:
				if after[field] == "" {
					t.Errorf("segment_changed_at not set on the move to inactive")
				}
			default:
				if after[field] != "" {
					t.Errorf("%s = %q after the customer lost every order, want cleared", field, after[field])
				}
			}
		}
		if rep.Inactivated != 1 {
			t.Errorf("report counts %d inactivated customers, want 1", rep.Inactivated)
		}
	})

	t.Run("RejectedRecordDoesNotBlockOthers", func(t *testing.T) {
		w := newWorld(t, newFake(t))
		keys := w.seed(15, 90)
		w.settle()
		w.fake.RejectWrites(t, keys[2])
		asof := w.fake.Now()
		rep, err := w.sync(false)
		if err != nil {
			t.Fatalf("a value-level rejection stopped the run: %v", err)
		}
		if rep.Rejected != 1 || len(rep.SampleRejected) != 1 {
			t.Errorf("report: %d rejected (%v), want 1", rep.Rejected, rep.SampleRejected)
		}
		others := append(append([]connector.CustomerKey{}, keys[:2]...), keys[3:]...)
		w.checkFields(others, asof)
	})

	t.Run("DeletedCustomerIsNotRetriedForever", func(t *testing.T) {
		w := newWorld(t, newFake(t))
		keys := w.seed(10, 60)
		w.settle()
		w.mustSync(false)
		w.fake.RemoveCustomer(t, keys[4])
		w.settle()
		// The loop learns of the deletion from a refused write or from the
		// repair pass's read-back, whichever comes first.
		rep := w.mustSync(false)
		if rep.NotFound+rep.Gone == 0 {
			t.Errorf("the deleted customer went unnoticed: not found %d, gone %d", rep.NotFound, rep.Gone)
		}
		w.settle()
		// The CRM may also drop the customer's orders (HubSpot drops the
		// associations of a deleted contact), which moves other scores; what
		// must not happen is another write to the deleted record.
		rep = w.mustSync(false)
		if rep.NotFound != 0 {
			t.Errorf("the deleted customer was written again: %d not-found answers", rep.NotFound)
		}
	})

	t.Run("CrashBetweenWriteAndCommit", func(t *testing.T) {
		for _, after := range []int{0, 1, 2} {
			t.Run(strconv.Itoa(after), func(t *testing.T) {
				w := newWorld(t, newFake(t))
				keys := w.seed(30, 200)
				w.settle()
				asof := w.fake.Now()
				db, err := state.Open(w.path, state.Options{LockTimeout: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				conn := &crashAfterWrites{wrapped: wrapped{w.fake.NewConnector(t)}, writes: after}
				if _, err := w.runWith(conn, db, false); !errors.Is(err, errCrash) {
					t.Fatalf("run with a crash after %d writes: %v", after, err)
				}
				db.Close()
				w.fake.Advance(time.Minute) // the restart comes a minute later
				w.mustSync(false)
				w.checkFields(keys, asof)
				rep := w.mustSync(false)
				if rep.WriteCalls != 0 {
					t.Errorf("after recovery a further sync still wrote %d calls", rep.WriteCalls)
				}
			})
		}
	})

	t.Run("RepairAfterHandEdit", func(t *testing.T) {
		w := newWorld(t, newFake(t))
		keys := w.seed(12, 80)
		w.settle()
		asof := w.fake.Now()
		w.mustSync(false)
		var victim connector.CustomerKey
		for _, k := range keys {
			if w.fake.Fields(t, k)[w.field(outputs.Segment)] != "" {
				victim = k
				break
			}
		}
		segField := w.field(outputs.Segment)
		w.fake.EditField(t, victim, segField, "")
		w.fake.EditField(t, victim, w.field(outputs.R), "9")
		// The repair pass is due when the fake's cadence says; a week covers
		// every connector's default.
		w.fake.Advance(8 * 24 * time.Hour)
		rep := w.mustSyncAt(false, asof)
		if rep.Repaired == 0 {
			t.Errorf("the hand edit of %s was not found by the repair pass: %+v", victim, rep)
		}
		w.checkFields(keys, asof)
	})

	// Scenarios of faults a CRM does not have are not run for it: its
	// profile says which it serves.
	served := newFake(t).Profile().Faults
	if slices.Contains(served, RecordTransient) {
		t.Run("RecordTransientIsDeferredThenWritten", func(t *testing.T) {
			w := newWorld(t, newFake(t))
			keys := w.seed(20, 120)
			w.settle()
			asof := w.fake.Now()
			w.fake.Inject(RecordTransient)
			rep := w.mustSyncAt(false, asof)
			if rep.Deferred != 1 {
				t.Fatalf("report: %d deferred, want 1 (%+v)", rep.Deferred, rep.SampleDeferred)
			}
			w.checkServed(RecordTransient)
			rep = w.mustSyncAt(false, asof)
			if rep.Written != 1 || rep.Deferred != 0 {
				t.Errorf("the deferred customer was not written by the next run: written %d, deferred %d", rep.Written, rep.Deferred)
			}
			w.checkFields(keys, asof)
		})
	}

	if slices.Contains(served, QuotaExhausted) {
		t.Run("QuotaExhaustedStopsCleanlyThenResumes", func(t *testing.T) {
			w := newWorld(t, newFake(t))
			keys := w.seed(20, 120)
			w.settle()
			asof := w.fake.Now()
			w.mustSync(true)
			w.fake.Inject(QuotaExhausted)
			rep, err := w.sync(false)
			if !errors.Is(err, crmerr.ErrQuotaExhausted) {
				t.Fatalf("a daily-limit answer must stop the run as quota exhausted: %v", err)
			}
			if rep.Stopped == "" {
				t.Errorf("the report does not say why the run stopped")
			}
			w.checkServed(QuotaExhausted)
			// After the reset the interrupted run is finished with its own asof.
			w.fake.Advance(25 * time.Hour)
			w.mustSync(false)
			w.checkFields(keys, asof)
		})
	}

	t.Run("FaultsDuringWrites", func(t *testing.T) {
		w := newWorld(t, newFake(t))
		keys := w.seed(40, 240)
		w.settle()
		w.mustSync(true) // pull only, so the next run is almost all writes
		asof := w.fake.Now()
		db, err := state.Open(w.path, state.Options{LockTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		conn := &faultBeforeWrites{wrapped: wrapped{w.fake.NewConnector(t)}, fake: w.fake,
			faults: w.transientFaults()}
		if _, err := w.runWith(conn, db, false); err != nil {
			t.Fatalf("writes through %v: %v", w.transientFaults(), err)
		}
		db.Close()
		w.checkFields(keys, asof)
		for _, f := range w.transientFaults() {
			w.checkServed(f)
		}
	})
}

// checkFields asserts the CRM holds, for each customer, exactly the values
// an uninterrupted first sync at asof writes.
func (w *world) checkFields(keys []connector.CustomerKey, asof time.Time) {
	w.t.Helper()
	agg := w.expected()
	var cs []rfm.Customer
	var ks []connector.CustomerKey
	for k, a := range agg {
		if a.Scorable() {
			cs = append(cs, rfm.Customer{Key: k.ID, Agg: a})
			ks = append(ks, k)
		}
	}
	at := rfm.InstantOf(asof)
	scores := rfm.ScoreAll(cs, at, rfm.DefaultParams())
	want := map[connector.CustomerKey]map[string]string{}
	for i, s := range scores {
		values := map[string]string{
			outputs.R:                strconv.Itoa(int(s.R)),
			outputs.F:                strconv.Itoa(int(s.F)),
			outputs.M:                strconv.Itoa(int(s.M)),
			outputs.RFM:              s.Code(),
			outputs.Segment:          s.Segment.ID,
			outputs.RecencyDays:      strconv.FormatInt(s.RecencyDays, 10),
			outputs.Frequency:        strconv.FormatInt(s.Frequency, 10),
			outputs.Monetary:         s.Monetary.Round2(),
			outputs.LastPurchaseAt:   outputs.FormatTime(s.Last),
			outputs.LastPurchaseDate: outputs.FormatDate(s.Last),
			outputs.PreviousSegment:  "",
			outputs.SegmentChangedAt: outputs.FormatTime(at),
		}
		exp := map[string]string{}
		for out := range w.profile.Fields {
			exp[out] = values[out]
		}
		want[ks[i]] = exp
	}
	for _, k := range keys {
		got := w.fake.Fields(w.t, k)
		exp, scored := want[k]
		if !scored {
			for f, v := range got {
				if v != "" {
					w.t.Errorf("unscored customer %s has %s = %q", k, f, v)
				}
			}
			continue
		}
		// Compared canonically by kind: a CRM may hand 4 back as "4.000".
		for out, v := range exp {
			field := w.field(out)
			if !outputs.Equal(outputs.KindOf(out), got[field], v) {
				w.t.Errorf("customer %s: %s (%s) = %q, want %q", k, field, out, got[field], v)
			}
		}
	}
}

// crashAfterWrites lets n batches through, then writes one more batch and
// dies before the loop can commit it: the worst moment for a crash.
type crashAfterWrites struct {
	wrapped
	writes int
}

func (c *crashAfterWrites) WriteBatch(ctx context.Context, ups []connector.Update) (connector.WriteResult, error) {
	res, err := c.Connector.WriteBatch(ctx, ups)
	if c.writes == 0 {
		return connector.WriteResult{}, errCrash
	}
	c.writes--
	return res, err
}

// faultBeforeWrites injects one fault before each of its first writes.
type faultBeforeWrites struct {
	wrapped
	fake   Fake
	faults []Fault
}

func (c *faultBeforeWrites) WriteBatch(ctx context.Context, ups []connector.Update) (connector.WriteResult, error) {
	if len(c.faults) > 0 {
		c.fake.Inject(c.faults[0])
		c.faults = c.faults[1:]
	}
	return c.Connector.WriteBatch(ctx, ups)
}
