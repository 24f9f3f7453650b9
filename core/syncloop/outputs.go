package syncloop

import (
	"strconv"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// Output names: everything rfmsync can write back, each mapped to a CRM field
// in config (fields.<output>). An unmapped output is not written.
const (
	OutR                = "r"
	OutF                = "f"
	OutM                = "m"
	OutRFM              = "rfm"
	OutSegment          = "segment"
	OutRecencyDays      = "recency_days"
	OutFrequency        = "frequency"
	OutMonetary         = "monetary"
	OutLastPurchaseAt   = "last_purchase_at"
	OutPreviousSegment  = "previous_segment"
	OutSegmentChangedAt = "segment_changed_at"
)

// Outputs lists the output names in a stable order.
var Outputs = []string{
	OutR, OutF, OutM, OutRFM, OutSegment, OutRecencyDays, OutFrequency, OutMonetary,
	OutLastPurchaseAt, OutPreviousSegment, OutSegmentChangedAt,
}

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

// FormatTime renders an instant the way CRM datetime fields accept it:
// ISO 8601 in UTC with milliseconds.
func FormatTime(i rfm.Instant) string {
	return i.Time().Format("2006-01-02T15:04:05.000Z")
}

// scoredValues returns the output values of a scored customer.
func scoredValues(s *rfm.Score, t tracking) map[string]string {
	v := map[string]string{
		OutR:               strconv.Itoa(int(s.R)),
		OutF:               strconv.Itoa(int(s.F)),
		OutM:               strconv.Itoa(int(s.M)),
		OutRFM:             s.Code(),
		OutSegment:         s.Segment.ID,
		OutRecencyDays:     strconv.FormatInt(s.RecencyDays, 10),
		OutFrequency:       strconv.FormatInt(s.Frequency, 10),
		OutMonetary:        s.Monetary.Round2(),
		OutLastPurchaseAt:  FormatTime(s.Last),
		OutPreviousSegment: t.previous,
	}
	v[OutSegmentChangedAt] = ""
	if t.changedAt != 0 {
		v[OutSegmentChangedAt] = FormatTime(t.changedAt)
	}
	return v
}

// inactiveValues returns the output values of a customer who stopped qualifying.
func inactiveValues(in Inactive, t tracking) map[string]string {
	v := make(map[string]string, len(Outputs))
	for _, o := range Outputs {
		v[o] = ""
	}
	v[OutSegment] = in.fieldValue()
	v[OutPreviousSegment] = t.previous
	if t.changedAt != 0 {
		v[OutSegmentChangedAt] = FormatTime(t.changedAt)
	}
	return v
}

// crmFields maps output values onto CRM field names through the field map.
func crmFields(values, fieldMap map[string]string) map[string]string {
	out := make(map[string]string, len(fieldMap))
	for output, field := range fieldMap {
		out[field] = values[output]
	}
	return out
}
