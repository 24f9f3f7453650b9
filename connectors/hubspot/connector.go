// Package hubspot is rfmsync's HubSpot CRM connector: it reads won deals
// and commerce orders incrementally through CRM search, attributes each to
// a contact or company through v4 association batch reads, backfills a
// source's first pull through the list endpoint with associations inline
// (then searches what changed while it listed), writes RFM
// fields back with batch/update and reads them back with batch/read for the
// repair pass. Limits, error bodies and quirks come from the contract in
// hubspot.md; hubspottest is its fake.
//
// Configuration (crm.hubspot), every key optional except auth and object:
//
//	token: pat-na1-…             # private app / service key (or token_file)
//	oauth:                       # public app instead of token
//	  client_id: …
//	  client_secret: …           # or client_secret_file
//	  refresh_token: …           # or refresh_token_file
//	  token_url: …               # default base_url + /oauth/v1/token
//	base_url: https://api.hubapi.com
//	api_version: v3              # or a date version, e.g. 2026-03
//	object: contacts             # or companies: where the RFM fields live
//	sources: [deals]             # deals and/or orders
//	attribution: lowest_id       # or primary; default primary for companies
//	deals:
//	  amount_property: amount_in_home_currency
//	  closed_at_property: closedate
//	  won_stages: {}             # pipeline ID → won stage IDs; empty: hs_is_closed_won
//	  currency: ""               # with amount_property amount: the one currency
//	orders:
//	  amount_property: hs_total_price
//	  home_currency_property: "" # without it, orders must share one currency
//	  currency: ""               # that currency; empty: the first one seen
//	  closed_at_property: hs_external_created_date  # createdate when empty
//	  won_stages: []             # empty: every order not cancelled
//	  subtract_refunds: true
//	limits:
//	  ten_second: 100            # 100, 110, 190 or 250 by tier
//	  search_per_second: 4
//	  associations_ten_second: 100
//	  daily: 250000
//	  daily_reset_timezone: UTC  # the account's time zone
//	  quota_reserve: 0.1         # share of daily kept back from scans and repair
//	  retry_budget: 3m           # retry one call's transient failures this long
//	  timeouts:                  # of one HTTP attempt
//	    connect: 10s
//	    response_header: 30s     # first byte
//	    idle_read: 15s           # silence inside a body
//	    attempt: 2m              # one whole attempt
//	    stalled: 30s             # time one call may lose to stalled attempts
//	search_lag: 5m
//	deletion_scan_every: 24h
//	association_rescan_every: 168h
//	repair_every: 168h           # read written fields back, rewrite hand edits; 0: never
//	first_pull: list             # or search: how a source without a cursor is read
//	page_size: 200               # per search request
//	list_page_size: 100          # per list request (first pull, archived scan)
//	read_batch: 1000             # records per page and association read
//	write_batch: 100             # records per batch/update
//	property_group: rfm          # where fields ensure creates the properties
package hubspot

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Name is the connector's registry name, the value of crm.type.
const Name = "hubspot"

func init() {
	connector.Register(connector.Registration{Name: Name, Decode: Decode})
}

// Call kinds, as Calls reports them; every call is exactly one kind.
const (
	KindSearch       = "search"
	KindAssociations = "associations"
	KindList         = "list"
	KindRead         = "read"
	KindBatchUpdate  = "batch_update"
	KindProperties   = "properties"
	KindToken        = "token"
	KindOther        = "other"
)

// Connector is a configured HubSpot connection. It is safe for concurrent
// use, though core calls it from one goroutine.
type Connector struct {
	o         *Options
	p         paths
	http      *crmhttp.Client
	now       func() time.Time
	loc       *time.Location
	log       *slog.Logger
	transport *http.Transport
	budget    *crmhttp.Budget
}

