package hubspot

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Defaults of the options, each chosen from the contract (hubspot.md).
const (
	// DefaultBaseURL is HubSpot's API host.
	DefaultBaseURL = "https://api.hubapi.com"
	// DefaultAPIVersion selects the legacy /crm/v3 (and /crm/v4 associations)
	// paths, usable until HubSpot's announced 2027 enforcement date.
	DefaultAPIVersion = "v3"
	// DefaultSearchLag keeps each pull's window this far behind now: search
	// lags writes by seconds (reports up to ~30 s), so a window ending at now
	// would miss records that land late with an older timestamp.
	DefaultSearchLag = 5 * time.Minute
	// MinSearchLag is the longest search delay integrators report (~30 s,
	// §2.1, §8.3). A window closed nearer to now than that is never read
	// again, so a record that becomes searchable late would be lost for good.
	MinSearchLag = 30 * time.Second
	// DefaultDeletionScanEvery: archived deals drop out of search, so they are
	// found by listing archived records, a full scan worth doing daily.
	DefaultDeletionScanEvery = 24 * time.Hour
	// DefaultAssociationRescanEvery: re-associating a deal does not bump its
	// modified date, so attributions are re-read weekly.
	DefaultAssociationRescanEvery = 7 * 24 * time.Hour
	// DefaultRepairEvery: reading back every written customer costs one
	// batch read per 100 (1,000 calls for 100,000 customers, well under 1%
	// of a daily limit), and values edited by hand or by a workflow are
	// rare, so a weekly pass repairs them without spending much quota.
	DefaultRepairEvery = 7 * 24 * time.Hour
	// DefaultTenSecond is the Free/Starter private-app burst limit per 10 s
	// (110 public OAuth apps, 190 Professional/Enterprise, 250 with the pack).
	DefaultTenSecond = 100
	// DefaultSearchPerSecond is one under HubSpot's 5 searches/s, for headroom.
	DefaultSearchPerSecond = 4
	// DefaultAssociationsTenSecond is the lowest reported tier of the v4
	// association reads' own limit (100/150/200 per 10 s).
	DefaultAssociationsTenSecond = 100
	// DefaultDaily is the Free/Starter daily call limit of an account.
	DefaultDaily = 250_000
	// MaxPageSize is CRM search's largest page (limit 200).
	MaxPageSize = 200
	// MaxListPageSize is the list endpoint's largest page (limit 100).
	MaxListPageSize = 100
	// MaxInlineAssociations is how many associations of one type the list
	// endpoint returns inline per record (§2.3, §3.1); a record with that
	// many may have more, so its customer is read with the v4 batch read.
	MaxInlineAssociations = 100
	// MaxReadBatch is the v4 association batch read's input limit (1,000
	// since 2025-02): one ReadPage gathers up to this many records so one
	// association read attributes them all.
	MaxReadBatch = 1000
	// MaxBatch is the object batch/update input limit.
	MaxBatch = 100
	// MaxObjectReadBatch is the object batch/read input limit (§2.4).
	MaxObjectReadBatch = 100
)

// Source names.
const (
	SourceDeals  = "deals"
	SourceOrders = "orders"
)

// First-pull strategies: how a source without a cursor is read.
const (
	// FirstPullList walks the list endpoint (100 records per call, paced by
	// the ten-second limit, associations inline), then searches what changed
	// meanwhile: at Professional's 19 calls/s a backfill costs about half
	// the HubSpot time of searching at 4/s with 200 per call.
	FirstPullList = "list"
	// FirstPullSearch reads the first pull through CRM search, like every
	// later pull.
	FirstPullSearch = "search"
)

// Attribution rules: which associated customer an order counts for.
const (
	// AttributionPrimary picks the primary association (deal→company typeId
	// 5, or any association labelled "Primary"), else the lowest ID.
	AttributionPrimary = "primary"
	// AttributionLowestID picks the associated record with the lowest ID:
	// stable, and the oldest record in practice.
	AttributionLowestID = "lowest_id"
)

