package config

import (
	"fmt"
	"strings"
)

// Output names one value rfmsync can write to a CRM field.
type Output string

// The outputs, in the order FieldMap lists them.
const (
	OutputR                Output = "r"
	OutputF                Output = "f"
	OutputM                Output = "m"
	OutputRFM              Output = "rfm"
	OutputSegment          Output = "segment"
	OutputRecencyDays      Output = "recency_days"
	OutputFrequency        Output = "frequency"
	OutputMonetary         Output = "monetary"
	OutputLastPurchaseAt   Output = "last_purchase_at"
	OutputPreviousSegment  Output = "previous_segment"
	OutputSegmentChangedAt Output = "segment_changed_at"
)

// Outputs lists every output in a stable order.
func Outputs() []Output {
	return []Output{OutputR, OutputF, OutputM, OutputRFM, OutputSegment, OutputRecencyDays,
		OutputFrequency, OutputMonetary, OutputLastPurchaseAt, OutputPreviousSegment, OutputSegmentChangedAt}
}

// Fields maps outputs to CRM field names; an empty name is not written.
type Fields struct {
	// Group is the property group the fields are created in, where the CRM
	// has groups.
	Group string `koanf:"group"`

	R                string `koanf:"r"`
	F                string `koanf:"f"`
	M                string `koanf:"m"`
	RFM              string `koanf:"rfm"`
	Segment          string `koanf:"segment"`
	RecencyDays      string `koanf:"recency_days"`
	Frequency        string `koanf:"frequency"`
	Monetary         string `koanf:"monetary"`
	LastPurchaseAt   string `koanf:"last_purchase_at"`
	PreviousSegment  string `koanf:"previous_segment"`
	SegmentChangedAt string `koanf:"segment_changed_at"`
}

// field returns the CRM field name mapped to o.
func (f *Fields) field(o Output) string {
	switch o {
	case OutputR:
		return f.R
	case OutputF:
		return f.F
	case OutputM:
		return f.M
	case OutputRFM:
		return f.RFM
	case OutputSegment:
		return f.Segment
	case OutputRecencyDays:
		return f.RecencyDays
	case OutputFrequency:
		return f.Frequency
	case OutputMonetary:
		return f.Monetary
	case OutputLastPurchaseAt:
		return f.LastPurchaseAt
	case OutputPreviousSegment:
		return f.PreviousSegment
	case OutputSegmentChangedAt:
		return f.SegmentChangedAt
	}
	return ""
}

// FieldMapping is one output and the CRM field it is written to.
type FieldMapping struct {
	Output Output `json:"output"`
	Field  string `json:"field"`
}

// FieldMap lists the mapped outputs in Outputs order.
func (c *Config) FieldMap() []FieldMapping {
	var out []FieldMapping
	for _, o := range Outputs() {
		if name := c.Fields.field(o); name != "" {
			out = append(out, FieldMapping{Output: o, Field: name})
		}
	}
	return out
}

// validateFields rejects a CRM field mapped twice. Names compare without
// case: Salesforce API names are case-insensitive and HubSpot lowercases them.
func validateFields(f *Fields, p *problems) {
	seen := map[string]Output{}
	for _, o := range Outputs() {
		name := f.field(o)
		if name == "" {
			continue
		}
		key := "fields." + string(o)
		if strings.TrimSpace(name) != name {
			p.add(key, "field name has leading or trailing spaces")
		}
		fold := strings.ToLower(name)
		if prev, dup := seen[fold]; dup {
			p.add(key, fmt.Sprintf("CRM field %q is already mapped by fields.%s", name, prev))
			continue
		}
		seen[fold] = o
	}
}
