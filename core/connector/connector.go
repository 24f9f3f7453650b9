// Package connector is the contract between core and a CRM connector.
//
// A connector reads one page and writes one batch, and classifies its CRM's
// errors (see core/crmerr). Core owns the paging loop, the cursors and all
// state: a connector never touches bbolt. Extras (deletion scans, association
// rescans, property setup) are one-method interfaces core discovers.
package connector

import (
	"context"
	"time"
)

// CustomerKey identifies a customer record in the CRM: its object type
// (e.g. "contacts", "companies", "Account") and its id.
type CustomerKey struct {
	Type string
	ID   string
}

// String renders the key as "type/id" for logs and reports.
func (k CustomerKey) String() string { return k.Type + "/" + k.ID }

// Record is one order or deal as read from the CRM, values still raw text so
// core parses them all with the scoring contract's rules.
type Record struct {
	// OrderID is unique within its source.
	OrderID string
	// Customer is who the revenue is attributed to; ID "" means nobody.
	Customer CustomerKey
	ClosedAt string
	Amount   string
	// Status is "won" when the connector classified the record as won;
	// anything else does not count.
	Status string
	// Deleted marks a record the CRM reports as archived or deleted.
	Deleted bool
	// Problem, when set, is a connector-side reason the record cannot count
	// (e.g. "second_currency"); core skips and counts it.
	Problem string
}

// ReadRequest asks for the next page of one source.
type ReadRequest struct {
	Source string
	// Cursor is the opaque position the last committed page returned; nil on
	// the first pull ever.
	Cursor []byte
	// Now is the run's clock reading, used for lag-safe windows.
	Now time.Time
}

// Page is one page of records and the cursor that covers them. Core commits
// the records and Cursor together, so a crash resumes after this page.
type Page struct {
	Records []Record
	Cursor  []byte
	// Done is true when the source is caught up for this run.
	Done bool
}

// Reader is what every connector implements.
type Reader interface {
	// Sources lists the configured sources, e.g. "deals", "orders".
	Sources() []string
	// ReadPage reads one page of a source after req.Cursor.
	ReadPage(ctx context.Context, req ReadRequest) (Page, error)
}

// Update is the set of field values to write on one customer; "" clears a field.
type Update struct {
	Key    CustomerKey
	Fields map[string]string
}

// WriteResult says what the CRM did with one batch.
type WriteResult struct {
	// Accepted are the keys whose values the CRM stored.
	Accepted []CustomerKey
	// NotFound are records deleted or merged away in the CRM.
	NotFound []CustomerKey
	// Rejected maps a key to why its values were refused (value-level only).
	Rejected map[CustomerKey]string
}

// Writer writes field values back, one batch per call.
type Writer interface {
	// MaxBatch is the largest number of updates one WriteBatch accepts.
	MaxBatch() int
	WriteBatch(ctx context.Context, updates []Update) (WriteResult, error)
}

// Connector is a configured CRM connection.
type Connector interface {
	Reader
	Writer
	// Close releases idle connections.
	Close() error
}