// Options is the decoded crm.hubspot section. Secrets are read from their
// *_file keys at decode time and never printed: String and GoString redact.
type Options struct {
	// Token is a private-app access token or service key (pat-na1-…).
	Token     string `koanf:"token"`
	TokenFile string `koanf:"token_file"`
	// OAuth configures a public app's refresh-token grant instead of Token.
	OAuth *OAuthOptions `koanf:"oauth"`

	BaseURL string `koanf:"base_url"`
	// APIVersion is "v3" (legacy /crm/v3 paths) or a date version such as
	// "2026-03" (/crm/objects/2026-03/… paths); both carry identical JSON.
	APIVersion string `koanf:"api_version"`
	// Object is the customer type the RFM fields live on: contacts or companies.
	Object  string   `koanf:"object"`
	Sources []string `koanf:"sources"`
	// Attribution is primary or lowest_id; "" means primary for companies
	// and lowest_id for contacts.
	Attribution string `koanf:"attribution"`

	Deals  DealOptions  `koanf:"deals"`
	Orders OrderOptions `koanf:"orders"`
	Limits LimitOptions `koanf:"limits"`

	SearchLag              time.Duration `koanf:"search_lag"`
	DeletionScanEvery      time.Duration `koanf:"deletion_scan_every"`
	AssociationRescanEvery time.Duration `koanf:"association_rescan_every"`
	// RepairEvery is how often the written fields are read back to repair
	// values a person or a workflow changed; 0 disables the pass.
	RepairEvery time.Duration `koanf:"repair_every"`
	// PageSize is the limit of one search request (≤200).
	PageSize int `koanf:"page_size"`
	// FirstPull is list or search: how a source without a cursor (the
	// first pull, or a re-pull after a reset) is read (see FirstPullList).
	FirstPull string `koanf:"first_pull"`
	// ListPageSize is the limit of one list request (≤100): the first
	// pull's list phase and the archived-records scan.
	ListPageSize int `koanf:"list_page_size"`
	// ReadBatch is how many records one ReadPage returns at most (≤1,000):
	// several searches (or list calls), then one association read for all
	// of them that need one.
	ReadBatch int `koanf:"read_batch"`
	// WriteBatch is how many records one batch/update carries (≤100).
	WriteBatch int `koanf:"write_batch"`
	// PropertyGroup is the property group `fields ensure` creates the
	// fields in (default "rfm"); it shapes nothing that is pulled or written.
	PropertyGroup string `koanf:"property_group"`

	prefix       string
	token        string // resolved secrets
	clientSecret string
	refreshToken string
	hooks        hooks
}

// OAuthOptions is a public app's OAuth refresh-token grant.
type OAuthOptions struct {
	ClientID         string `koanf:"client_id"`
	ClientSecret     string `koanf:"client_secret"`
	ClientSecretFile string `koanf:"client_secret_file"`
	RefreshToken     string `koanf:"refresh_token"`
	RefreshTokenFile string `koanf:"refresh_token_file"`
	// TokenURL overrides the token endpoint (default: base_url plus
	// /oauth/v1/token, or /oauth/<date>/token for a date api_version).
	TokenURL string `koanf:"token_url"`
}

// PullShape implements connector.PullShaper: what decides which facts a
// pull holds — the object, the sources, the attribution rule, each
// source's amount and date properties, won rule and currency policy.
// Limits, page sizes, cadences, the API version, the first-pull method and
// the base URL tune how it is read, not what, and are left out.
func (o *Options) PullShape() any {
	return struct {
		Object      string       `json:"object"`
		Sources     []string     `json:"sources"`
		Attribution string       `json:"attribution"`
		Deals       DealOptions  `json:"deals"`
		Orders      OrderOptions `json:"orders"`
	}{o.Object, o.Sources, o.Attribution, o.Deals, o.Orders}
}

