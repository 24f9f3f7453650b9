package syncloop

import (
	"cmp"
	"fmt"
	"maps"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// scoredSet is the run's scores with the customer key of each, in key order.
type scoredSet struct {
	keys   []connector.CustomerKey
	scores []rfm.Score
}

// update is one customer's pending write: the CRM fields that change, and
// the published record to commit once the CRM accepted them.
type update struct {
	key    connector.CustomerKey
	fields map[string]string
	next   state.Published
	// prev is what the CRM last accepted, kept if the record turns out gone.
	prev state.Published
}

// plan is everything the write phase does.
type plan struct {
	updates []update
	// quiet are published records that change without a CRM write (segment
	// history of an unmapped segment field), committed directly.
	quiet map[connector.CustomerKey]*state.Published
}

// moveNone and moveInactive name the ends of moves that are not segments.
const (
	moveNone     = "(none)"
	moveInactive = "(inactive)"
)

// score folds every customer's window aggregate and scores the scorable ones.
func (r *run) score() (scoredSet, error) {
	w := rfm.Window{AsOf: r.asof, Days: r.WindowDays}
	var set scoredSet
	// Sized up front: growing slices of a million customers costs more than
	// the fold itself.
	n, err := r.db.CustomerCount()
	if err != nil {
		return set, err
	}
	set.keys = make([]connector.CustomerKey, 0, n)
	cs := make([]rfm.Customer, 0, n)
	err = r.db.Customers(w, func(k connector.CustomerKey, agg rfm.Aggregate) error {
		if agg.Scorable() {
			set.keys = append(set.keys, k)
			cs = append(cs, rfm.Customer{Key: k.ID, Agg: agg})
		}
		return nil
	})
	if err != nil {
		return set, err
	}
	if err := r.calibrate(cs); err != nil {
		return set, err
	}
	set.scores = rfm.ScoreAll(cs, r.asof, r.Params)
	r.rep.addScores(set.scores, r.Params.Bins)
	// The summary for people only reads the scores: it runs beside the
	// predictions and the diff, on the other core (steps waits for it).
	done := make(chan struct{})
	r.insightDone = done
	go func() {
		defer close(done)
		r.addInsight(set.scores)
	}()
	return set, nil
}

// writeCalls is the number of API calls writing n updates of one type
// takes: the connector's own count when it has one (one call per record on
// vtenext), else one call per MaxBatch updates.
func (r *run) writeCalls(n int) int {
	if wp, ok := r.conn.(connector.WritePlanner); ok {
		return wp.WriteCalls(n)
	}
	size := max(1, r.conn.MaxBatch())
	return (n + size - 1) / size
}

// kindsOf returns field name → kind for one customer type, built once per type.
func (r *run) kindsOf(typ string) map[string]outputs.Kind {
	if k, ok := r.kinds[typ]; ok {
		return k
	}
	if r.kinds == nil {
		r.kinds = map[string]map[string]outputs.Kind{}
	}
	r.kinds[typ] = r.Fields.KindsForType(typ)
	return r.kinds[typ]
}

func compareKeys(a, b connector.CustomerKey) int {
	if c := cmp.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// plan diffs the scores against what was last published, walking both in
// key order so memory holds only the changes, not every published record.
func (r *run) plan(set scoredSet, forceAll bool) (*plan, error) {
	p := &plan{quiet: map[connector.CustomerKey]*state.Published{}}
	i := 0
	err := r.db.ForEachPublishedView(func(key connector.CustomerKey, v *state.PublishedView) error {
		for i < len(set.keys) && compareKeys(set.keys[i], key) < 0 {
			r.planScored(p, set.keys[i], &set.scores[i], state.Published{}, false, forceAll)
			i++
		}
		scored := i < len(set.keys) && set.keys[i] == key
		// Most customers need nothing: proven on the stored bytes
		// (unchanged.go), else decided on the decoded record.
		if provenUnchanged && !forceAll && (scored && r.unchangedScored(key, &set.scores[i], v) || !scored && r.unchangedInactive(key, v)) {
			if scored {
				i++
			}
			return nil
		}
		pub, err := v.Decode()
		if err != nil {
			return fmt.Errorf("published %q: %w", key, err)
		}
		if scored {
			r.planScored(p, key, &set.scores[i], pub, true, forceAll)
			i++
			return nil
		}
		r.planInactive(p, key, pub, forceAll)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for ; i < len(set.keys); i++ {
		r.planScored(p, set.keys[i], &set.scores[i], state.Published{}, false, forceAll)
	}
	r.rep.planned(p, r.writeCalls, r.SampleSize)
	if qr, ok := r.conn.(connector.QuotaReporter); ok {
		if left, known := qr.DailyRemaining(); known {
			r.rep.DailyRemaining = &left
		}
	}
	return p, nil
}

func (r *run) planScored(p *plan, key connector.CustomerKey, s *rfm.Score, pub state.Published, known, forceAll bool) {
	if pub.GoneAt != 0 {
		r.rep.Gone++
		return
	}
	tr := tracking{segment: pub.Segment, previous: pub.PreviousSegment, changedAt: pub.SegmentChangedAt}
	next, moved := tr.advance(s.Segment.ID, known, r.asof)
	if moved {
		from := pub.Segment
		if !known {
			from = moveNone
		} else if from == r.Inactive.trackingID() {
			from = moveInactive
		}
		r.rep.addMove(from, s.Segment.ID)
	}
	values := scoredValues(s, next)
	r.predictedValues(values, key, pub)
	r.addUpdate(p, key, pub, next, crmFields(values, r.Fields, key.Type), forceAll)
}

func (r *run) planInactive(p *plan, key connector.CustomerKey, pub state.Published, forceAll bool) {
	if pub.GoneAt != 0 {
		r.rep.Gone++
		return
	}
	tr := tracking{segment: pub.Segment, previous: pub.PreviousSegment, changedAt: pub.SegmentChangedAt}
	next, moved := tr.advance(r.Inactive.trackingID(), true, r.asof)
	if moved {
		r.rep.addMove(pub.Segment, moveInactive)
		r.rep.Inactivated++
	}
	r.addUpdate(p, key, pub, next, crmFields(inactiveValues(r.Inactive, next), r.Fields, key.Type), forceAll)
}

// addUpdate queues the fields that differ from what the CRM last accepted.
func (r *run) addUpdate(p *plan, key connector.CustomerKey, pub state.Published, tr tracking, desired map[string]string, forceAll bool) {
	next := state.Published{Fields: desired, Segment: tr.segment, PreviousSegment: tr.previous, SegmentChangedAt: tr.changedAt}
	changed := map[string]string{}
	kinds := r.kindsOf(key.Type)
	for field, v := range desired {
		old, had := pub.Fields[field]
		// Compared canonically by kind: what the CRM last accepted may read
		// back as 545.0 or ….000+0000, and is still the value we want.
		if forceAll || !outputs.Equal(kinds[field], old, v) && (had || v != "") {
			changed[field] = v
		}
	}
	if len(changed) > 0 {
		p.updates = append(p.updates, update{key: key, fields: changed, next: next, prev: pub})
		return
	}
	if next.Segment != pub.Segment || next.PreviousSegment != pub.PreviousSegment ||
		next.SegmentChangedAt != pub.SegmentChangedAt || !maps.Equal(next.Fields, pub.Fields) {
		p.quiet[key] = &next
	}
}
