package outputs

import (
	"fmt"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// FieldOption is one dropdown option: Value is the stable id written,
// Label what people see.
type FieldOption struct {
	Value, Label string
}

// FieldSpec is one field rfmsync writes, as the CRM should define it.
// Connectors receive the specs when built: they need kinds to type values
// and dropdown options to create picklists.
type FieldSpec struct {
	Output string
	// Field is the CRM field name, possibly per customer type.
	Field       FieldName
	Label       string
	Description string
	Kind        Kind
	// Decimals is the number of decimal places of a Number.
	Decimals int
	Options  []FieldOption
}

// Inactive is the segment an inactive customer is tracked under (id and
// label), which the segment dropdowns must offer.
type Inactive = rfm.Segment

// Specs describes every mapped output as a CRM field: numbers for scores,
// counts and money, a dropdown of segment ids for segments (so a renamed
// label keeps workflows working), datetimes and dates for instants.
func Specs(fields FieldMap, p rfm.Params, windowDays int, inactive Inactive) []FieldSpec {
	segs := SegmentOptions(p, inactive)
	tail := fmt.Sprintf("%d-day window, written by rfmsync", windowDays)
	score := func(letter, best string) string {
		return fmt.Sprintf("%s score 1–%d, %d = %s, %s", letter, p.Bins, p.Bins, best, tail)
	}
	desc := map[string]string{
		R:                score("R", "most recent"),
		F:                score("F", "most frequent"),
		M:                score("M", "highest value"),
		RFM:              "R, F and M scores as three digits, e.g. 545, " + tail,
		Segment:          "RFM segment (stable id; labels may be renamed), " + tail,
		RecencyDays:      "Whole days since the last purchase at the last sync, " + tail,
		Frequency:        "Number of won orders (refunds excluded), " + tail,
		Monetary:         "Sum of won order amounts in home currency, refunds subtracted, " + tail,
		LastPurchaseAt:   "Closing time of the latest won order, " + tail,
		LastPurchaseDate: "Day (UTC) of the latest won order, " + tail,
		PreviousSegment:  "The RFM segment before the last move, written by rfmsync",
		SegmentChangedAt: "When the RFM segment last changed (the sync that saw the move), written by rfmsync",
		PAlive:           "Probability (0–1) that the customer is still active (BG/NBD model), written by rfmsync",
		ExpectedOrders:   "Expected purchase occasions over the prediction horizon (BG/NBD model), written by rfmsync",
		PredictedValue:   "Expected value over the prediction horizon in home currency (BG/NBD × Gamma-Gamma), written by rfmsync",
		Holdout:          "holdout: left out of segment workflows to measure their lift; treated: everyone else. Stable, written by rfmsync",
	}
	var out []FieldSpec
	for _, o := range all {
		f, ok := fields[o.Name]
		if !ok || f.IsZero() {
			continue
		}
		s := FieldSpec{Output: o.Name, Field: f, Label: o.Label, Description: desc[o.Name], Kind: o.Kind, Decimals: o.Decimals}
		switch {
		case o.Name == Holdout:
			s.Options = HoldoutOptions()
		case o.Kind == Enum:
			s.Options = segs
		}
		out = append(out, s)
	}
	return out
}

// SegmentOptions lists every segment id a segment field can hold, in rule
// order: the map's segments, the new-customer segment, and the inactive one.
func SegmentOptions(p rfm.Params, inactive Inactive) []FieldOption {
	var segs []FieldOption
	seen := map[string]bool{}
	add := func(s rfm.Segment) {
		if s.ID != "" && !seen[s.ID] {
			seen[s.ID] = true
			segs = append(segs, FieldOption{Value: s.ID, Label: s.Label})
		}
	}
	if p.Segments != nil {
		for _, r := range p.Segments.Rules() {
			add(r.Segment)
		}
	}
	if p.NewCustomerDays > 0 {
		add(p.NewSegment)
	}
	add(inactive)
	return segs
}

// HoldoutOptions are the dropdown options of the holdout field.
func HoldoutOptions() []FieldOption {
	return []FieldOption{{Value: HoldoutHeld, Label: "Holdout"}, {Value: HoldoutTreated, Label: "Treated"}}
}