// String hides the secrets.
func (o OAuthOptions) String() string {
	return fmt.Sprintf("oauth{client_id: %s, client_secret: %s, refresh_token: %s}",
		o.ClientID, crmhttp.Redacted, crmhttp.Redacted)
}

// GoString hides the secrets from %#v.
func (o OAuthOptions) GoString() string { return o.String() }

// DealOptions configures the deals source.
type DealOptions struct {
	// AmountProperty is read as the order amount. The default,
	// amount_in_home_currency, is already in the account's currency; with
	// "amount" (deal currency) every deal must share one currency (see Currency).
	AmountProperty   string `koanf:"amount_property"`
	ClosedAtProperty string `koanf:"closed_at_property"`
	// WonStages maps pipeline IDs to their won stage IDs; empty means a deal
	// is won when HubSpot's calculated hs_is_closed_won is true.
	WonStages map[string][]string `koanf:"won_stages"`
	// Currency pins the one currency deals are in when AmountProperty is
	// "amount"; empty means the first currency seen.
	Currency string `koanf:"currency"`
}

// OrderOptions configures the commerce orders source (object 0-123).
type OrderOptions struct {
	AmountProperty string `koanf:"amount_property"`
	// HomeCurrencyProperty, if set, is a property holding the amount in the
	// account's currency (HubSpot documents none). Without it orders must
	// share one currency: Currency, or the first one seen.
	HomeCurrencyProperty string `koanf:"home_currency_property"`
	Currency             string `koanf:"currency"`
	// ClosedAtProperty is the purchase date; createdate when it is empty.
	ClosedAtProperty string `koanf:"closed_at_property"`
	// WonStages, if set, are the only order stages that count; cancelled
	// orders never count either way.
	WonStages []string `koanf:"won_stages"`
	// SubtractRefunds takes hs_refund_amount off the amount; a fully
	// refunded order does not count.
	SubtractRefunds bool `koanf:"subtract_refunds"`
}

// LimitOptions are the account's API limits the client paces itself to.
type LimitOptions struct {
	TenSecond             int    `koanf:"ten_second"`
	SearchPerSecond       int    `koanf:"search_per_second"`
	AssociationsTenSecond int    `koanf:"associations_ten_second"`
	Daily                 int    `koanf:"daily"`
	DailyResetTimezone    string `koanf:"daily_reset_timezone"`
	// RetryBudget bounds one call's retries of transient failures (5xx,
	// 429 bursts, timeouts) by time; a call that still fails ends the run,
	// which the daemon retries after a backoff.
	RetryBudget time.Duration  `koanf:"retry_budget"`
	Timeouts    TimeoutOptions `koanf:"timeouts"`
	// QuotaReserve is the share of the daily limit kept for the sync itself:
	// below it the periodic scans and the repair pass wait for the reset.
	QuotaReserve float64 `koanf:"quota_reserve"`
}

// TimeoutOptions bound one HTTP attempt (see crmhttp.Timeouts).
type TimeoutOptions struct {
	Connect        time.Duration `koanf:"connect"`
	ResponseHeader time.Duration `koanf:"response_header"`
	IdleRead       time.Duration `koanf:"idle_read"`
	Attempt        time.Duration `koanf:"attempt"`
	// Stalled bounds the time one call may lose to attempts that timed out
	// before it fails.
	Stalled time.Duration `koanf:"stalled"`
}

func (t TimeoutOptions) crmhttp() crmhttp.Timeouts {
	return crmhttp.Timeouts{Connect: t.Connect, ResponseHeader: t.ResponseHeader, IdleRead: t.IdleRead, Attempt: t.Attempt}
}

// hooks are test seams, never set from configuration.
type hooks struct {
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	unpaced bool // benchmarks: count calls but never wait
}

