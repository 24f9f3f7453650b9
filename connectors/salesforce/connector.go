// Package salesforce is rfmsync's Salesforce connector: it reads won
// Opportunities and activated Orders incrementally through SOQL queryAll on
// a (SystemModstamp, Id) keyset inside a window that closes query_lag before
// the server's now, follows nextRecordsUrl, attributes each to an Account
// or a Contact (primary contact role, ContactId, BillToContactId, person
// accounts), converts multi-currency amounts with the org's rates, reads a
// large first backfill through a Bulk API 2.0 query job, writes RFM fields
// back through sObject Collections (or Bulk ingest jobs, when configured)
// and reads them back with SOQL for the repair pass. Limits, error bodies and quirks come from the
// contract in salesforce.md; salesforcetest is its fake.
//
// Configuration (crm.salesforce), every key optional except client_id, the
// grant's secrets and object:
//
//	login_url: https://login.salesforce.com  # token host; My Domain URL for client_credentials
//	auth: refresh_token          # refresh_token | client_credentials | jwt
//	client_id: …                 # the connected app's consumer key
//	client_secret: …             # or client_secret_file
//	refresh_token: …             # or refresh_token_file (auth: refresh_token)
//	username: …                  # jwt: the integration user
//	private_key_file: …          # jwt: the RS256 key of the app's certificate
//	audience: ""                 # jwt aud; default login.salesforce.com (test. for sandboxes)
//	api_version: "62.0"          # shapes nothing pulled: bump it freely
//	object: Account              # or Contact: where the RFM fields live
//	sources: [opportunities]     # opportunities and/or orders
//	opportunities:
//	  amount_field: Amount       # or a custom home-currency field
//	  date_field: CloseDate      # or a custom datetime field (when won)
//	  won_stages: []             # StageName values that count; empty: IsWon
//	  contact_attribution: primary_role  # or contact_id (object: Contact)
//	orders:                      # counted when StatusCode = Activated
//	  amount_field: TotalAmount
//	  date_field: EffectiveDate  # or ActivatedDate
//	  contact_field: BillToContactId     # object: Contact
//	currency: rates              # multi-currency orgs: rates (CurrencyType) or home_field
//	dated_rates: false           # Advanced Currency Management: DatedConversionRate by date
//	query_lag: 5m                # window closes this long before server now; at least 30s
//	daily_reserve: 0.1           # share of the 24 h allocation kept from scans and repair
//	page_size: 2000              # query batchSize, 200 to 2000
//	write_batch: 200             # records per Collections PATCH, at most 200
//	reread_every: 24h            # contact roles re-read (object: Contact); 0: never
//	repair_every: 168h           # read written fields back; 0: never
//	permission_set: ""           # fields ensure grants FLS through it; empty: print what to grant
//	bulk_threshold: 50000        # a first pull of this many rows uses a Bulk API 2.0 query job; 0: never
//	bulk_write_threshold: 0      # batches of this many records use one Bulk ingest job; 0: never
//	bulk_poll_every: 5s          # how often a running Bulk job is polled
//	retry_budget: 3m             # retry one call's transient failures this long
//	timeouts: {connect: 10s, response_header: 20s, idle_read: 10s, attempt: 2m, stalled: 30s}
package salesforce

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Name is the connector's registry name, the value of crm.type.
const Name = "salesforce"

func init() {
	connector.Register(connector.Registration{Name: Name, Decode: Decode})
}

// Call kinds, as Calls reports them.
const (
	KindQuery       = "query"
	KindQueryMore   = "query_more"
	KindCollections = "collections"
	KindDescribe    = "describe"
	KindTooling     = "tooling"
	KindSetup       = "setup"
	KindBulk        = "bulk"
	KindVersions    = "versions"
	KindToken       = "token"
	KindOther       = "other"
)

