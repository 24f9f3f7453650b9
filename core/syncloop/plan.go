package syncloop

import (
	"cmp"
	"fmt"
	"maps"
	"runtime"
	"sync"

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

// window is the run's look-back window.
func (r *run) window() rfm.Window { return rfm.Window{AsOf: r.asof, Days: r.WindowDays} }

// score folds every customer's window aggregate and scores the scorable ones.
func (r *run) score() (scoredSet, error) {
	var set scoredSet
	keys, cs, err := r.db.Scorable(r.window())
	if err != nil {
		return set, err
	}
	set.keys = keys
	if err := r.calibrate(cs); err != nil {
		return set, err
	}
	set.scores = rfm.ScoreAll(cs, r.asof, r.Params)
	r.rep.addScores(set.scores, r.Params.Bins)
	return set, nil
}

// startInsight builds the summary for people beside the writes: it only
// reads the scores, and the diff before it has every core (steps waits
// for it).
func (r *run) startInsight(scores []rfm.Score) {
	done := make(chan struct{})
	r.insightDone = done
	go func() {
		defer close(done)
		r.addInsight(scores)
	}()
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
// A large base is split into key ranges walked at once, one per core
// (planParts): each range has its own read transaction, caches and
// counters, and the ranges' plans join in key order, so the plan is the
// one a single walk makes.
func (r *run) plan(set scoredSet, forceAll bool) (*plan, error) {
	parts := planParts(len(set.keys))
	subs := make([]*run, parts)
	plans := make([]*plan, parts)
	errs := make([]error, parts)
	panics := make([]any, parts)
	for k := range subs {
		subs[k] = r
		if parts > 1 {
			subs[k] = r.forDiff()
		}
	}
	var wg sync.WaitGroup
	for k := range parts {
		lo, hi := k*len(set.keys)/parts, (k+1)*len(set.keys)/parts
		var from, to *connector.CustomerKey
		if k > 0 {
			from = &set.keys[lo]
		}
		if k < parts-1 {
			to = &set.keys[hi]
		}
		part := scoredSet{keys: set.keys[lo:hi], scores: set.scores[lo:hi]}
		wg.Go(func() {
			defer func() { panics[k] = recover() }()
			plans[k], errs[k] = subs[k].planRange(part, from, to, forceAll)
		})
	}
	wg.Wait()
	for k := range parts {
		if panics[k] != nil {
			panic(panics[k]) // as a single walk would have, on the run's goroutine
		}
		if errs[k] != nil {
			return nil, errs[k]
		}
	}
	p := plans[0]
	for k := range parts {
		if k > 0 {
			p.updates = append(p.updates, plans[k].updates...)
			maps.Copy(p.quiet, plans[k].quiet)
		}
		if parts > 1 {
			r.rep.addDiff(subs[k].rep)
		}
	}
	r.rep.planned(p, r.writeCalls, r.SampleSize)
	if qr, ok := r.conn.(connector.QuotaReporter); ok {
		if left, known := qr.DailyRemaining(); known {
			r.rep.DailyRemaining = &left
		}
	}
	return p, nil
}

// planParts is how many key ranges the diff of n scored customers walks
// at once: one below 100,000 (a range's setup would cost more than it
// saves), else one per core, at most 4.
func planParts(n int) int {
	if n < diffSplitMin {
		return 1
	}
	parts := min(runtime.GOMAXPROCS(0), 4)
	if diffRanges > 0 {
		parts = diffRanges
	}
	return max(1, min(parts, n))
}

// diffSplitMin and diffRanges are planParts' threshold and, when set, its
// count of ranges: tests split small bases into many ranges.
var diffSplitMin, diffRanges = 100_000, 0

// forDiff is a copy of r for one range of a parallel diff: the run's
// options, scores and predictions shared read-only, the caches, the
// holdout chooser and the report's diff counters its own.
func (r *run) forDiff() *run {
	sub := *r
	sub.kinds, sub.slots, sub.lastSlotsType, sub.lastSlots, sub.predBuf = nil, nil, "", nil, nil
	sub.rep = &Report{Moves: map[string]int{}}
	if r.rep.Predict != nil {
		sub.rep.Predict = &PredictReport{}
	}
	if r.pred.holdout != nil {
		sub.pred.holdout = r.pred.holdout.Clone()
	}
	return &sub
}

// planRange diffs the scored customers of set against the published
// records from from (inclusive) to to (exclusive; nil: open). Every key of
// set lies in that range.
func (r *run) planRange(set scoredSet, from, to *connector.CustomerKey, forceAll bool) (*plan, error) {
	p := &plan{quiet: map[connector.CustomerKey]*state.Published{}}
	i := 0
	err := r.db.ForEachPublishedViewRange(from, to, func(key connector.CustomerKey, v *state.PublishedView) error {
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