// defaultOptions returns the scalar defaults; lists and maps are filled
// after decoding, because the decoder merges into existing ones.
func defaultOptions() Options {
	return Options{
		BaseURL:    DefaultBaseURL,
		APIVersion: DefaultAPIVersion,
		Deals:      DealOptions{AmountProperty: "amount_in_home_currency", ClosedAtProperty: "closedate"},
		Orders:     OrderOptions{AmountProperty: "hs_total_price", ClosedAtProperty: "hs_external_created_date", SubtractRefunds: true},
		Limits: LimitOptions{TenSecond: DefaultTenSecond, SearchPerSecond: DefaultSearchPerSecond, AssociationsTenSecond: DefaultAssociationsTenSecond, Daily: DefaultDaily, DailyResetTimezone: "UTC",
			RetryBudget: crmhttp.DefaultRetryBudget, QuotaReserve: 0.10, Timeouts: TimeoutOptions{Connect: crmhttp.DefaultConnectTimeout,
				ResponseHeader: crmhttp.DefaultResponseHeaderTimeout, IdleRead: crmhttp.DefaultIdleReadTimeout,
				Attempt: crmhttp.DefaultAttemptTimeout, Stalled: crmhttp.DefaultStallBudget}},
		SearchLag:              DefaultSearchLag,
		DeletionScanEvery:      DefaultDeletionScanEvery,
		AssociationRescanEvery: DefaultAssociationRescanEvery,
		RepairEvery:            DefaultRepairEvery,
		PageSize:               MaxPageSize,
		FirstPull:              FirstPullList,
		ListPageSize:           MaxListPageSize,
		ReadBatch:              MaxReadBatch,
		WriteBatch:             MaxBatch,
		PropertyGroup:          DefaultGroup,
	}
}

