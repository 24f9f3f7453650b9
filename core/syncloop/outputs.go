package syncloop

import (
	"strconv"

	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// Inactive is what a customer who stops qualifying gets: by default every
// mapped field is cleared; with Label set, the segment field holds Segment.ID.
// Either way previous_segment and segment_changed_at record the move, so a
// workflow can react to it, and a stale "Champions" never lingers.
type Inactive struct {
	Label   bool
	Segment rfm.Segment
}

// trackingID is the segment id an inactive customer is tracked under, in
// either mode, so a customer who buys again has previous_segment "inactive"
// — a win-back a workflow can tell from a brand-new customer.
func (in Inactive) trackingID() string {
	if in.Segment.ID != "" {
		return in.Segment.ID
	}
	return "inactive"
}

// fieldValue is what the segment field holds for an inactive customer.
func (in Inactive) fieldValue() string {
	if in.Label {
		return in.trackingID()
	}
	return ""
}

// tracking is a customer's segment history as rfmsync keeps it.
type tracking struct {
	segment   string
	previous  string
	changedAt rfm.Instant
}

// advance moves tracking to segment as of asof, reporting whether it moved.
// A first sighting counts as a move from nothing.
func (t tracking) advance(segment string, known bool, asof rfm.Instant) (tracking, bool) {
	if known && t.segment == segment {
		return t, false
	}
	return tracking{segment: segment, previous: t.segment, changedAt: asof}, true
}

// scoredValues returns the output values of a scored customer.
func scoredValues(s *rfm.Score, t tracking) map[string]string {
	v := map[string]string{
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
		outputs.PreviousSegment:  t.previous,
	}
	v[outputs.SegmentChangedAt] = ""
	if t.changedAt != 0 {
		v[outputs.SegmentChangedAt] = outputs.FormatTime(t.changedAt)
	}
	return v
}

// inactiveValues returns the output values of a customer who stopped qualifying.
func inactiveValues(in Inactive, t tracking) map[string]string {
	names := outputs.Names()
	v := make(map[string]string, len(names))
	for _, o := range names {
		v[o] = ""
	}
	v[outputs.Segment] = in.fieldValue()
	v[outputs.PreviousSegment] = t.previous
	if t.changedAt != 0 {
		v[outputs.SegmentChangedAt] = outputs.FormatTime(t.changedAt)
	}
	return v
}

// crmFields maps output values onto the CRM field names of one customer type.
func crmFields(values map[string]string, fields outputs.FieldMap, typ string) map[string]string {
	out := make(map[string]string, len(fields))
	for output, field := range fields {
		if name := field.For(typ); name != "" {
			out[name] = values[output]
		}
	}
	return out
}
