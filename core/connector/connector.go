// Package connector is the contract between core and a CRM connector.
//
// A connector reads one page and writes one batch, and classifies its CRM's
// errors (see core/crmerr). Core owns the paging loop, the cursors and all
// state: a connector never touches bbolt. Extras (deletion scans, order
// re-reads, field setup and read-back, call counts, quota) are small
// interfaces core discovers.
//
// # How a new CRM plugs in
//
//  1. Make a package connectors/<crm> with the same files as the others:
//     connector.go (Register in init, the doc comment listing every config
//     key, the compile-time assertions at the end), config.go (a Decoder
//     built on config.DecodeSection, Validate naming keys, PullShape
//     declaring what changes the facts pulled), read.go, write.go,
//     errors.go (the classifier), wire.go (JSON shapes). Blank-import it
//     in connectors/all.
//  2. Build its HTTP client with core/crmhttp: the classifier, pacing
//     buckets for each limit, the credential (static, OAuth grants or a
//     session login), the daily budget parser for the CRM's headers.
//     Never retry in the connector.
//  3. ReadPage returns one page of Records and an opaque Cursor; core
//     commits both together. Hand back raw text: amounts in the home
//     currency (rfm.ConvertRate for rates; set Currency when the amount is
//     in the record's own currency), instants with an offset or a date
//     (rfm.ParseLocal for server-local times), Status "won" only for what
//     counts. A record that stops counting (lost, deleted) is still
//     returned, so core removes it.
//  4. If the cursor misses deletions or re-assignments, add DeletionLister
//     (a scan of deleted records) or OrderRereader (core hands back held
//     order ids on your cadence; a missing id is deleted).
//  5. WriteBatch writes the changed fields of one customer type and puts
//     every key in one bucket of WriteResult; a CRM that updates one
//     record per call uses WriteEach and WritePlanner. Field names come
//     per customer type from Env.Fields (outputs.FieldName.For); values are
//     outputs' written forms, compared back canonically (outputs.Equal).
//  6. Add FieldEnsurer (create fields, or say exactly what to create by
//     hand) and FieldReader (read back for the repair pass).
//  7. Write a fake <crm>test on internal/fakekit that follows
//     ../shared/crm-apis/<crm>.md to the letter, adapt it to
//     core/conformance (a Fake with its Profile) and run conformance.Run;
//     add a SIGKILL subprocess test in cmd/rfmsync as for HubSpot.
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
	// ClosedAt is an RFC 3339 instant with its offset (Z, ±hh:mm or
	// Salesforce's ±hhmm) or a date alone (00:00 UTC). A datetime without
	// an offset is skipped as no_offset, never read as UTC: convert
	// server-local times with rfm.ParseLocal first.
	ClosedAt string
	// Amount is a decimal in the home currency (convert with rfm.ConvertRate).
	Amount string
	// Currency, when set, is the currency Amount is in; core keeps one
	// currency per source (the pinned one, else the first seen) and skips
	// any other as second_currency. Leave it empty for amounts already in
	// the home currency.
	Currency string
	// CustomerOnly marks a re-read answer that re-established only the
	// customer (an association or contact-role read): core keeps the held
	// order's other values and moves it to Customer.
	CustomerOnly bool
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
	// RetryLater maps a key to a transient reason its write did not land
	// (Salesforce UNABLE_TO_LOCK_ROW, a timeout): counted, reported, not
	// committed, so the next run writes it again.
	RetryLater map[CustomerKey]string
	// Calls is the number of API calls the batch took; 0 counts as 1. A
	// connector that writes one record per call reports one per record.
	Calls int
}

// Writer writes field values back, one batch per call.
type Writer interface {
	// MaxBatch is the largest number of updates one WriteBatch accepts.
	// A CRM that updates one record per call can still take a batch and
	// write it over a bounded number of sessions under one shared pacer.
	MaxBatch() int
	// WriteBatch writes updates of one customer type. Every key lands in
	// exactly one bucket of the result; core commits only Accepted (and
	// NotFound as gone). A returned error stops the run after core has
	// committed what the result says was accepted: return one only for
	// what no later batch can overcome (auth, quota, a missing field).
	WriteBatch(ctx context.Context, updates []Update) (WriteResult, error)
}

// WritePlanner is implemented by connectors whose calls per write are not
// one per MaxBatch updates, so a dry run's plan counts real API calls.
type WritePlanner interface {
	// WriteCalls is the number of API calls writing n updates takes.
	WriteCalls(n int) int
}

// Connector is a configured CRM connection.
type Connector interface {
	Reader
	Writer
	// Close releases idle connections.
	Close() error
}