// newConnector wires the shared HTTP client: HubSpot's classifier, one
// pacing bucket per limit (the ten-second burst, search's per-second and
// the association reads' own), call kinds from the path, the credential,
// the daily budget fed by HubSpot's daily headers, and the timeouts.
func newConnector(o *Options, env connector.Env) (*Connector, error) {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(crmhttp.NewRedactingHandler(log.Handler())).With("connector", Name)
	now := o.hooks.now
	if now == nil {
		now = time.Now
	}
	loc, err := time.LoadLocation(o.Limits.DailyResetTimezone)
	if err != nil {
		return nil, err
	}
	c := &Connector{o: o, p: newPaths(o.APIVersion), now: now, loc: loc, log: log,
		transport: crmhttp.NewTransport(o.Limits.Timeouts.crmhttp())}
	c.budget = newBudget(o, loc)
	var base http.RoundTripper = c.transport
	if env.WrapTransport != nil {
		base = env.WrapTransport(base, kindOf)
	}
	auth, err := newAuth(o, c.p, now, base, log, env)
	if err != nil {
		return nil, err
	}
	c.http, err = crmhttp.New(crmhttp.Options{
		BaseURL:     o.BaseURL,
		Classifier:  classifier(loc),
		OpOf:        kindOf,
		Buckets:     buckets(o),
		Budget:      c.budget,
		Auth:        auth,
		Logger:      log,
		Transport:   base,
		Timeouts:    o.Limits.Timeouts.crmhttp(),
		RetryBudget: orNone(o.Limits.RetryBudget),
		StallBudget: orNone(o.Limits.Timeouts.Stalled),
		Now:         now,
		Sleep:       o.hooks.sleep,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// buckets paces each HubSpot limit: the ten-second burst (with 3 %
// headroom, following X-HubSpot-RateLimit-Remaining), search's per-second
// limit and the association reads' own. Association reads are paced by
// their own limit and, conservatively, by the burst limit too, since the
// exemption is reported but unverified (§3.2). Calls are counted per kind
// by the client (OpOf: kindOf), not by these buckets.
func buckets(o *Options) []crmhttp.Bucket {
	l := o.Limits
	pace := func(n int) int {
		if o.hooks.unpaced {
			return 0
		}
		return n
	}
	return []crmhttp.Bucket{
		{Name: "ten_second", Limit: pace(l.TenSecond), Per: 10 * time.Second, Headroom: burstHeadroom,
			Remaining: crmhttp.RemainingHeader(headerRemaining, headerMax),
			Match:     func(r *http.Request) bool { return kindOf(r) != KindSearch }},
		{Name: KindSearch, Limit: pace(l.SearchPerSecond), Per: time.Second, Match: isKind(KindSearch)},
		{Name: KindAssociations, Limit: pace(l.AssociationsTenSecond), Per: 10 * time.Second, Headroom: burstHeadroom, Match: isKind(KindAssociations)},
	}
}

// burstHeadroom widens the ten-second windows by 3 % (300 ms): sends spaced
// exactly at the limit met real 429s when network jitter bunched them
// inside HubSpot's rolling window; 3 % keeps a clean run within 5 % of the
// ceiling.
const burstHeadroom = 0.03

// kindOf names a data request's kind from its path, in either path family.
func kindOf(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, "/search"):
		return KindSearch
	case strings.Contains(p, "/associations/"):
		return KindAssociations
	case strings.HasSuffix(p, "/batch/update"):
		return KindBatchUpdate
	case strings.HasSuffix(p, "/batch/read"):
		return KindRead
	case strings.Contains(p, "/properties/"):
		return KindProperties
	case r.Method == http.MethodGet && strings.Contains(p, "/objects/"):
		return KindList
	}
	return KindOther
}

func isKind(k string) func(*http.Request) bool {
	return func(r *http.Request) bool { return kindOf(r) == k }
}

// Sources implements connector.Reader.
func (c *Connector) Sources() []string { return slices.Clone(c.o.Sources) }

// MaxBatch implements connector.Writer: write_batch, at most HubSpot's
// object batch limit of 100.
func (c *Connector) MaxBatch() int { return c.o.WriteBatch }

// DeletionScanEvery implements connector.DeletionLister.
func (c *Connector) DeletionScanEvery() time.Duration { return c.o.DeletionScanEvery }

// RereadEvery implements connector.OrderRereader: association_rescan_every.
func (c *Connector) RereadEvery() time.Duration { return c.o.AssociationRescanEvery }

// RereadBatch implements connector.OrderRereader: one v4 batch read.
func (c *Connector) RereadBatch() int { return MaxReadBatch }

// RepairEvery implements connector.FieldReader: repair_every.
func (c *Connector) RepairEvery() time.Duration { return c.o.RepairEvery }

// ReadBatch implements connector.FieldReader: one object batch read.
func (c *Connector) ReadBatch() int { return MaxObjectReadBatch }

// Calls implements connector.CallCounter: every HTTP attempt (retries,
// replays and token refreshes included) by kind; the kinds sum to the total.
func (c *Connector) Calls() map[string]int64 {
	s := c.http.Stats().Snapshot()
	out := map[string]int64{}
	for k, n := range s.ByOp {
		if k == crmhttp.OpAuth {
			k = KindToken
		}
		if n > 0 {
			out[k] += n
		}
	}
	return out
}

// Stats returns the HTTP client's counters (retries, replays, 429s).
func (c *Connector) Stats() crmhttp.StatsSnapshot { return c.http.Stats().Snapshot() }

// DailyRemaining implements connector.QuotaReporter from the last
// X-HubSpot-RateLimit-Daily-Remaining header of today. HubSpot sends none
// for OAuth calls and search, so it may stay unknown.
func (c *Connector) DailyRemaining() (int64, bool) {
	r, ok := c.budget.Reported(c.now())
	return r.Remaining, ok
}

// DailyQuota reports today's calls against the daily budget (limits.daily),
// for the quota metrics: what HubSpot says is used when it says, else what
// this connector counted.
func (c *Connector) DailyQuota() (used, limit int64) { return c.budget.Usage(c.now()) }

// QuotaReserve implements connector.QuotaReserver: limits.quota_reserve.
func (c *Connector) QuotaReserve() float64 { return c.o.Limits.QuotaReserve }

// Close implements connector.Connector.
func (c *Connector) Close() error {
	c.transport.CloseIdleConnections()
	return nil
}

var (
	_ connector.Connector      = (*Connector)(nil)
	_ connector.DeletionLister = (*Connector)(nil)
	_ connector.OrderRereader  = (*Connector)(nil)
	_ connector.CallCounter    = (*Connector)(nil)
	_ connector.QuotaReporter  = (*Connector)(nil)
	_ connector.DailyBudget    = (*Connector)(nil)
	_ connector.QuotaReserver  = (*Connector)(nil)
	_ connector.CurrencyPinner = (*Connector)(nil)
	_ connector.FieldEnsurer   = (*Connector)(nil)
	_ connector.FieldReader    = (*Connector)(nil)
)

// orNone maps a configured 0 ("no retries") to the client's "none" (-1).
func orNone(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
