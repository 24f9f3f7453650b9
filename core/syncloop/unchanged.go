package syncloop

import (
	"strconv"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// The diff's fast path. Nearly every customer of an incremental sync needs
// nothing: the values the plan would write are, as plain strings, the ones
// published. unchangedScored and unchangedInactive prove that from the
// score and the published record directly, field by field in the mapped
// outputs' order, without building the maps of values and fields that
// addUpdate compares (and allocating little or nothing). Whenever they
// cannot prove it (a value differs, even only in form; a field is missing
// or extra; an output they do not know), the full path decides, so the
// plan is the same whichever path ran.

// fieldSlot is one mapped output and its CRM field for a customer type.
type fieldSlot struct {
	output, name string
}

// typeSlots is the mapped outputs of one customer type; ok is false when
// two outputs share a CRM field name (only the full path handles that).
type typeSlots struct {
	slots     []fieldSlot
	predicted bool // a prediction output or the holdout is mapped
	ok        bool
}

// slotsOf returns the mapped outputs of a customer type, built once per type.
func (r *run) slotsOf(typ string) *typeSlots {
	if t, ok := r.slots[typ]; ok {
		return t
	}
	t := &typeSlots{ok: true}
	seen := map[string]bool{}
	for output, f := range r.Fields {
		name := f.For(typ)
		if name == "" {
			continue
		}
		if seen[name] {
			t.ok = false
		}
		seen[name] = true
		t.slots = append(t.slots, fieldSlot{output: output, name: name})
		t.predicted = t.predicted || isPredicted(output)
	}
	if r.slots == nil {
		r.slots = map[string]*typeSlots{}
	}
	r.slots[typ] = t
	return t
}

func isPredicted(output string) bool {
	for _, o := range predictionOutputs {
		if o == output {
			return true
		}
	}
	return output == outputs.Holdout
}

// sameTracking reports whether tr is the segment history pub holds.
func sameTracking(pub *state.Published, tr tracking) bool {
	return tr.segment == pub.Segment && tr.previous == pub.PreviousSegment && tr.changedAt == pub.SegmentChangedAt
}

// unchangedScored reports whether a scored customer provably needs neither
// a write nor a quiet commit: what scoredValues and predictedValues give
// for every mapped output equals the published field, and the tracking and
// the set of fields are as published.
func (r *run) unchangedScored(key connector.CustomerKey, s *rfm.Score, pub *state.Published, tr tracking) bool {
	t := r.slotsOf(key.Type)
	if !t.ok || len(pub.Fields) != len(t.slots) || !sameTracking(pub, tr) {
		return false
	}
	var pred map[string]string
	if t.predicted {
		if r.predBuf == nil {
			r.predBuf = map[string]string{}
		}
		pred = r.predBuf
		clear(pred)
		r.predictedValues(pred, key, *pub)
	}
	var buf [32]byte
	for _, sl := range t.slots {
		old, had := pub.Fields[sl.name]
		if !had {
			return false
		}
		var same bool
		switch sl.output {
		case outputs.R:
			same = old == strconv.Itoa(int(s.R))
		case outputs.F:
			same = old == strconv.Itoa(int(s.F))
		case outputs.M:
			same = old == strconv.Itoa(int(s.M))
		case outputs.RFM:
			same = len(old) == 3 && old[0] == '0'+s.R && old[1] == '0'+s.F && old[2] == '0'+s.M
		case outputs.Segment:
			same = old == s.Segment.ID
		case outputs.RecencyDays:
			same = old == string(strconv.AppendInt(buf[:0], s.RecencyDays, 10))
		case outputs.Frequency:
			same = old == string(strconv.AppendInt(buf[:0], s.Frequency, 10))
		case outputs.Monetary:
			same = old == s.Monetary.Round2()
		case outputs.LastPurchaseAt:
			same = old == string(s.Last.Time().AppendFormat(buf[:0], outputs.TimeLayout))
		case outputs.LastPurchaseDate:
			same = old == string(s.Last.Time().AppendFormat(buf[:0], outputs.DateLayout))
		case outputs.PreviousSegment:
			same = old == tr.previous
		case outputs.SegmentChangedAt:
			same = sameChangedAt(old, tr, buf[:0])
		default:
			v, known := pred[sl.output]
			same = known && old == v
		}
		if !same {
			return false
		}
	}
	return true
}

// unchangedInactive is unchangedScored for a customer who stopped
// qualifying (inactiveValues).
func (r *run) unchangedInactive(key connector.CustomerKey, pub *state.Published, tr tracking) bool {
	t := r.slotsOf(key.Type)
	if !t.ok || len(pub.Fields) != len(t.slots) || !sameTracking(pub, tr) {
		return false
	}
	var buf [32]byte
	for _, sl := range t.slots {
		old, had := pub.Fields[sl.name]
		if !had {
			return false
		}
		var same bool
		switch sl.output {
		case outputs.Segment:
			same = old == r.Inactive.fieldValue()
		case outputs.PreviousSegment:
			same = old == tr.previous
		case outputs.SegmentChangedAt:
			same = sameChangedAt(old, tr, buf[:0])
		default:
			same = old == ""
		}
		if !same {
			return false
		}
	}
	return true
}

// sameChangedAt reports whether old is the segment_changed_at value of tr
// (formatted into buf, so nothing is allocated).
func sameChangedAt(old string, tr tracking, buf []byte) bool {
	if tr.changedAt == 0 {
		return old == ""
	}
	return old == string(tr.changedAt.Time().AppendFormat(buf, outputs.TimeLayout))
}
