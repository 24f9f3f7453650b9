package hubspottest

import (
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// Burst limits per ten-second window (§6), for Options.BurstLimit.
const (
	TierFreeStarter   = 100 // private app or service key, Free/Starter
	TierOAuthApp      = 110 // publicly distributed OAuth app, per installed account
	TierProfessional  = 190 // Professional and Enterprise
	TierLimitIncrease = 250 // with the API Limit Increase pack
)

// Daily limits per account (§6), for Options.DailyLimit.
const (
	DailyFreeStarter  = 250_000
	DailyProfessional = 625_000
	DailyEnterprise   = 1_000_000
)

// DefaultToken is the static token the server accepts, with every scope, when
// Options configures neither Tokens nor OAuth.
const DefaultToken = "pat-na1-00000000-0000-4000-8000-000000000000"

// Options configures a Server. The zero value is a usable fake: one static
// token, Free/Starter limits, no search lag, fake clock at DefaultStart.
// Limits use 0 for "HubSpot's default" and a negative value for "unlimited".
type Options struct {
	// Start is the fake clock's initial time (DefaultStart when zero).
	Start time.Time
	// RealTime makes the clock follow wall time, for measuring a client's
	// pacing against the real windows; SetNow/Advance still shift it.
	RealTime bool
	// TickPerRequest advances the fake clock by this much on every request,
	// so a client that never calls Advance still sees time pass
	// deterministically (e.g. 100ms means 100 requests per fake 10 s).
	TickPerRequest time.Duration

	// HubID is the account (portal) ID; 1234567 when zero.
	HubID int64
	// AppID appears in 429 group names; 26892217 when zero.
	AppID int64

	// Tokens maps static bearer tokens (private app / service key) to their
	// granted scopes; a nil slice grants every scope.
	Tokens map[string][]string
	// OAuth enables the token endpoint for one app.
	OAuth *OAuthApp

	// BurstLimit is requests per rolling ten seconds per app (Tier* consts);
	// TierFreeStarter when zero.
	BurstLimit int
	// DailyLimit is requests per account per day (Daily* consts);
	// DailyFreeStarter when zero.
	DailyLimit int
	// SearchPerSecond is the per-account search limit; 5 when zero.
	SearchPerSecond int
	// AssociationBurst is the separate ten-second limit of v4 association
	// reads, which are exempt from the burst policy (§3.2); 100 when zero.
	AssociationBurst int
	// RetryAfter429, when positive, adds Retry-After (seconds) to 429s. Off by
	// default because HubSpot usually omits it (§6).
	RetryAfter429 int
	// TimeZone is the account's zone, where the daily counter resets at
	// midnight; UTC when nil.
	TimeZone *time.Location

	// SearchLag hides writes from search until they are this old on the
	// clock: a new record is invisible and an updated one shows its previous
	// version (§2.1 eventual consistency).
	SearchLag time.Duration
	// AssociationPageSize is how many targets one v4 batch-read input
	// returns before paging.next appears; 500 when zero.
	AssociationPageSize int
	// MaxURLLength is the longest request URI served; longer ones get an HTML
	// 414 (§2.3). 8192 when zero.
	MaxURLLength int

	// WonStages maps deal pipeline ID to its closed-won stage IDs;
	// {"default": ["closedwon"]} when nil.
	WonStages map[string][]string
	// LostStages maps deal pipeline ID to its closed-lost stage IDs;
	// {"default": ["closedlost"]} when nil.
	LostStages map[string][]string
	// HomeCurrency is the account's company currency; "USD" when empty.
	HomeCurrency string
	// ExchangeRates maps a deal currency to a decimal multiplier into the
	// home currency, for amount_in_home_currency; missing currencies use 1.
	ExchangeRates map[string]string

	// IDStart is the first auto-assigned record ID of every object type
	// (IDs are unique only per type, so types overlap on purpose).
	// 15000000001 when zero, above 2^31 so 32-bit parsing breaks.
	IDStart int64
	// Seed seeds the shuffles of unordered batch results.
	Seed uint64
}

// String prints the options with static tokens and OAuth secrets redacted.
func (o Options) String() string {
	oauth := "nil"
	if o.OAuth != nil {
		oauth = o.OAuth.String()
	}
	return fmt.Sprintf("Options{Start: %s, RealTime: %t, Tokens: %d redacted, OAuth: %s, BurstLimit: %d, DailyLimit: %d, SearchPerSecond: %d, SearchLag: %s}",
		o.Start.Format(time.RFC3339), o.RealTime, len(o.Tokens), oauth, o.BurstLimit, o.DailyLimit, o.SearchPerSecond, o.SearchLag)
}

// GoString is String, for %#v.
func (o Options) GoString() string { return o.String() }

// withDefaults fills HubSpot's defaults into zero fields.
func (o Options) withDefaults() Options {
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.HubID == 0 {
		o.HubID = 1234567
	}
	if o.AppID == 0 {
		o.AppID = 26892217
	}
	if o.Tokens == nil && o.OAuth == nil {
		o.Tokens = map[string][]string{DefaultToken: nil}
	}
	if o.BurstLimit == 0 {
		o.BurstLimit = TierFreeStarter
	}
	if o.DailyLimit == 0 {
		o.DailyLimit = DailyFreeStarter
	}
	if o.SearchPerSecond == 0 {
		o.SearchPerSecond = 5
	}
	if o.AssociationBurst == 0 {
		o.AssociationBurst = 100
	}
	if o.TimeZone == nil {
		o.TimeZone = time.UTC
	}
	if o.AssociationPageSize <= 0 {
		o.AssociationPageSize = 500
	}
	if o.MaxURLLength <= 0 {
		o.MaxURLLength = 8192
	}
	if o.WonStages == nil {
		o.WonStages = map[string][]string{DealPipelineDefault: {DealStageClosedWon}}
	}
	if o.LostStages == nil {
		o.LostStages = map[string][]string{DealPipelineDefault: {DealStageClosedLost}}
	}
	if o.HomeCurrency == "" {
		o.HomeCurrency = "USD"
	}
	if o.IDStart <= 0 {
		o.IDStart = 15_000_000_001
	}
	if o.OAuth != nil && o.OAuth.TokenTTL <= 0 {
		app := *o.OAuth
		app.TokenTTL = 30 * time.Minute
		o.OAuth = &app
	}
	return o
}

// Server is a running fake HubSpot. All state sits behind one mutex, which
// keeps it race-free; handlers hold it only while touching state.
type Server struct {
	opts      Options
	clock     *Clock
	ts        *httptest.Server
	cidPrefix string
	cidSeq    atomic.Uint64

	mu     sync.Mutex
	tables map[ObjectType]*table
	assoc  map[assocKey]map[int64][]*edge
	auth   authState
	lim    limiter
	faults fakekit.Faults[Fault]
	log    fakekit.CallLog
	rnd    *rand.Rand
	writes writeStats
}

// New starts a fake HubSpot on a local httptest server. Call Close when done.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	var b [9]byte
	_, _ = crand.Read(b[:])
	h := hex.EncodeToString(b[:])
	s := &Server{
		opts:      opts,
		clock:     NewClock(opts.Start, opts.RealTime),
		cidPrefix: fmt.Sprintf("%s-%s-4%s-8%s", h[:8], h[8:12], h[12:15], h[15:18]),
		tables:    map[ObjectType]*table{},
		assoc:     map[assocKey]map[int64][]*edge{},
		rnd:       rand.New(rand.NewPCG(opts.Seed, 0x6875627370)),
	}
	now := s.clock.Now()
	for _, m := range objectMetas {
		s.tables[m.plural] = newTable(m, &s.opts, now)
	}
	s.auth.init(&s.opts)
	s.ts = httptest.NewServer(s)
	return s
}

