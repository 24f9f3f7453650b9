package syncloop

import (
	"fmt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func orLabel(label, def string) string {
	if label == "" {
		return def
	}
	return label
}

// FieldSpecs describes every mapped output as a CRM field: numbers for
// scores, counts and money, a dropdown of segment ids for segments (so a
// renamed label keeps workflows working), datetimes for instants.
func FieldSpecs(fields map[string]string, p rfm.Params, windowDays int, inactive Inactive) []connector.FieldSpec {
	var segs []connector.FieldOption
	seen := map[string]bool{}
	add := func(s rfm.Segment) {
		if s.ID != "" && !seen[s.ID] {
			seen[s.ID] = true
			segs = append(segs, connector.FieldOption{Value: s.ID, Label: s.Label})
		}
	}
	for _, r := range p.Segments.Rules() {
		add(r.Segment)
	}
	if p.NewCustomerDays > 0 {
		add(p.NewSegment)
	}
	// Inactive customers are tracked under the inactive id in either mode,
	// and previous_segment names it when they come back.
	add(rfm.Segment{ID: inactive.trackingID(), Label: orLabel(inactive.Segment.Label, "Inactive")})
	tail := fmt.Sprintf("%d-day window, written by rfmsync", windowDays)
	score := func(letter, best string) string {
		return fmt.Sprintf("%s score 1–%d, %d = %s, %s", letter, p.Bins, p.Bins, best, tail)
	}
	specs := map[string]connector.FieldSpec{
		OutR:                {Label: "RFM R score", Kind: connector.FieldNumber, Description: score("R", "most recent")},
		OutF:                {Label: "RFM F score", Kind: connector.FieldNumber, Description: score("F", "most frequent")},
		OutM:                {Label: "RFM M score", Kind: connector.FieldNumber, Description: score("M", "highest value")},
		OutRFM:              {Label: "RFM code", Kind: connector.FieldText, Description: "R, F and M scores as three digits, e.g. 545, " + tail},
		OutSegment:          {Label: "RFM segment", Kind: connector.FieldEnum, Options: segs, Description: "RFM segment (stable id; labels may be renamed), " + tail},
		OutRecencyDays:      {Label: "RFM days since last purchase", Kind: connector.FieldNumber, Description: "Whole days since the last purchase at the last sync, " + tail},
		OutFrequency:        {Label: "RFM purchases", Kind: connector.FieldNumber, Description: "Number of won orders (refunds excluded), " + tail},
		OutMonetary:         {Label: "RFM monetary value", Kind: connector.FieldNumber, Description: "Sum of won order amounts in home currency, refunds subtracted, " + tail},
		OutLastPurchaseAt:   {Label: "RFM last purchase", Kind: connector.FieldDateTime, Description: "Closing time of the latest won order, " + tail},
		OutPreviousSegment:  {Label: "RFM previous segment", Kind: connector.FieldEnum, Options: segs, Description: "The RFM segment before the last move, written by rfmsync"},
		OutSegmentChangedAt: {Label: "RFM segment changed at", Kind: connector.FieldDateTime, Description: "When the RFM segment last changed (the sync that saw the move), written by rfmsync"},
	}
	var out []connector.FieldSpec
	for _, o := range Outputs {
		if name := fields[o]; name != "" {
			s := specs[o]
			s.Name = name
			out = append(out, s)
		}
	}
	return out
}
