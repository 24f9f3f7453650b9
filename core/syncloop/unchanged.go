package syncloop

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// The diff's fast path. Nearly every customer of an incremental sync needs
// nothing: the values the plan would write are, as plain strings, the ones
// published. unchangedScored and unchangedInactive prove that from the
// score and the stored published record (a state.PublishedView, its
// fields still encoded), field by field in name order, without decoding
// the record or building the maps of values and fields that addUpdate
// compares (and allocating little or nothing). Whenever they
// cannot prove it (a value differs, even only in form; a field is missing
// or extra; an output they do not know), the full path decides, so the
// plan is the same whichever path ran.

// provenUnchanged turns the fast path on; the benchmark turns it off to
// measure the full path in the same run.
var provenUnchanged = true

// fieldSlot is one mapped output and its CRM field for a customer type.
type fieldSlot struct {
	output, name string
	value        slotValue
}

// slotValue says how a slot's value is derived (slotOther: through the
// prediction values, or unknown).
type slotValue uint8

const (
	slotOther slotValue = iota
	slotR
	slotF
	slotM
	slotRFM
	slotSegment
	slotRecencyDays
	slotFrequency
	slotMonetary
	slotLastPurchaseAt
	slotLastPurchaseDate
	slotPreviousSegment
	slotSegmentChangedAt
)

