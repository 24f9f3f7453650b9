package salesforcetest

import (
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// DefaultStart is the fake clock's initial time when Options.Start is zero.
var DefaultStart = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// Defaults of the org and its connected app.
const (
	DefaultClientID     = "3MVG9fakeConsumerKey"
	DefaultClientSecret = "fake-consumer-secret"
	DefaultRefreshToken = "5Aep861fakeRefreshToken"
	DefaultUsername     = "rfmsync@acme.example"
	// OrgID and UserID are the org and the integration user.
	OrgID  = "00D000000000001AAA"
	UserID = "005000000000001AAA"
	// DefaultVersion is the API version the examples use.
	DefaultVersion = "62.0"
)

// Options configures a Server. The zero value is a usable org: one connected
// app accepting DefaultRefreshToken, a client-credentials run-as user, a 2 h
// session, 100,000 daily API requests, single currency, no person accounts.
type Options struct {
	// Start is the fake clock's initial time (DefaultStart when zero).
	Start time.Time
	// TickPerRequest advances the clock by this much on every request.
	TickPerRequest time.Duration

	ClientID     string
	ClientSecret string
	// RefreshTokens are the valid refresh tokens ({DefaultRefreshToken}
	// when nil).
	RefreshTokens []string
	// RotateRefreshTokens turns on refresh-token rotation (§1.1): each
	// refresh returns a new refresh token, kills the old one and ends the
	// sessions the old one had opened.
	RotateRefreshTokens bool
	// RefreshWithoutSecret accepts refresh_token grants without
	// client_secret; off by default (the app requires the secret).
	RefreshWithoutSecret bool
	// NoRunAsUser leaves client_credentials without an execution user
	// (invalid_grant "no client credentials user enabled").
	NoRunAsUser bool
	// JWTKey is the public half of the certificate uploaded to the app;
	// nil refuses every JWT assertion.
	JWTKey *rsa.PublicKey
	// Username is the integration user (DefaultUsername when empty).
	Username string
	// JWTUnapproved makes JWT fail with "user hasn't approved this consumer".
	JWTUnapproved bool
	// Sandbox makes the JWT audience https://test.salesforce.com.
	Sandbox bool
	// TokenErrors401 answers token-endpoint failures with 401 instead of
	// 400; clients must accept both (§1.5).
	TokenErrors401 bool
	// SessionTTL is the session timeout (2 h when zero). Token responses
	// never say it (§1.4): a client learns it from a 401.
	SessionTTL time.Duration

	// DailyAPIRequests is the rolling 24 h allocation (100,000 when zero,
	// unlimited when negative).
	DailyAPIRequests int
	// PerAppLimit, when positive, gives the connected app its own cap: the
	// header then carries a per-app segment after api-usage (§6.3), which
	// a client must skip.
	PerAppLimit int
	// BulkQueryJobsPerDay and BulkBatchesPerDay are the rolling 24 h Bulk
	// allocations (10,000 and 15,000 when zero, §3 and §4.4).
	BulkQueryJobsPerDay int
	BulkBatchesPerDay   int
	// MaxBatchSize caps query pages below the client's batchSize (the
	// server may return fewer, §2.3); 2,000 when zero.
	MaxBatchSize int
	// RaggedPages cuts each query page to a varying size at or below the
	// batch, as wide rows do (§2.3): clients must rely on done and
	// nextRecordsUrl, never on page length.
	RaggedPages bool
	// QueryTimeoutAbove, when positive, fails a REST query that matches
	// more rows than this with 400 QUERY_TIMEOUT, as big objects do
	// (§6.5): narrow the window or use Bulk.
	QueryTimeoutAbove int
	// LocatorTTL is how long an idle query locator lives (15 min when
	// zero, the historical limit, §2.4).
	LocatorTTL time.Duration
	// MinVersion and MaxVersion bound the served API versions (31.0 and
	// 70.0 when zero); below 31.0 answers 410 (§0).
	MinVersion, MaxVersion float64

	// Stages are the Opportunity stages (DefaultStages when nil).
	Stages []Stage
	// MultiCurrency adds CurrencyIsoCode and CurrencyType (§2.8).
	MultiCurrency bool
	// DatedRates turns on Advanced Currency Management (DatedConversionRate).
	DatedRates bool
	// CorporateCurrency is the org currency ("USD" when empty).
	CorporateCurrency string
	// PersonAccounts adds IsPersonAccount and PersonContactId.
	PersonAccounts bool

	// BulkPolls is how many status polls a Bulk job needs before it
	// completes (2 when zero: InProgress, then JobComplete).
	BulkPolls int
	// MaxURLLength is the longest request URI served; longer ones get 414
	// (§2.1). 16,384 when zero.
	MaxURLLength int

	// BulkMaxRecords caps one Bulk results set below maxRecords (50,000
	// when zero).
	BulkMaxRecords int
}

// String prints the options with secrets redacted.
func (o Options) String() string {
	return fmt.Sprintf("Options{Start: %s, ClientID: %q, ClientSecret: <redacted>, RefreshTokens: %d redacted, Rotate: %t, SessionTTL: %s, DailyAPIRequests: %d, MultiCurrency: %t}",
		o.Start.Format(time.RFC3339), o.ClientID, len(o.RefreshTokens), o.RotateRefreshTokens, o.SessionTTL, o.DailyAPIRequests, o.MultiCurrency)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

func (o Options) withDefaults() Options {
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.RefreshTokens == nil {
		o.RefreshTokens = []string{DefaultRefreshToken}
	}
	if o.Username == "" {
		o.Username = DefaultUsername
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 2 * time.Hour
	}
	if o.DailyAPIRequests == 0 {
		o.DailyAPIRequests = 100_000
	}
	if o.MaxBatchSize <= 0 || o.MaxBatchSize > 2000 {
		o.MaxBatchSize = 2000
	}
	if o.LocatorTTL <= 0 {
		o.LocatorTTL = 15 * time.Minute
	}
	if o.MinVersion == 0 {
		o.MinVersion = 31
	}
	if o.MaxVersion == 0 {
		o.MaxVersion = 70
	}
	if o.Stages == nil {
		o.Stages = DefaultStages
	}
	if o.CorporateCurrency == "" {
		o.CorporateCurrency = "USD"
	}
	if o.BulkQueryJobsPerDay <= 0 {
		o.BulkQueryJobsPerDay = 10_000
	}
	if o.BulkBatchesPerDay <= 0 {
		o.BulkBatchesPerDay = 15_000
	}
	if o.MaxURLLength <= 0 {
		o.MaxURLLength = 16384
	}
	if o.BulkPolls <= 0 {
		o.BulkPolls = 2
	}
	if o.BulkMaxRecords <= 0 {
		o.BulkMaxRecords = 50_000
	}
	return o
}

// session is what an access token grants.
type session struct {
	user  string
	grant string
	// refresh is the refresh token that opened it (rotation ends it).
	refresh string
}

// Server is a running fake Salesforce org. All record state sits behind
// one mutex; the kit's parts lock themselves.
type Server struct {
	opts    Options
	clock   *fakekit.Clock
	login   *httptest.Server
	inst    *httptest.Server
	log     fakekit.CallLog
	faults  fakekit.Faults[Fault]
	auth    fakekit.OAuth[session]
	schema  map[string]*objectDef
	tooling map[string]*objectDef

	mu       sync.Mutex
	st       store
	usage    fakekit.Window
	locators map[string]*locator
	locSeq   int
	jobs     map[string]*bulkJob
	locks    map[string]int
	validate func(object, id string, fields map[string]any) *RecordError
	writes   []Write
	bulkJobs fakekit.Window // query jobs created, rolling 24 h
	batches  fakekit.Window // ingest batches consumed, rolling 24 h
	jobsGone int
	bulkFail string
	// writeCalls counts write requests that updated at least one record.
	writeCalls int
	// schemaAt is when describe last changed, for If-Modified-Since.
	schemaAt time.Time
}

// New starts a fake org on two local httptest servers. Call Close when done.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:     opts,
		clock:    fakekit.NewClock(opts.Start, false),
		schema:   newSchema(&opts),
		tooling:  newToolingSchema(),
		st:       newStore(),
		locators: map[string]*locator{},
		jobs:     map[string]*bulkJob{},
		locks:    map[string]int{},
	}
	for _, rt := range opts.RefreshTokens {
		s.auth.AddRefresh(rt, session{user: UserID, grant: "refresh_token"})
	}
	s.seedSystem()
	s.login = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, true) }))
	s.inst = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, false) }))
	return s
}

