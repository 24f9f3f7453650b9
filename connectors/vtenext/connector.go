// Package vtenext is rfmsync's vtenext CRM connector: it reads sales
// orders, invoices and won potentials through the webservice.php query
// operation (VTQL) with a keyset cursor on (modifiedtime, id), finds
// deletions by re-reading the ids it holds, and writes RFM values to
// custom fields of Accounts or Contacts with revise, one record per call,
// over a bounded number of sessions under one shared pace. The contract is
// vtenext.md; vtenexttest is its fake.
//
// Configuration (crm.vtenext):
//
//	url: https://crm.example.com       # site URL; calls go to url + /webservice.php
//	username: rfmsync                  # the web-service user
//	access_key: ${VTENEXT_ACCESS_KEY}  # or access_key_file (My Preferences → Webservice Access Key)
//	object: Accounts                   # or Contacts: where the RFM fields live
//	sources: [salesorder]              # salesorder, invoice and/or potentials
//	date_format: dd-mm-yyyy            # the API user's date format (or mm-dd-yyyy, yyyy-mm-dd); describe must agree
//	server_timezone: Europe/Rome       # the server's default time zone: datetimes are its wall time
//	reconcile_every: 24h               # re-read held ids to find deleted records; 0: never
//	query_lag: 2m                      # pull windows end this far behind now; minimum 30s
//	repair_every: 168h                 # read written fields back, rewrite hand edits; 0: never
//	page_size: 100                     # LIMIT of each query, 1 to 500
//	write_concurrency: 1               # sessions writing at once, 1 to 4
//	write_rate: 5                      # revise calls per second, shared by all sessions
//	write_batch: 20                    # records per commit of written values, 1 to 100
//	salesorder:
//	  statuses: [Approved, Delivered]  # sostatus values that count
//	  customer_fields: [account_id]    # contact_id when object is Contacts; tried in order
//	  date_field: createdtime          # a date or datetime field of SalesOrder
//	invoice:
//	  statuses: [Sent, Paid, Credit Invoice]  # a Credit Invoice counts as a refund
//	  customer_fields: [account_id]    # contact_id when object is Contacts
//	  date_field: invoicedate
//	potentials:
//	  statuses: [Closed Won]           # sales_stage values that count
//	  customer_fields: [related_to]    # an Account or a Contact; only the object's type counts
//
// Field names in fields: are the cf_… names (per customer type if they
// differ); `fields ensure` cannot create them, it prints what to add in
// the Layout Editor and finds existing fields by label.
package vtenext

import (
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/outputs"
)

// Name is the connector's registry name, the value of crm.type.
const Name = "vtenext"

func init() {
	connector.Register(connector.Registration{Name: Name, Decode: Decode})
}

// Call kinds, as Calls reports them.
const (
	KindLogin    = "login" // getchallenge and login
	KindQuery    = "query"
	KindRevise   = "revise"
	KindDescribe = "describe"
	KindOther    = "other"
)

// Connector is a configured vtenext connection, safe for concurrent use.
type Connector struct {
	o         *Options
	http      *crmhttp.Client
	auth      *sessions
	now       func() time.Time
	loc       *time.Location
	log       *slog.Logger
	transport *http.Transport
	fields    []outputs.FieldSpec

	mu         sync.Mutex
	prefixes   map[string]string            // module → idPrefix, from describe
	checked    map[string]bool              // source modules whose fields were checked
	fieldTypes map[string]map[string]string // module → field → type
}

