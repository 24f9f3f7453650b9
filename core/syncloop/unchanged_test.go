package syncloop

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// fullPathUnchanged is what the full path (planScored, or planInactive
// when s is nil) decides: true when it queues neither a write nor a quiet
// commit.
func fullPathUnchanged(r *run, key connector.CustomerKey, s *rfm.Score, pub state.Published) bool {
	p := &plan{quiet: map[connector.CustomerKey]*state.Published{}}
	if s != nil {
		r.planScored(p, key, s, pub, true, false)
	} else {
		r.planInactive(p, key, pub, false)
	}
	return len(p.updates) == 0 && len(p.quiet) == 0
}

func view(t *testing.T, p state.Published) *state.PublishedView {
	t.Helper()
	v, err := state.ViewOf(p)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// perturb returns pub with one thing changed the way a CRM, a person or
// an older rfmsync could have left it.
func perturb(rng *rand.Rand, pub state.Published) state.Published {
	q := pub
	q.Fields = maps.Clone(pub.Fields)
	names := make([]string, 0, len(q.Fields))
	for n := range q.Fields {
		names = append(names, n)
	}
	name := names[rng.IntN(len(names))]
	switch rng.IntN(7) {
	case 0:
		delete(q.Fields, name)
	case 1:
		q.Fields["extra"] = "x"
	case 2:
		q.Fields[name] += ".0" // same number, other form: written canonically equal
	case 3:
		q.Fields[name] = ""
	case 4:
		q.Segment += "x"
	case 5:
		q.SegmentChangedAt++
	default:
		q.Fields[name] = "other"
	}
	return q
}

// TestUnchangedFastPathAgreesWithFullPath checks the diff's fast path on
// scored and inactive customers against the full path: it never claims
// "unchanged" where the full path would write or commit, and it does claim
// it for records published from the very values.
func TestUnchangedFastPathAgreesWithFullPath(t *testing.T) {
	asof := rfm.InstantOf(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC))
	all := map[string]string{}
	for _, o := range outputs.Names() {
		all[o] = "crm_" + o
	}
	maps := []outputs.FieldMap{
		outputs.Single(all),
		outputs.Single(map[string]string{outputs.Segment: "seg", outputs.RFM: "code", outputs.PreviousSegment: "prev"}),
		outputs.Single(map[string]string{outputs.Monetary: "m", outputs.LastPurchaseAt: "at", outputs.SegmentChangedAt: "ch"}),
		{outputs.Segment: {Default: "seg", ByType: map[string]string{"companies": "cseg"}}, outputs.R: outputs.Named("r")},
		outputs.Single(map[string]string{outputs.Segment: "same", outputs.RFM: "same"}), // shared name: full path only
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fast := 0
	for mi, fm := range maps {
		for _, predict := range []PredictOptions{{}, {HoldoutShare: 0.1, HoldoutKey: []byte("k")}} {
			for _, inactive := range []Inactive{{}, {Label: true, Segment: rfm.Segment{ID: "gone"}}} {
				r := &run{Options: Options{Fields: fm, Inactive: inactive, Predict: predict}, asof: asof, rep: newReport(false)}
				for i := range 300 {
					key := connector.CustomerKey{Type: []string{"contacts", "companies"}[i%2], ID: fmt.Sprintf("c%d", i)}
					s := rfm.Score{
						RecencyDays: int64(rng.IntN(800)), Frequency: int64(1 + rng.IntN(300)),
						Monetary: rfm.MoneyFromMicros(rng.Int64N(1e12)), Last: asof - rfm.Instant(rng.Int64N(1e15)),
						R: uint8(1 + rng.IntN(5)), F: uint8(1 + rng.IntN(5)), M: uint8(1 + rng.IntN(5)),
						Segment: rfm.Segment{ID: []string{"champions", "at_risk", "new"}[rng.IntN(3)]},
					}
					tr := tracking{segment: s.Segment.ID, previous: []string{"", "at_risk"}[rng.IntN(2)]}
					if rng.IntN(4) > 0 {
						tr.changedAt = asof - rfm.Instant(rng.Int64N(1e14))
					}
					values := scoredValues(&s, tr)
					r.predictedValues(values, key, state.Published{})
					pub := state.Published{Fields: crmFields(values, fm, key.Type), Segment: tr.segment, PreviousSegment: tr.previous, SegmentChangedAt: tr.changedAt}
					if len(pub.Fields) == 0 {
						pub.Fields = nil
					}
					if got := r.unchangedScored(key, &s, view(t, pub)); got != (mi != 4) {
						t.Fatalf("map %d: a record published from its own values: unchanged = %v", mi, got)
					} else if got {
						fast++
					}
					if len(pub.Fields) > 0 {
						q := perturb(rng, pub)
						if r.unchangedScored(key, &s, view(t, q)) && !fullPathUnchanged(r, key, &s, q) {
							t.Fatalf("map %d: fast path says unchanged, full path writes: %+v vs %+v", mi, q, values)
						}
					}
					itr := tracking{segment: inactive.trackingID(), previous: tr.previous, changedAt: tr.changedAt}
					in := inactiveValues(inactive, itr)
					ipub := state.Published{Fields: crmFields(in, fm, key.Type), Segment: itr.segment, PreviousSegment: itr.previous, SegmentChangedAt: itr.changedAt}
					if got := r.unchangedInactive(key, view(t, ipub)); got != (mi != 4) {
						t.Fatalf("map %d: an inactive record published from its own values: unchanged = %v", mi, got)
					}
					if q := perturb(rng, ipub); r.unchangedInactive(key, view(t, q)) && !fullPathUnchanged(r, key, nil, q) {
						t.Fatalf("map %d: inactive: fast path says unchanged, full path writes: %+v", mi, q)
					}
				}
			}
		}
	}
	if fast == 0 {
		t.Fatal("the fast path never ran")
	}
}

// TestDateCacheFormatsAsFormatDate checks the cached last_purchase_date
// values, collisions of slots and instants before 1970 included.
func TestDateCacheFormatsAsFormatDate(t *testing.T) {
	var c dateCache
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20_000 {
		i := rfm.Instant(rng.Int64N(1<<52) - 1<<50)
		if rng.IntN(4) == 0 {
			i = i / microsPerDay * microsPerDay // midnight exactly
		}
		if got, want := c.format(i), outputs.FormatDate(i); got != want {
			t.Fatalf("format(%d) = %q, want %q", i, got, want)
		}
	}
}