// Decode is the registry's Decoder: it decodes crm.hubspot strictly
// (unknown keys are errors naming the key) and reads *_file secrets.
func Decode(section map[string]any, prefix string) (connector.Options, error) {
	o := defaultOptions()
	if err := config.DecodeSection(section, prefix, &o); err != nil {
		return nil, err
	}
	o.prefix = prefix
	if len(o.Sources) == 0 {
		o.Sources = []string{SourceDeals}
	}
	var errs config.Errors
	read := func(key, value, file string) string {
		s, err := config.ReadSecret(value, file)
		if err != nil {
			errs = append(errs, &config.Error{Key: o.key(key), Problem: err.Error()})
		}
		return s
	}
	o.token = read("token", o.Token, o.TokenFile)
	if o.OAuth != nil {
		o.clientSecret = read("oauth.client_secret", o.OAuth.ClientSecret, o.OAuth.ClientSecretFile)
		o.refreshToken = read("oauth.refresh_token", o.OAuth.RefreshToken, o.OAuth.RefreshTokenFile)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &o, nil
}

// key is the dotted config key of name, for messages.
func (o *Options) key(name string) string {
	if o.prefix == "" {
		return "crm.hubspot." + name
	}
	return o.prefix + "." + name
}

var (
	dateVersionRe = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
	currencyRe    = regexp.MustCompile(`^[A-Z]{3}$`)
	propertyRe    = regexp.MustCompile(`^[a-z0-9_]+$`)
)

// fieldNameRe is the shape of a property rfmsync creates and writes: a
// lower-case letter, then lower-case letters, digits and underscores, as
// HubSpot refuses other internal names on property creation.
var fieldNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

var _ connector.FieldNameValidator = (*Options)(nil)

// ValidateFieldName implements connector.FieldNameValidator.
func (o *Options) ValidateFieldName(name string) error {
	if !fieldNameRe.MatchString(name) {
		return fmt.Errorf("%q is not a HubSpot internal property name (a lower-case letter, then lower-case letters, digits, underscores)", name)
	}
	return nil
}

// Validate checks every option before any network call; each problem
// names its key and none quotes a secret.
func (o *Options) Validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.Error{Key: o.key(key), Problem: fmt.Sprintf(format, args...)})
	}
	o.validateAuth(bad)
	if u, err := url.Parse(o.BaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		bad("base_url", "want an absolute https URL such as %s", DefaultBaseURL)
	} else if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		bad("base_url", "plain http is allowed only for a local test server: the token would travel unencrypted")
	}
	if o.APIVersion != "v3" && !dateVersionRe.MatchString(o.APIVersion) {
		bad("api_version", "want v3 or a date version such as 2026-03")
	}
	switch o.Object {
	case "contacts", "companies":
	case "":
		bad("object", "missing: set contacts or companies (the records the RFM fields are written to)")
	default:
		bad("object", "want contacts or companies, got %q", o.Object)
	}
	o.validateSources(bad)
	switch o.Attribution {
	case "", AttributionPrimary, AttributionLowestID:
	default:
		bad("attribution", "want %s or %s, got %q", AttributionPrimary, AttributionLowestID, o.Attribution)
	}
	switch o.FirstPull {
	case FirstPullList, FirstPullSearch:
	default:
		bad("first_pull", "want %s or %s, got %q", FirstPullList, FirstPullSearch, o.FirstPull)
	}
	o.validateLimits(bad)
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"search_lag", o.SearchLag}, {"deletion_scan_every", o.DeletionScanEvery}, {"association_rescan_every", o.AssociationRescanEvery}, {"repair_every", o.RepairEvery}} {
		if d.v < 0 {
			bad(d.key, "must not be negative")
		}
	}
	if o.SearchLag >= 0 && o.SearchLag < MinSearchLag {
		bad("search_lag", "want at least %s: HubSpot's search shows writes up to ~30 s late, and a window closed nearer to now would miss them for good", MinSearchLag)
	}
	for _, p := range []struct {
		key      string
		v, limit int
	}{{"page_size", o.PageSize, MaxPageSize}, {"list_page_size", o.ListPageSize, MaxListPageSize}, {"read_batch", o.ReadBatch, MaxReadBatch}, {"write_batch", o.WriteBatch, MaxBatch}} {
		if p.v < 1 || p.v > p.limit {
			bad(p.key, "want 1 to %d, got %d", p.limit, p.v)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (o *Options) validateAuth(bad func(key, format string, args ...any)) {
	switch {
	case o.token != "" && o.OAuth != nil:
		bad("token", "set token (private app) or oauth (public app), not both")
	case o.token == "" && o.OAuth == nil:
		bad("token", "missing: set token or token_file (private app), or oauth (public app)")
	case o.token != "" && strings.ContainsAny(o.token, " \t\r\n"):
		bad("token", "contains whitespace; copy the token again")
	}
	if o.OAuth == nil {
		return
	}
	if o.OAuth.ClientID == "" {
		bad("oauth.client_id", "missing")
	}
	if o.clientSecret == "" {
		bad("oauth.client_secret", "missing: set client_secret or client_secret_file")
	}
	if o.refreshToken == "" {
		bad("oauth.refresh_token", "missing: set refresh_token or refresh_token_file")
	}
	if o.OAuth.TokenURL != "" {
		if u, err := url.Parse(o.OAuth.TokenURL); err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			bad("oauth.token_url", "want an absolute https URL")
		}
	}
}

func (o *Options) validateSources(bad func(key, format string, args ...any)) {
	seen := map[string]bool{}
	for _, s := range o.Sources {
		switch {
		case s != SourceDeals && s != SourceOrders:
			bad("sources", "unknown source %q (want deals and/or orders)", s)
		case seen[s]:
			bad("sources", "%s is listed twice", s)
		}
		seen[s] = true
	}
	prop := func(key, v string, required bool) {
		switch {
		case v == "" && required:
			bad(key, "missing: name a HubSpot property")
		case v != "" && !propertyRe.MatchString(v):
			bad(key, "%q is not a HubSpot internal property name (lower case, digits, underscores)", v)
		}
	}
	prop("deals.amount_property", o.Deals.AmountProperty, true)
	prop("deals.closed_at_property", o.Deals.ClosedAtProperty, true)
	prop("orders.amount_property", o.Orders.AmountProperty, true)
	prop("orders.closed_at_property", o.Orders.ClosedAtProperty, false)
	prop("orders.home_currency_property", o.Orders.HomeCurrencyProperty, false)
	for _, pipeline := range sortedKeys(o.Deals.WonStages) {
		if len(o.Deals.WonStages[pipeline]) == 0 || slices.Contains(o.Deals.WonStages[pipeline], "") {
			bad("deals.won_stages."+pipeline, "list the won stage IDs of this pipeline")
		}
	}
	if slices.Contains(o.Orders.WonStages, "") {
		bad("orders.won_stages", "contains an empty stage ID")
	}
	for key, c := range map[string]string{"deals.currency": o.Deals.Currency, "orders.currency": o.Orders.Currency} {
		if c != "" && !currencyRe.MatchString(c) {
			bad(key, "want an ISO 4217 code such as EUR, got %q", c)
		}
	}
}

func (o *Options) validateLimits(bad func(key, format string, args ...any)) {
	l := o.Limits
	if l.TenSecond < 1 || l.TenSecond > 250 {
		bad("limits.ten_second", "want your app's burst limit per 10 s: 100, 110, 190 or 250, got %d", l.TenSecond)
	}
	if l.SearchPerSecond < 1 || l.SearchPerSecond > 5 {
		bad("limits.search_per_second", "want 1 to 5 (HubSpot allows 5 searches per second), got %d", l.SearchPerSecond)
	}
	if l.AssociationsTenSecond < 1 || l.AssociationsTenSecond > 250 {
		bad("limits.associations_ten_second", "want 1 to 250, got %d", l.AssociationsTenSecond)
	}
	if l.Daily < 1 {
		bad("limits.daily", "want the account's daily limit, such as 250000, got %d", l.Daily)
	}
	if l.QuotaReserve < 0 || l.QuotaReserve > 0.9 {
		bad("limits.quota_reserve", "want a share of the daily limit from 0 to 0.9, such as 0.1, got %v", l.QuotaReserve)
	}
	for _, d := range []struct {
		key    string
		v, min time.Duration
	}{{"limits.retry_budget", l.RetryBudget, 0}, {"limits.timeouts.connect", l.Timeouts.Connect, 100 * time.Millisecond},
		{"limits.timeouts.response_header", l.Timeouts.ResponseHeader, 100 * time.Millisecond},
		{"limits.timeouts.idle_read", l.Timeouts.IdleRead, 100 * time.Millisecond},
		{"limits.timeouts.attempt", l.Timeouts.Attempt, 100 * time.Millisecond},
		{"limits.timeouts.stalled", l.Timeouts.Stalled, 0}} {
		if d.v < d.min || d.v > time.Hour {
			bad(d.key, "want a duration from %v to 1h, got %v", d.min, d.v)
		}
	}
	if _, err := time.LoadLocation(l.DailyResetTimezone); err != nil || l.DailyResetTimezone == "" {
		bad("limits.daily_reset_timezone", "want the account's IANA time zone, such as Europe/Berlin, got %q", l.DailyResetTimezone)
	}
}

// New builds the connector (see newConnector).
func (o *Options) New(env connector.Env) (connector.Connector, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return newConnector(o, env)
}

// String renders the options without secrets, for logs and %v.
func (o Options) String() string {
	auth := "token " + crmhttp.Redacted
	if o.OAuth != nil {
		auth = o.OAuth.String()
	}
	return fmt.Sprintf("hubspot{%s, base_url: %s, api_version: %s, object: %s, sources: %v}",
		auth, o.BaseURL, o.APIVersion, o.Object, o.Sources)
}

// GoString hides the secrets from %#v.
func (o Options) GoString() string { return o.String() }

// attribution is the effective attribution rule.
func (o *Options) attribution() string {
	if o.Attribution != "" {
		return o.Attribution
	}
	if o.Object == "companies" {
		return AttributionPrimary
	}
	return AttributionLowestID
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var _ connector.Options = (*Options)(nil)