// URL is the base URL to point a client at (the fake's api.hubapi.com).
func (s *Server) URL() string { return s.ts.URL }

// HTTPClient returns a client wired to the test server.
func (s *Server) HTTPClient() *http.Client { return s.ts.Client() }

// Close shuts the server down, releasing any stalled requests first.
func (s *Server) Close() {
	s.faults.ReleaseAll()
	s.ts.Close()
}

// Clock returns the server's clock; Clock().Now can be handed to a client
// so that it computes token expiry on the same time line.
func (s *Server) Clock() *Clock { return s.clock }

// Now returns the server's current time.
func (s *Server) Now() time.Time { return s.clock.Now() }

// SetNow moves the server's clock to t.
func (s *Server) SetNow(t time.Time) { s.clock.Set(t) }

// Advance moves the server's clock forward by d.
func (s *Server) Advance(d time.Duration) { s.clock.Advance(d) }

// maxBody bounds request bodies; HubSpot's batch bodies are far smaller.
const maxBody = 32 << 20

// ServeHTTP runs one request through the pipeline real HubSpot applies, in
// order: proxy-level faults, URL length, routing, auth, rate limits, then
// the handler with its own request validation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.TickPerRequest > 0 {
		s.clock.Advance(s.opts.TickPerRequest)
	}
	sw := &fakekit.StatusWriter{ResponseWriter: w}
	c := &reqCtx{s: s, w: sw, r: r, cid: s.newCorrelationID()}
	sw.Header().Set(headerCorrelationID, c.cid)
	c.m = parseRoute(r.Method, r.URL.Path)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return
	}
	c.body = body

	n, total, idx := s.logStart(c)
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
		c.html(http.StatusRequestURITooLong, htmlPage(414, "Request-URI Too Large"))
		return
	}
	if c.m.op == opNone {
		c.html(http.StatusNotFound, htmlPage(404, "Not Found"))
		return
	}
	if c.m.unsupported != "" {
		c.fail(http.StatusMethodNotAllowed, "", c.m.unsupported)
		return
	}
	if c.m.op == opToken {
		s.handleToken(c)
		return
	}
	if !s.authorize(c) {
		return
	}
	if !s.admit(c) {
		return
	}
	s.dispatch(c)
}