func newConnector(o *Options, env connector.Env) (*Connector, error) {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(crmhttp.NewRedactingHandler(log.Handler())).With("connector", Name)
	crmhttp.RegisterSecret(o.accessKey)
	now := o.hooks.now
	if now == nil {
		now = time.Now
	}
	loc, err := time.LoadLocation(o.ServerTimezone)
	if err != nil {
		return nil, err
	}
	timeouts := o.hooks.timeouts
	c := &Connector{o: o, now: now, loc: loc, log: log, transport: crmhttp.NewTransport(timeouts),
		fields: env.Fields, prefixes: map[string]string{}, checked: map[string]bool{}}
	// The breaker core keeps in state stops later runs too; without one
	// (tests, commands without state) it lasts for this connector.
	breaker := env.Breaker
	if o.hooks.breaker != nil {
		breaker = o.hooks.breaker
	}
	if breaker == nil {
		breaker = &crmhttp.MemoryBreaker{}
	}
	var base http.RoundTripper = c.transport
	if o.hooks.transport != nil {
		base = o.hooks.transport
	}
	if env.WrapTransport != nil {
		base = env.WrapTransport(base, kindOf)
	}
	if c.auth, err = newSessions(c, o.WriteConcurrency, breaker); err != nil {
		return nil, err
	}
	rate := o.WriteRate
	if o.hooks.unpaced {
		rate = 0
	}
	c.http, err = crmhttp.New(crmhttp.Options{
		BaseURL:     o.URL,
		Classifier:  classifier(),
		Timeouts:    timeouts,
		StallBudget: o.hooks.stallBudget,
		Buckets: []crmhttp.Bucket{
			// One pace for every session's writes (§5.5): no server-side
			// limit exists, the limit is the server's capacity.
			{Name: KindRevise, Limit: rate, Per: time.Second, Match: isOp(opRevise)},
			{Name: KindQuery, Match: isOp(opQuery)},
			{Name: KindDescribe, Match: isOp(opDescribe)},
			{Name: KindLogin, Match: func(r *http.Request) bool { return isOp(opChallenge)(r) || isOp(opLogin)(r) }},
		},
		Auth:      c.auth,
		Logger:    log,
		Transport: base,
		Now:       now,
		Sleep:     o.hooks.sleep,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// kindOf names a request's call kind, as Calls does.
func kindOf(r *http.Request) string {
	switch op := r.URL.Query().Get("operation"); op {
	case opChallenge, opLogin:
		return KindLogin
	case opQuery, opRevise, opDescribe:
		return op
	}
	return KindOther
}

// Sources implements connector.Reader.
func (c *Connector) Sources() []string { return slices.Clone(c.o.Sources) }

// MaxBatch implements connector.Writer.
func (c *Connector) MaxBatch() int { return c.o.WriteBatch }

// WriteCalls implements connector.WritePlanner: one revise per record.
func (c *Connector) WriteCalls(n int) int { return n }

// RereadEvery implements connector.OrderRereader: reconcile_every.
func (c *Connector) RereadEvery() time.Duration { return c.o.ReconcileEvery }

// RereadBatch implements connector.OrderRereader: ids per query.
func (c *Connector) RereadBatch() int { return c.o.PageSize }

// RepairEvery implements connector.FieldReader.
func (c *Connector) RepairEvery() time.Duration { return c.o.RepairEvery }

// ReadBatch implements connector.FieldReader: ids per query.
func (c *Connector) ReadBatch() int { return c.o.PageSize }

// Calls implements connector.CallCounter: every HTTP attempt by kind.
func (c *Connector) Calls() map[string]int64 {
	s := c.http.Stats().Snapshot()
	out := map[string]int64{}
	var known int64
	for _, k := range []string{KindLogin, KindQuery, KindRevise, KindDescribe} {
		if n := s.ByBucket[k]; n > 0 {
			out[k] = n
			known += n
		}
	}
	if rest := s.Calls - known; rest > 0 {
		out[KindOther] = rest
	}
	return out
}

// Stats returns the HTTP client's counters.
func (c *Connector) Stats() crmhttp.StatsSnapshot { return c.http.Stats().Snapshot() }

// Close implements connector.Connector. Sessions are left to expire: a
// logout per session would cost calls on every run for nothing.
func (c *Connector) Close() error {
	c.transport.CloseIdleConnections()
	return nil
}

var (
	_ connector.Connector     = (*Connector)(nil)
	_ connector.OrderRereader = (*Connector)(nil)
	_ connector.CallCounter   = (*Connector)(nil)
	_ connector.FieldEnsurer  = (*Connector)(nil)
	_ connector.FieldReader   = (*Connector)(nil)
	_ connector.WritePlanner  = (*Connector)(nil)
)