var slotValues = map[string]slotValue{
	outputs.R: slotR, outputs.F: slotF, outputs.M: slotM, outputs.RFM: slotRFM,
	outputs.Segment: slotSegment, outputs.RecencyDays: slotRecencyDays,
	outputs.Frequency: slotFrequency, outputs.Monetary: slotMonetary,
	outputs.LastPurchaseAt: slotLastPurchaseAt, outputs.LastPurchaseDate: slotLastPurchaseDate,
	outputs.PreviousSegment: slotPreviousSegment, outputs.SegmentChangedAt: slotSegmentChangedAt,
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
	if r.lastSlots != nil && r.lastSlotsType == typ {
		return r.lastSlots // customers come sorted by type
	}
	if t, ok := r.slots[typ]; ok {
		r.lastSlotsType, r.lastSlots = typ, t
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
		t.slots = append(t.slots, fieldSlot{output: output, name: name, value: slotValues[output]})
		t.predicted = t.predicted || isPredicted(output)
	}
	// In name order, as the published fields are stored.
	slices.SortFunc(t.slots, func(a, b fieldSlot) int { return cmp.Compare(a.name, b.name) })
	if r.slots == nil {
		r.slots = map[string]*typeSlots{}
	}
	r.slots[typ] = t
	r.lastSlotsType, r.lastSlots = typ, t
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

// unchangedScored reports whether a scored customer provably needs neither
// a write nor a quiet commit: not gone, still in the published segment (so
// the tracking stays as published), and what scoredValues and
// predictedValues give for every mapped output is the published field.
func (r *run) unchangedScored(key connector.CustomerKey, s *rfm.Score, v *state.PublishedView) bool {
	t := r.slotsOf(key.Type)
	if !t.ok || v.GoneAt != 0 || v.Segment != s.Segment.ID || v.NumFields() != len(t.slots) {
		return false
	}
	tr := tracking{segment: v.Segment, previous: v.PreviousSegment, changedAt: v.SegmentChangedAt}
	var pred map[string]string
	if t.predicted {
		if r.predBuf == nil {
			r.predBuf = map[string]string{}
		}
		pred = r.predBuf
		clear(pred)
		r.predictedValues(pred, key, r.viewFields(v))
	}
	var buf [32]byte
	i := 0
	for name, old := range v.Fields() {
		sl := t.slots[i]
		i++
		if string(name) != sl.name {
			return false
		}
		var same bool
		switch sl.value {
		case slotR:
			same = string(old) == strconv.Itoa(int(s.R))
		case slotF:
			same = string(old) == strconv.Itoa(int(s.F))
		case slotM:
			same = string(old) == strconv.Itoa(int(s.M))
		case slotRFM:
			same = len(old) == 3 && old[0] == '0'+s.R && old[1] == '0'+s.F && old[2] == '0'+s.M
		case slotSegment:
			same = string(old) == s.Segment.ID
		case slotRecencyDays:
			same = string(old) == string(strconv.AppendInt(buf[:0], s.RecencyDays, 10))
		case slotFrequency:
			same = string(old) == string(strconv.AppendInt(buf[:0], s.Frequency, 10))
		case slotMonetary:
			same = string(old) == string(s.Monetary.AppendRound2(buf[:0]))
		case slotLastPurchaseAt:
			same = string(old) == string(s.Last.Time().AppendFormat(buf[:0], outputs.TimeLayout))
		case slotLastPurchaseDate:
			same = string(old) == r.dates.format(s.Last)
		case slotPreviousSegment:
			same = string(old) == tr.previous
		case slotSegmentChangedAt:
			same = r.sameChangedAt(old, tr)
		default:
			want, known := pred[sl.output]
			same = known && string(old) == want
		}
		if !same {
			return false
		}
	}
	return true
}

// unchangedInactive is unchangedScored for a customer who stopped
// qualifying (inactiveValues) and is tracked as inactive already.
func (r *run) unchangedInactive(key connector.CustomerKey, v *state.PublishedView) bool {
	t := r.slotsOf(key.Type)
	if !t.ok || v.GoneAt != 0 || v.Segment != r.Inactive.trackingID() || v.NumFields() != len(t.slots) {
		return false
	}
	tr := tracking{segment: v.Segment, previous: v.PreviousSegment, changedAt: v.SegmentChangedAt}
	i := 0
	for name, old := range v.Fields() {
		sl := t.slots[i]
		i++
		if string(name) != sl.name {
			return false
		}
		var same bool
		switch sl.value {
		case slotSegment:
			same = string(old) == r.Inactive.fieldValue()
		case slotPreviousSegment:
			same = string(old) == tr.previous
		case slotSegmentChangedAt:
			same = r.sameChangedAt(old, tr)
		default:
			same = len(old) == 0
		}
		if !same {
			return false
		}
	}
	return true
}

// viewFields is the published record predictedValues reads (only its
// fields), built only when a prediction output or the holdout is mapped.
func (r *run) viewFields(v *state.PublishedView) state.Published {
	p := state.Published{Fields: make(map[string]string, v.NumFields())}
	for name, value := range v.Fields() {
		p.Fields[string(name)] = string(value)
	}
	return p
}

// sameChangedAt reports whether old is the segment_changed_at value of
// tr. Most customers last moved at the same few runs' asof: the last
// instant formatted is kept.
func (r *run) sameChangedAt(old []byte, tr tracking) bool {
	if tr.changedAt == 0 {
		return len(old) == 0
	}
	if r.changedAtText == "" || r.changedAt != tr.changedAt {
		r.changedAt, r.changedAtText = tr.changedAt, outputs.FormatTime(tr.changedAt)
	}
	return string(old) == r.changedAtText
}

// dateCache holds the last_purchase_date values formatted so far, one
// slot per day (modulo its size): a million customers' last purchases
// fall on a few hundred days, each formatted once.
type dateCache struct {
	days [1024]int64
	text [1024]string
}

const microsPerDay = 86_400_000_000

// format is outputs.FormatDate(i), from the cache when it holds i's day.
func (c *dateCache) format(i rfm.Instant) string {
	day := int64(i) / microsPerDay
	if int64(i) < 0 && int64(i)%microsPerDay != 0 {
		day-- // floor: the UTC day an instant before 1970 falls on
	}
	slot := uint64(day) % uint64(len(c.days))
	if c.text[slot] == "" || c.days[slot] != day {
		c.days[slot], c.text[slot] = day, outputs.FormatDate(i)
	}
	return c.text[slot]
}