// Connector is a configured Salesforce connection, safe for concurrent use.
type Connector struct {
	o         *Options
	root      string // /services/data/vNN.N
	http      *crmhttp.Client
	auth      *crmhttp.TokenAuth
	budget    *crmhttp.Budget
	transport *http.Transport
	now       func() time.Time
	log       *slog.Logger
	kinds     map[string]map[string]connector.FieldKind // type → field → kind

	mu       sync.Mutex
	org      *orgInfo          // describe results, once per connector
	rates    *rates            // conversion rates of the open window
	locators map[string]bool   // nextRecordsUrls this process received: true until used
	opened   map[string]string // source → end of the window this process opened
}

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
	c := &Connector{o: o, root: "/services/data/v" + o.APIVersion, now: now, log: log,
		transport: crmhttp.NewTransport(o.Timeouts.crmhttp()), locators: map[string]bool{}, opened: map[string]string{},
		kinds: map[string]map[string]connector.FieldKind{}}
	for _, s := range env.Fields {
		for _, typ := range []string{"Account", "Contact"} {
			if c.kinds[typ] == nil {
				c.kinds[typ] = map[string]connector.FieldKind{}
			}
			if n := s.Field.For(typ); n != "" {
				c.kinds[typ][n] = s.Kind
			}
		}
	}
	// The rolling 24 h allocation (§6.1): no reset time, so a spent
	// budget stops this run and never pauses later ones.
	c.budget = crmhttp.NewBudget(crmhttp.BudgetConfig{
		Parse: crmhttp.UsageHeader("Sforce-Limit-Info", "api-usage"), Code: codeRequestLimit,
		Message: "the org's rolling 24 h API request allocation is used up (Sforce-Limit-Info); the next scheduled run tries again"})
	var base http.RoundTripper = c.transport
	if env.WrapTransport != nil {
		base = env.WrapTransport(base, kindOf)
	}
	auth, err := newAuth(o, now, base, log, env)
	if err != nil {
		return nil, err
	}
	c.auth = auth
	c.http, err = crmhttp.New(crmhttp.Options{
		BaseURLFrom: auth.BaseURL,
		Classifier:  classify,
		OpOf:        kindOf,
		Budget:      c.budget,
		Auth:        auth,
		Logger:      log,
		Transport:   base,
		Timeouts:    o.Timeouts.crmhttp(),
		RetryBudget: orNone(o.RetryBudget),
		StallBudget: orNone(o.Timeouts.Stalled),
		Now:         now,
		Sleep:       o.hooks.sleep,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// kindOf names a request's kind from its path.
func kindOf(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasSuffix(p, tokenPath):
		return KindToken
	case strings.Contains(p, "/jobs/"):
		return KindBulk
	case strings.Contains(p, "/tooling/"):
		return KindTooling
	case strings.Contains(p, "/query/"):
		return KindQueryMore
	case strings.HasSuffix(p, "/query") || strings.HasSuffix(p, "/queryAll"):
		return KindQuery
	case strings.HasSuffix(p, "/composite/sobjects"):
		return KindCollections
	case strings.HasSuffix(p, "/describe"):
		return KindDescribe
	case strings.HasSuffix(p, "/services/data") || strings.HasSuffix(p, "/services/data/"):
		return KindVersions
	case strings.Contains(p, "/sobjects/"):
		return KindSetup
	}
	return KindOther
}

// Sources implements connector.Reader.
func (c *Connector) Sources() []string { return slices.Clone(c.o.Sources) }

// MaxBatch implements connector.Writer: write_batch (at most 200, one
// Collections call), or bulk_write_threshold when Bulk ingest is on.
func (c *Connector) MaxBatch() int {
	if c.o.BulkWriteThreshold > 0 {
		return c.o.BulkWriteThreshold
	}
	return c.o.WriteBatch
}

// RereadEvery implements connector.OrderRereader: contact roles change
// without touching the Opportunity, so with object Contact and the
// primary-role rule held attributions are re-read on reread_every;
// otherwise every change shows in the keyset and no re-read is due.
func (c *Connector) RereadEvery() time.Duration {
	if c.o.Object != "Contact" || c.o.Opportunities.ContactAttribution != AttributionPrimaryRole || !slices.Contains(c.o.Sources, SourceOpportunities) {
		return 0
	}
	return c.o.RereadEvery
}

// RereadBatch implements connector.OrderRereader.
func (c *Connector) RereadBatch() int { return MaxReadBatch }

// RepairEvery implements connector.FieldReader.
func (c *Connector) RepairEvery() time.Duration { return c.o.RepairEvery }

// ReadBatch implements connector.FieldReader.
func (c *Connector) ReadBatch() int { return MaxReadBatch }

// WriteCalls implements connector.WritePlanner: one Collections call per
// write_batch records; with Bulk ingest, about six calls per full job
// (create, upload, close, a poll, two result sets) and Collections for the
// rest.
func (c *Connector) WriteCalls(n int) int {
	if t := c.o.BulkWriteThreshold; t > 0 {
		return n/t*6 + (n%t+MaxWriteBatch-1)/MaxWriteBatch
	}
	return (n + c.o.WriteBatch - 1) / c.o.WriteBatch
}

// Calls implements connector.CallCounter: every HTTP attempt by kind.
func (c *Connector) Calls() map[string]int64 {
	out := map[string]int64{}
	for k, n := range c.http.Stats().Snapshot().ByOp {
		if k == crmhttp.OpAuth {
			k = KindToken
		}
		if n > 0 {
			out[k] += n
		}
	}
	return out
}

// Stats returns the HTTP client's counters.
func (c *Connector) Stats() crmhttp.StatsSnapshot { return c.http.Stats().Snapshot() }

// DailyQuota implements connector.DailyBudget from Sforce-Limit-Info.
func (c *Connector) DailyQuota() (used, limit int64) { return c.budget.Usage(c.now()) }

// DailyRemaining implements connector.QuotaReporter.
func (c *Connector) DailyRemaining() (int64, bool) {
	r, ok := c.budget.Reported(c.now())
	return r.Remaining, ok
}

// QuotaReserve implements connector.QuotaReserver: daily_reserve.
func (c *Connector) QuotaReserve() float64 { return c.o.DailyReserve }

// Close implements connector.Connector.
func (c *Connector) Close() error {
	c.transport.CloseIdleConnections()
	return nil
}

// do sends a JSON request and returns the response.
func (c *Connector) do(ctx context.Context, r *crmhttp.Request) (*crmhttp.Response, error) {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if r.Header.Get("Accept") == "" {
		r.Header.Set("Accept", "application/json")
	}
	if r.Body != nil && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return c.http.Do(ctx, r)
}

var (
	_ connector.Connector     = (*Connector)(nil)
	_ connector.OrderRereader = (*Connector)(nil)
	_ connector.CallCounter   = (*Connector)(nil)
	_ connector.QuotaReporter = (*Connector)(nil)
	_ connector.DailyBudget   = (*Connector)(nil)
	_ connector.QuotaReserver = (*Connector)(nil)
	_ connector.WritePlanner  = (*Connector)(nil)
	_ connector.FieldEnsurer  = (*Connector)(nil)
	_ connector.FieldReader   = (*Connector)(nil)
)

// orNone maps a configured 0 ("no retries") to the client's "none" (-1).
func orNone(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
