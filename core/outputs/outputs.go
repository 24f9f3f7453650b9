// Package outputs is rfmsync's one vocabulary of what it writes to a CRM:
// the output names, the kind of field each needs, the field specs a
// connector creates, the written form of every value, and the canonical
// comparison of values read back. Config, the sync loop, the conformance
// suite and every connector use it, so a value means the same everywhere.
package outputs

// The outputs rfmsync can write; each is mapped to a CRM field in config
// (fields.<output>). An unmapped output is not written.
const (
	R                = "r"
	F                = "f"
	M                = "m"
	RFM              = "rfm"
	Segment          = "segment"
	RecencyDays      = "recency_days"
	Frequency        = "frequency"
	Monetary         = "monetary"
	LastPurchaseAt   = "last_purchase_at"
	LastPurchaseDate = "last_purchase_date"
	PreviousSegment  = "previous_segment"
	SegmentChangedAt = "segment_changed_at"
	// PAlive, ExpectedOrders and PredictedValue are the predictive model's
	// outputs (core/clv): the probability the customer is still active, and
	// the purchase occasions and value expected over the configured horizon.
	PAlive         = "p_alive"
	ExpectedOrders = "expected_orders"
	PredictedValue = "predicted_value"
	// Holdout says whether the customer is in the lift holdout
	// (HoldoutHeld) or treated like everyone else (HoldoutTreated), so
	// workflows can leave the holdout alone.
	Holdout = "holdout"
)

// The two values of the holdout output.
const (
	HoldoutHeld    = "holdout"
	HoldoutTreated = "treated"
)

// Kind is the type of CRM field an output needs.
type Kind string

// The kinds of field rfmsync writes.
const (
	// Number is a decimal number; Decimals on the spec says how many places.
	Number Kind = "number"
	Text   Kind = "text"
	// DateTime is an instant, written in UTC with milliseconds.
	DateTime Kind = "datetime"
	// Date is a calendar day (UTC), for CRMs whose workflows key on date fields.
	Date Kind = "date"
	// Enum is a dropdown: values are stable ids, labels are free to rename.
	Enum Kind = "enumeration"
)

// Output is one output as rfmsync defines it.
type Output struct {
	Name string
	Kind Kind
	// Decimals is the number of decimal places of a Number.
	Decimals int
	// Label is the field label rfmsync proposes.
	Label string
}

// all lists the outputs in their stable order.
var all = []Output{
	{Name: R, Kind: Number, Label: "RFM R score"},
	{Name: F, Kind: Number, Label: "RFM F score"},
	{Name: M, Kind: Number, Label: "RFM M score"},
	{Name: RFM, Kind: Text, Label: "RFM code"},
	{Name: Segment, Kind: Enum, Label: "RFM segment"},
	{Name: RecencyDays, Kind: Number, Label: "RFM days since last purchase"},
	{Name: Frequency, Kind: Number, Label: "RFM purchases"},
	{Name: Monetary, Kind: Number, Decimals: 2, Label: "RFM monetary value"},
	{Name: LastPurchaseAt, Kind: DateTime, Label: "RFM last purchase"},
	{Name: LastPurchaseDate, Kind: Date, Label: "RFM last purchase date"},
	{Name: PreviousSegment, Kind: Enum, Label: "RFM previous segment"},
	{Name: SegmentChangedAt, Kind: DateTime, Label: "RFM segment changed at"},
	{Name: PAlive, Kind: Number, Decimals: 2, Label: "RFM probability alive"},
	{Name: ExpectedOrders, Kind: Number, Decimals: 1, Label: "RFM expected orders"},
	{Name: PredictedValue, Kind: Number, Decimals: 2, Label: "RFM predicted value"},
	{Name: Holdout, Kind: Enum, Label: "RFM holdout group"},
}

// All returns every output in a stable order.
func All() []Output { return append([]Output(nil), all...) }

// Names returns every output name in All's order.
func Names() []string {
	out := make([]string, len(all))
	for i, o := range all {
		out[i] = o.Name
	}
	return out
}

// Lookup returns the output called name.
func Lookup(name string) (Output, bool) {
	for _, o := range all {
		if o.Name == name {
			return o, true
		}
	}
	return Output{}, false
}

// KindOf returns the kind of the output called name (Text when unknown).
func KindOf(name string) Kind {
	if o, ok := Lookup(name); ok {
		return o.Kind
	}
	return Text
}