// LoginURL is the login host (login.salesforce.com's stand-in): token
// endpoint only.
func (s *Server) LoginURL() string { return s.login.URL }

// URL is the org's My Domain / instance host, the instance_url of every
// token response.
func (s *Server) URL() string { return s.inst.URL }

// TokenURL is LoginURL + /services/oauth2/token.
func (s *Server) TokenURL() string { return s.login.URL + "/services/oauth2/token" }

// HTTPClient returns a plain client (both hosts are plain HTTP).
func (s *Server) HTTPClient() *http.Client { return s.inst.Client() }

// Close shuts both hosts down, releasing stalled requests first.
func (s *Server) Close() {
	s.faults.ReleaseAll()
	s.login.Close()
	s.inst.Close()
}

// Clock returns the server's clock.
func (s *Server) Clock() *fakekit.Clock { return s.clock }

// Now returns the server's current time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// SetNow moves the clock to t.
func (s *Server) SetNow(t time.Time) { s.clock.Set(t) }

// Advance moves the clock forward by d.
func (s *Server) Advance(d time.Duration) { s.clock.Advance(d) }

// Calls counts requests per route (AnyRoute: all), whatever their outcome.
func (s *Server) Calls(route Route) int { return s.log.Count(route) }

// Log returns every request so far in arrival order. Token requests keep
// neither query nor body; Authorization is never kept.
func (s *Server) Log() []Call { return s.log.Calls() }

