package conformance

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
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
		if before[FieldMap[syncloop.OutSegment]] == "" {
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
		for out, field := range FieldMap {
			switch out {
			case syncloop.OutPreviousSegment:
				if after[field] != before[FieldMap[syncloop.OutSegment]] {
					t.Errorf("previous_segment = %q, want the segment it left, %q", after[field], before[FieldMap[syncloop.OutSegment]])
				}
			case syncloop.OutSegmentChangedAt:
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
			faults: []Fault{TokenExpiry, RateLimitBurst, ServerError}}
		if _, err := w.runWith(conn, db, false); err != nil {
			t.Fatalf("writes through token expiry, 429s and a 5xx: %v", err)
		}
		db.Close()
		w.checkFields(keys, asof)
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
		want[ks[i]] = map[string]string{
			FieldMap[syncloop.OutR]:                strconv.Itoa(int(s.R)),
			FieldMap[syncloop.OutF]:                strconv.Itoa(int(s.F)),
			FieldMap[syncloop.OutM]:                strconv.Itoa(int(s.M)),
			FieldMap[syncloop.OutRFM]:              s.Code(),
			FieldMap[syncloop.OutSegment]:          s.Segment.ID,
			FieldMap[syncloop.OutFrequency]:        strconv.FormatInt(s.Frequency, 10),
			FieldMap[syncloop.OutMonetary]:         s.Monetary.Round2(),
			FieldMap[syncloop.OutLastPurchaseAt]:   syncloop.FormatTime(s.Last),
			FieldMap[syncloop.OutPreviousSegment]:  "",
			FieldMap[syncloop.OutSegmentChangedAt]: syncloop.FormatTime(at),
		}
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
		if !maps.Equal(normalise(got), exp) {
			w.t.Errorf("customer %s fields:\n got %v\nwant %v", k, got, exp)
		}
	}
}

// normalise drops fields the CRM reports empty and keeps only mapped ones.
func normalise(m map[string]string) map[string]string {
	out := map[string]string{}
	for _, field := range FieldMap {
		out[field] = m[field]
	}
	return out
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
