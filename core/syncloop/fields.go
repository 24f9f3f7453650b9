package syncloop

import (
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func orLabel(label, def string) string {
	if label == "" {
		return def
	}
	return label
}

// FieldSpecs describes every mapped output as a CRM field (outputs.Specs),
// with the segment an inactive customer is tracked under among the
// dropdown options, in either inactive mode: previous_segment names it
// when a customer comes back.
func FieldSpecs(fields outputs.FieldMap, p rfm.Params, windowDays int, inactive Inactive) []outputs.FieldSpec {
	in := rfm.Segment{ID: inactive.trackingID(), Label: orLabel(inactive.Segment.Label, "Inactive")}
	return outputs.Specs(fields, p, windowDays, in)
}