// dispatch calls the handler of a routed, authorised, admitted request.
func (s *Server) dispatch(c *reqCtx) {
	if c.m.typeName != "" && c.m.meta == nil {
		c.fail(http.StatusBadRequest, "", "Unable to infer object type from: "+c.m.typeName)
		return
	}
	if c.m.toName != "" && c.m.toMeta == nil {
		c.fail(http.StatusBadRequest, "", "Unable to infer object type from: "+c.m.toName)
		return
	}
	switch c.m.op {
	case opList:
		s.handleList(c)
	case opGet:
		s.handleGet(c)
	case opBatchRead:
		s.handleBatchRead(c)
	case opSearch:
		s.handleSearch(c)
	case opBatchUpdate:
		s.handleBatchUpdate(c)
	case opPatch:
		s.handlePatch(c)
	case opAssocBatchRead:
		s.handleAssocBatchRead(c)
	case opAssocGet:
		s.handleAssocGet(c)
	case opPropList:
		s.handlePropList(c)
	case opPropCreate:
		s.handlePropCreate(c)
	case opPropGet:
		s.handlePropGet(c)
	case opPropPatch:
		s.handlePropPatch(c)
	case opGroupList:
		s.handleGroupList(c)
	case opGroupCreate:
		s.handleGroupCreate(c)
	case opGroupGet:
		s.handleGroupGet(c)
	}
}

// locked runs fn holding s.mu and releases it even if fn panics, so one
// broken handler cannot wedge the whole fake.
func (s *Server) locked(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// newCorrelationID returns a UUID-shaped ID, unique per server.
func (s *Server) newCorrelationID() string {
	return fmt.Sprintf("%s-%012x", s.cidPrefix, s.cidSeq.Add(1))
}