// ResetCalls clears the request log and the write log (not the API usage
// window: see APIUsage).
func (s *Server) ResetCalls() {
	s.log.Reset()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes, s.writeCalls = nil, 0
}

// maxBody bounds request bodies (Bulk uploads stay ≤100 MB raw, §4.4).
const maxBody = 150 << 20

// keptHeaders are the request headers the call log keeps, for tests that
// check what a client sent.
var keptHeaders = []string{"Content-Type", "Accept", "Accept-Encoding", "Sforce-Query-Options", "If-Modified-Since"}

// serve runs one request through the pipeline: proxy-level faults, host,
// routing, version, auth, the API allocation, then the handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, loginHost bool) {
	if s.opts.TickPerRequest > 0 {
		s.clock.Advance(s.opts.TickPerRequest)
	}
	sw := &fakekit.StatusWriter{ResponseWriter: w}
	// The Date header is the server's now on the fake clock: clients close
	// their read window from it (§2.6).
	sw.Header().Set("Date", s.clock.Now().Format(http.TimeFormat))
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return
	}
	c := &reqCtx{s: s, w: sw, r: r, body: body, loginHost: loginHost}
	c.m = parseRoute(r.Method, r.URL.Path)
	call := Call{Route: c.m.route, Method: r.Method, Path: r.URL.Path, At: s.clock.Now()}
	if c.m.route != RouteToken {
		call.Query, call.Body = r.URL.RawQuery, body
		call.Header = map[string]string{}
		for _, h := range keptHeaders {
			if v := r.Header.Get(h); v != "" {
				call.Header[h] = v
			}
		}
	}
	n, total, idx := s.log.Start(call)
	defer func() { s.log.End(idx, sw.Status) }()

	s.faults.RunHooks(c.m.route, n, total)
	if !s.faults.Hold(r.Context(), c.m.route) {
		return
	}
	if f, ok := s.faults.Take(c.m.route, n, total); ok {
		s.writeFault(c, f)
		return
	}
	if len(r.RequestURI) > s.opts.MaxURLLength {
		// The body of a 414 is unspecified (§2.1); none is sent.
		sw.WriteHeader(http.StatusRequestURITooLong)
		return
	}
	if c.m.route == RouteToken {
		s.handleToken(c)
		return
	}
	if loginHost {
		c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if c.m.op == opVersions {
		s.handleVersions(c)
		return
	}
	if c.m.op == opNone {
		c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if c.m.version < 31 && c.m.version >= 7 || c.m.version < s.opts.MinVersion {
		// Retired versions answer 410 GONE (§0); the body is unverified.
		c.fail(http.StatusGone, "API_VERSION_RETIRED", "The requested API version "+c.m.versionText+" has been retired")
		return
	}
	if c.m.version > s.opts.MaxVersion {
		c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if !s.authorize(c) {
		return
	}
	if !s.admit(c) {
		return
	}
	if c.m.unsupported != "" {
		c.fail(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", c.m.unsupported)
		return
	}
	s.dispatch(c)
}

func (s *Server) dispatch(c *reqCtx) {
	switch c.m.op {
	case opQuery, opQueryAll:
		s.handleQuery(c, s.schema)
	case opQueryMore:
		s.handleQueryMore(c)
	case opLimits:
		s.handleLimits(c)
	case opReplication:
		s.handleReplication(c)
	case opSObjects:
		s.handleSObjectList(c)
	case opDescribe:
		s.handleDescribe(c)
	case opCreate:
		s.handleCreate(c)
	case opRecord:
		s.handleRecord(c)
	case opCollections:
		s.handleCollections(c)
	case opToolingQuery:
		s.handleQuery(c, s.tooling)
	case opToolingCreate:
		s.handleCustomFieldCreate(c)
	case opBulkQueryCreate, opBulkQueryList, opBulkQueryJob, opBulkQueryResults:
		s.handleBulkQuery(c)
	case opBulkIngestCreate, opBulkIngestJob, opBulkIngestBatches, opBulkIngestResults:
		s.handleBulkIngest(c)
	default:
		c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

// bearer extracts the access token of an Authorization header.
func bearer(h string) string {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(tok)
}
