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
