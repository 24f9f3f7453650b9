package connector

import (
	"context"
	"time"

	"github.com/rfmsync/rfmsync/core/outputs"
)

// DeletionLister is implemented by connectors whose incremental cursor does
// not see deletions (HubSpot: archived records drop out of search). Core pages
// through it on the connector's cadence and removes the listed orders.
type DeletionLister interface {
	// DeletionScanEvery is how often a full deletion scan is due; 0 = never.
	DeletionScanEvery() time.Duration
	// ReadDeletedPage reads one page of deleted records (Deleted set) of a source.
	ReadDeletedPage(ctx context.Context, req ReadRequest) (Page, error)
}

// OrderRereader is implemented by connectors whose incremental cursor misses
// some changes to orders it already delivered: a re-assignment that does not
// touch the order (HubSpot associations, Salesforce contact roles) or a
// deletion the query never returns (vtenext). On the connector's cadence core
// hands it the order ids it holds, in batches and in id order, and applies
// the answers as ordinary changes: a moved customer, a changed amount or
// stage, a deletion. A scan that is interrupted resumes after the last batch
// it applied.
type OrderRereader interface {
	// RereadEvery is how often a full re-read of a source is due; 0 = never.
	RereadEvery() time.Duration
	// RereadBatch is the most order ids one RereadOrders call takes.
	RereadBatch() int
	// RereadOrders returns the current record of each order id still in the
	// CRM. An id missing from the answer is deleted, so a connector must
	// return every id it could not prove gone; an error stops the run.
	RereadOrders(ctx context.Context, source string, orderIDs []string) ([]Record, error)
}

// CallCounter reports how many API calls the connector made, by kind, so a
// run can report them and compare them with the CRM's quota.
type CallCounter interface {
	Calls() map[string]int64
}

// DailyBudget is implemented by connectors that know the day's calls
// against the CRM's daily allocation (HubSpot's daily limit, Salesforce's
// rolling 24 h requests): core then skips the periodic scans and the repair
// pass while less than the reserve is left, keeping the calls for the sync.
type DailyBudget interface {
	// DailyQuota returns the calls used in the current period and its limit
	// (0 = unknown).
	DailyQuota() (used, limit int64)
}

// QuotaReserver lets a connector set the share of the daily allocation
// (0..1) kept back from non-essential scans; without it core keeps 10 %.
type QuotaReserver interface {
	QuotaReserve() float64
}

// QuotaReporter tells how much of the CRM's daily quota is left, when the CRM says.
type QuotaReporter interface {
	// DailyRemaining returns the calls left today and whether that is known.
	DailyRemaining() (int64, bool)
}

// FieldKind is the CRM type a field needs (see core/outputs).
type FieldKind = outputs.Kind

// The kinds of field rfmsync writes.
const (
	FieldNumber   = outputs.Number
	FieldText     = outputs.Text
	FieldDateTime = outputs.DateTime
	FieldDate     = outputs.Date
	FieldEnum     = outputs.Enum
)

// FieldOption is one dropdown option.
type FieldOption = outputs.FieldOption

// FieldSpec is one field rfmsync writes, as the CRM should define it.
type FieldSpec = outputs.FieldSpec

// FieldActionKind says what ensuring a field did or must be done.
type FieldActionKind string

// The field actions a connector reports.
const (
	// ActionExists: the field is there with the right type and options.
	ActionExists FieldActionKind = "exists"
	// ActionCreate: the field was (or would be) created.
	ActionCreate FieldActionKind = "create"
	// ActionAddOptions: dropdown options were (or would be) added.
	ActionAddOptions FieldActionKind = "add options"
	// ActionWrongType: a field of that name has another type; never overwritten.
	ActionWrongType FieldActionKind = "wrong type"
	// ActionCreateByHand: the CRM's API cannot create it; Manual says
	// exactly what an admin must enter.
	ActionCreateByHand FieldActionKind = "create by hand"
	// ActionFoundAs: a field with the spec's label exists under another
	// name (FoundAs), which belongs in the config.
	ActionFoundAs FieldActionKind = "found as"
	// ActionGrantAccess: the field exists but the integration user cannot
	// write it; Detail says what to grant.
	ActionGrantAccess FieldActionKind = "grant access"
)

// ManualField is what an admin enters to create a field by hand.
type ManualField struct {
	// Where is the object or module and screen, e.g. "Accounts → Layout Editor".
	Where    string `json:"where"`
	Label    string `json:"label"`
	Type     string `json:"type"`
	Decimals int    `json:"decimals,omitempty"`
	// Picklist values, in order.
	Values []string `json:"values,omitempty"`
}

// FieldAction is what ensuring one field did (or would do).
type FieldAction struct {
	Name   string          `json:"name"`
	Action FieldActionKind `json:"action"`
	Detail string          `json:"detail,omitempty"`
	// FoundAs is the existing field's name, for ActionFoundAs.
	FoundAs string `json:"found_as,omitempty"`
	// Manual is set for ActionCreateByHand.
	Manual *ManualField `json:"manual,omitempty"`
}

// FieldEnsurer creates the fields rfmsync writes, idempotently. With apply
// false it only reports what it would do.
type FieldEnsurer interface {
	EnsureFields(ctx context.Context, specs []FieldSpec, apply bool) ([]FieldAction, error)
}

// FieldReader reads back the fields rfmsync wrote, so a periodic full pass
// can repair values a person or a workflow changed in the CRM.
type FieldReader interface {
	// RepairEvery is how often the full pass is due; 0 = never.
	RepairEvery() time.Duration
	// ReadBatch is the most keys one ReadFields call takes.
	ReadBatch() int
	// ReadFields returns the current values of fields for each key; a key
	// missing from the result no longer exists in the CRM.
	ReadFields(ctx context.Context, keys []CustomerKey, fields []string) (map[CustomerKey]map[string]string, error)
}

// CurrencyPinner is implemented by connectors whose config pins the one
// currency a source's amounts must be in (Record.Currency). Without it, or
// for "", core pins the first currency it sees in the source.
type CurrencyPinner interface {
	PinnedCurrency(source string) string
}
