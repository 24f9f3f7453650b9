package connector

import (
	"context"
	"time"
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

// AssociationRereader is implemented by connectors whose cursor does not move
// when an order is re-assigned to another customer (HubSpot associations).
// Core hands it the order ids it holds, in batches, on the connector's cadence.
type AssociationRereader interface {
	// AssociationRescanEvery is how often a rescan is due; 0 = never.
	AssociationRescanEvery() time.Duration
	// RereadBatch is the most order ids one RereadCustomers call takes.
	RereadBatch() int
	// RereadCustomers returns the customer each order is attributed to now;
	// an order missing from the result has no customer any more.
	RereadCustomers(ctx context.Context, source string, orderIDs []string) (map[string]CustomerKey, error)
}

// CallCounter reports how many API calls the connector made, by kind, so a
// run can report them and compare them with the CRM's quota.
type CallCounter interface {
	Calls() map[string]int64
}

// QuotaReporter tells how much of the CRM's daily quota is left, when the CRM says.
type QuotaReporter interface {
	// DailyRemaining returns the calls left today and whether that is known.
	DailyRemaining() (int64, bool)
}

// FieldKind is the CRM type a field needs.
type FieldKind string

// The kinds of field rfmsync writes.
const (
	FieldNumber   FieldKind = "number"
	FieldText     FieldKind = "text"
	FieldDateTime FieldKind = "datetime"
	// FieldEnum is a dropdown: values are stable ids, labels are free to rename.
	FieldEnum FieldKind = "enumeration"
)

// FieldOption is one dropdown option.
type FieldOption struct {
	Value, Label string
}

// FieldSpec is one field rfmsync writes, as the CRM should define it.
type FieldSpec struct {
	Name        string
	Label       string
	Description string
	Kind        FieldKind
	Options     []FieldOption
}

// FieldAction is what ensuring one field did (or would do).
type FieldAction struct {
	Name string
	// Action is "exists", "create", "add options" or "wrong type".
	Action string
	Detail string
}

// FieldEnsurer creates the fields rfmsync writes, idempotently. With apply
// false it only reports what it would do.
type FieldEnsurer interface {
	EnsureFields(ctx context.Context, group string, specs []FieldSpec, apply bool) ([]FieldAction, error)
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
