package salesforce

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Defaults of the options, each chosen from the contract (salesforce.md).
const (
	// DefaultLoginURL is the production login host (§1).
	DefaultLoginURL = "https://login.salesforce.com"
	// DefaultAPIVersion is v62.0: the contract asks for ≥ v62.0, and the
	// version shapes nothing pulled, so bumping it never forces a re-pull.
	DefaultAPIVersion = "62.0"
	// DefaultQueryLag closes each read window this far behind the server's
	// now: long transactions commit rows with an older SystemModstamp
	// (§2.6, airbytehq/airbyte #27146).
	DefaultQueryLag = 5 * time.Minute
	// MinQueryLag: a window closed nearer to now would miss late commits
	// for good.
	MinQueryLag = 30 * time.Second
	// MaxPageSize and MinPageSize bound Sforce-Query-Options batchSize (§2.3).
	MaxPageSize = 2000
	MinPageSize = 200
	// MaxWriteBatch is the sObject Collections cap (§4.1).
	MaxWriteBatch = 200
	// MaxReadBatch is how many ids one WHERE Id IN (…) carries: 200 ids of
	// 18 characters keep the URL near 5 KB, well under the 16 KB limit.
	MaxReadBatch = 200
	// DefaultRereadEvery: contact roles change without touching the
	// Opportunity, so attributions to contacts are re-read daily.
	DefaultRereadEvery = 24 * time.Hour
	// DefaultRepairEvery: reading back costs one query per 200 customers.
	DefaultRepairEvery = 7 * 24 * time.Hour
	// DefaultBulkThreshold: Salesforce positions Bulk queries for 10,000+
	// rows; at 50,000 a job (about 5 calls) replaces 25 query pages.
	DefaultBulkThreshold = 50_000
	// MaxBulkWrite bounds one ingest job (Salesforce splits data into
	// internal batches of 10,000, each one of the 15,000 daily batches).
	MaxBulkWrite = 100_000
	// DefaultBulkPollEvery: jobs take seconds to minutes.
	DefaultBulkPollEvery = 5 * time.Second
	// DefaultDailyReserve is the share of the rolling 24 h allocation kept
	// back from scans and the repair pass.
	DefaultDailyReserve = 0.10
)

// Grants (auth).
const (
	AuthRefreshToken      = "refresh_token"
	AuthClientCredentials = "client_credentials"
	AuthJWT               = "jwt"
)

// Source names.
const (
	SourceOpportunities = "opportunities"
	SourceOrders        = "orders"
)

// Contact attribution rules for opportunities (object: Contact).
const (
	// AttributionPrimaryRole: the primary OpportunityContactRole, then
	// Opportunity.ContactId, then a person account's contact.
	AttributionPrimaryRole = "primary_role"
	// AttributionContactID: Opportunity.ContactId, then a person account's contact.
	AttributionContactID = "contact_id"
)

// Currency policies for multi-currency orgs.
const (
	// CurrencyRates converts raw amounts with CurrencyType (or
	// DatedConversionRate with dated_rates): home = amount ÷ rate.
	CurrencyRates = "rates"
	// CurrencyHomeField: the amount field already holds the corporate
	// currency (a custom formula or roll-up field); no conversion.
	CurrencyHomeField = "home_field"
)

// Options is the decoded crm.salesforce section. Secrets are read from
// their *_file keys at decode time and never printed.
type Options struct {
	LoginURL         string `koanf:"login_url"`
	Auth             string `koanf:"auth"`
	ClientID         string `koanf:"client_id"`
	ClientSecret     string `koanf:"client_secret"`
	ClientSecretFile string `koanf:"client_secret_file"`
	RefreshToken     string `koanf:"refresh_token"`
	RefreshTokenFile string `koanf:"refresh_token_file"`
	Username         string `koanf:"username"`
	PrivateKeyFile   string `koanf:"private_key_file"`
	// Audience is the JWT aud; default https://login.salesforce.com, or
	// https://test.salesforce.com for a sandbox login_url.
	Audience   string `koanf:"audience"`
	APIVersion string `koanf:"api_version"`
	// Object is where the RFM fields live: Account or Contact.
	Object  string   `koanf:"object"`
	Sources []string `koanf:"sources"`

	Opportunities OpportunityOptions `koanf:"opportunities"`
	Orders        OrderOptions       `koanf:"orders"`
	// Currency is rates or home_field (multi-currency orgs only).
	Currency string `koanf:"currency"`
	// DatedRates uses DatedConversionRate (Advanced Currency Management)
	// keyed on the order's date instead of CurrencyType's static rate.
	DatedRates bool `koanf:"dated_rates"`

	QueryLag     time.Duration `koanf:"query_lag"`
	DailyReserve float64       `koanf:"daily_reserve"`
	PageSize     int           `koanf:"page_size"`
	WriteBatch   int           `koanf:"write_batch"`
	RereadEvery  time.Duration `koanf:"reread_every"`
	RepairEvery  time.Duration `koanf:"repair_every"`
	// PermissionSet, if set, is the permission set fields ensure grants
	// field-level security through (created and assigned to the
	// integration user when missing); empty: print what to grant.
	PermissionSet string `koanf:"permission_set"`
	// BulkThreshold: a first pull of this many rows or more goes through a
	// Bulk API 2.0 query job; 0 never.
	BulkThreshold int `koanf:"bulk_threshold"`
	// BulkWriteThreshold, when set, makes batches of this many changed
	// records one Bulk API 2.0 ingest job each (core then hands batches of
	// this size); smaller ones go through Collections. 0: never.
	BulkWriteThreshold int `koanf:"bulk_write_threshold"`
	// BulkPollEvery is how often a running Bulk job is polled.
	BulkPollEvery time.Duration `koanf:"bulk_poll_every"`
	RetryBudget   time.Duration `koanf:"retry_budget"`
	Timeouts      Timeouts      `koanf:"timeouts"`

	prefix       string
	clientSecret string
	refreshToken string
	privateKey   []byte
	hooks        hooks
}

// OpportunityOptions configures the opportunities source.
type OpportunityOptions struct {
	// AmountField is Amount, or a custom field holding the home currency.
	AmountField string `koanf:"amount_field"`
	// DateField is the close date: CloseDate (a date, read as 00:00 UTC)
	// or a custom datetime field holding when the deal was won.
	DateField string `koanf:"date_field"`
	// WonStages, if set, are the StageName values that count as won;
	// empty: IsWon (the stage definition's flag, §2.7).
	WonStages []string `koanf:"won_stages"`
	// ContactAttribution is primary_role or contact_id (object: Contact).
	ContactAttribution string `koanf:"contact_attribution"`
}

// OrderOptions configures the orders source.
type OrderOptions struct {
	AmountField string `koanf:"amount_field"`
	// DateField is the order's date: EffectiveDate (date) or ActivatedDate.
	DateField string `koanf:"date_field"`
	// ContactField attributes orders to contacts (object: Contact).
	ContactField string `koanf:"contact_field"`
}

// Timeouts bound one HTTP attempt (see crmhttp.Timeouts).
type Timeouts struct {
	Connect        time.Duration `koanf:"connect"`
	ResponseHeader time.Duration `koanf:"response_header"`
	IdleRead       time.Duration `koanf:"idle_read"`
	Attempt        time.Duration `koanf:"attempt"`
	Stalled        time.Duration `koanf:"stalled"`
}

func (t Timeouts) crmhttp() crmhttp.Timeouts {
	return crmhttp.Timeouts{Connect: t.Connect, ResponseHeader: t.ResponseHeader, IdleRead: t.IdleRead, Attempt: t.Attempt}
}

// hooks are test seams, never set from configuration.
type hooks struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

func defaultOptions() Options {
	return Options{
		LoginURL: DefaultLoginURL, Auth: AuthRefreshToken, APIVersion: DefaultAPIVersion,
		Opportunities: OpportunityOptions{AmountField: "Amount", DateField: "CloseDate", ContactAttribution: AttributionPrimaryRole},
		Orders:        OrderOptions{AmountField: "TotalAmount", DateField: "EffectiveDate", ContactField: "BillToContactId"},
		Currency:      CurrencyRates,
		QueryLag:      DefaultQueryLag, DailyReserve: DefaultDailyReserve,
		PageSize: MaxPageSize, WriteBatch: MaxWriteBatch,
		RereadEvery: DefaultRereadEvery, RepairEvery: DefaultRepairEvery,
		RetryBudget:   crmhttp.DefaultRetryBudget,
		BulkThreshold: DefaultBulkThreshold, BulkPollEvery: DefaultBulkPollEvery,
		Timeouts: Timeouts{Connect: crmhttp.DefaultConnectTimeout, ResponseHeader: crmhttp.DefaultResponseHeaderTimeout,
			IdleRead: crmhttp.DefaultIdleReadTimeout, Attempt: crmhttp.DefaultAttemptTimeout, Stalled: crmhttp.DefaultStallBudget},
	}
}

// Decode is the registry's Decoder: strict (unknown keys name the key),
// with *_file secrets read.
func Decode(section map[string]any, prefix string) (connector.Options, error) {
	o := defaultOptions()
	if err := config.DecodeSection(section, prefix, &o); err != nil {
		return nil, err
	}
	o.prefix = prefix
	if len(o.Sources) == 0 {
		o.Sources = []string{SourceOpportunities}
	}
	var errs config.Errors
	read := func(key, value, file string) string {
		s, err := config.ReadSecret(value, file)
		if err != nil {
			errs = append(errs, &config.Error{Key: o.key(key), Problem: err.Error()})
		}
		return s
	}
	o.clientSecret = read("client_secret", o.ClientSecret, o.ClientSecretFile)
	o.refreshToken = read("refresh_token", o.RefreshToken, o.RefreshTokenFile)
	if o.PrivateKeyFile != "" && o.Auth == AuthJWT {
		b, err := os.ReadFile(o.PrivateKeyFile)
		if err != nil {
			errs = append(errs, &config.Error{Key: o.key("private_key_file"), Problem: "cannot read the key: " + err.Error()})
		}
		o.privateKey = b
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &o, nil
}

func (o *Options) key(name string) string {
	if o.prefix == "" {
		return "crm.salesforce." + name
	}
	return o.prefix + "." + name
}

// PullShape implements connector.PullShaper: the object, the sources, each
// source's amount, date, won and attribution rules and the currency policy
// decide which facts are held; credentials, the API version, lag, page
// sizes, cadences and limits only tune how they are read.
func (o *Options) PullShape() any {
	return struct {
		Object        string             `json:"object"`
		Sources       []string           `json:"sources"`
		Opportunities OpportunityOptions `json:"opportunities"`
		Orders        OrderOptions       `json:"orders"`
		Currency      string             `json:"currency"`
		DatedRates    bool               `json:"dated_rates"`
	}{o.Object, o.Sources, o.Opportunities, o.Orders, o.Currency, o.DatedRates}
}

var (
	versionRe = regexp.MustCompile(`^[0-9]{2,3}\.0$`)
	apiNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	// customFieldRe is a custom field's API name: a letter, then letters,
	// digits and single underscores, 40 characters at most before __c.
	customFieldRe = regexp.MustCompile(`^[A-Za-z](?:[A-Za-z0-9]|_[A-Za-z0-9]){0,39}__c$`)
)

var _ connector.FieldNameValidator = (*Options)(nil)

// ValidateFieldName implements connector.FieldNameValidator: rfmsync
// writes custom fields only, named like RFM_R__c.
func (o *Options) ValidateFieldName(name string) error {
	if !customFieldRe.MatchString(name) {
		return fmt.Errorf("%q is not a Salesforce custom field API name (a letter, then letters, digits and single underscores, ending in __c, e.g. RFM_R__c)", name)
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
	if v, err := strconv.ParseFloat(o.APIVersion, 64); !versionRe.MatchString(o.APIVersion) || err != nil || v < 31 {
		bad("api_version", "want a served version such as %s (31.0 or later; 30.0 and older are retired)", DefaultAPIVersion)
	}
	switch o.Object {
	case "Account", "Contact":
	case "":
		bad("object", "missing: set Account or Contact (the records the RFM fields are written to)")
	default:
		bad("object", "want Account or Contact, got %q", o.Object)
	}
	seen := map[string]bool{}
	for _, s := range o.Sources {
		switch {
		case s != SourceOpportunities && s != SourceOrders:
			bad("sources", "unknown source %q (want opportunities and/or orders)", s)
		case seen[s]:
			bad("sources", "%s is listed twice", s)
		}
		seen[s] = true
	}
	for key, v := range map[string]string{"opportunities.amount_field": o.Opportunities.AmountField,
		"opportunities.date_field": o.Opportunities.DateField,
		"orders.amount_field":      o.Orders.AmountField, "orders.date_field": o.Orders.DateField,
		"orders.contact_field": o.Orders.ContactField} {
		if !apiNameRe.MatchString(v) {
			bad(key, "want a field API name such as Amount, got %q", v)
		}
	}
	switch o.Orders.DateField {
	case "EffectiveDate", "ActivatedDate":
	default:
		bad("orders.date_field", "want EffectiveDate or ActivatedDate, got %q", o.Orders.DateField)
	}
	if slices.Contains(o.Opportunities.WonStages, "") {
		bad("opportunities.won_stages", "contains an empty stage name")
	}
	switch o.Opportunities.ContactAttribution {
	case AttributionPrimaryRole, AttributionContactID:
	default:
		bad("opportunities.contact_attribution", "want %s or %s, got %q", AttributionPrimaryRole, AttributionContactID, o.Opportunities.ContactAttribution)
	}
	switch o.Currency {
	case CurrencyRates, CurrencyHomeField:
	default:
		bad("currency", "want %s or %s, got %q", CurrencyRates, CurrencyHomeField, o.Currency)
	}
	if o.QueryLag < MinQueryLag {
		bad("query_lag", "want at least %s: rows commit late with an older SystemModstamp, and a window closed nearer to now would miss them for good", MinQueryLag)
	}
	if o.DailyReserve < 0 || o.DailyReserve > 0.9 {
		bad("daily_reserve", "want a share of the daily allocation from 0 to 0.9, such as 0.1, got %v", o.DailyReserve)
	}
	if o.PageSize < MinPageSize || o.PageSize > MaxPageSize {
		bad("page_size", "want %d to %d (Sforce-Query-Options batchSize), got %d", MinPageSize, MaxPageSize, o.PageSize)
	}
	if o.WriteBatch < 1 || o.WriteBatch > MaxWriteBatch {
		bad("write_batch", "want 1 to %d (sObject Collections), got %d", MaxWriteBatch, o.WriteBatch)
	}
	for key, d := range map[string]time.Duration{"reread_every": o.RereadEvery, "repair_every": o.RepairEvery, "retry_budget": o.RetryBudget} {
		if d < 0 {
			bad(key, "must not be negative")
		}
	}
	if o.BulkThreshold < 0 {
		bad("bulk_threshold", "must not be negative (0 turns Bulk queries off)")
	}
	if o.BulkWriteThreshold != 0 && (o.BulkWriteThreshold <= MaxWriteBatch || o.BulkWriteThreshold > MaxBulkWrite) {
		bad("bulk_write_threshold", "want 0 (off) or %d to %d records per ingest job, got %d", MaxWriteBatch+1, MaxBulkWrite, o.BulkWriteThreshold)
	}
	if o.BulkPollEvery < 100*time.Millisecond || o.BulkPollEvery > 10*time.Minute {
		bad("bulk_poll_every", "want a duration from 100ms to 10m, got %v", o.BulkPollEvery)
	}
	if o.PermissionSet != "" && !apiNameRe.MatchString(o.PermissionSet) {
		bad("permission_set", "want a permission set API name (letters, digits, underscores), got %q", o.PermissionSet)
	}
	for key, d := range map[string]time.Duration{"timeouts.connect": o.Timeouts.Connect, "timeouts.response_header": o.Timeouts.ResponseHeader,
		"timeouts.idle_read": o.Timeouts.IdleRead, "timeouts.attempt": o.Timeouts.Attempt} {
		if d < 100*time.Millisecond || d > time.Hour {
			bad(key, "want a duration from 100ms to 1h, got %v", d)
		}
	}
	if o.Timeouts.Stalled < 0 || o.Timeouts.Stalled > time.Hour {
		bad("timeouts.stalled", "want a duration from 0 to 1h, got %v", o.Timeouts.Stalled)
	}
	slices.SortFunc(errs, func(a, b *config.Error) int { return strings.Compare(a.Key, b.Key) })
	if len(errs) > 0 {
		return errs
	}
	return nil
}

func (o *Options) validateAuth(bad func(key, format string, args ...any)) {
	u, err := url.Parse(o.LoginURL)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		bad("login_url", "want an absolute https URL such as %s or your My Domain URL", DefaultLoginURL)
		return
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		bad("login_url", "plain http is allowed only for a local test server: the credentials would travel unencrypted")
	}
	if o.ClientID == "" {
		bad("client_id", "missing: the connected app's consumer key")
	}
	switch o.Auth {
	case AuthRefreshToken:
		if o.refreshToken == "" {
			bad("refresh_token", "missing: set refresh_token or refresh_token_file (from the connected app's one-time web-server flow)")
		}
	case AuthClientCredentials:
		if o.clientSecret == "" {
			bad("client_secret", "missing: the client_credentials grant needs the consumer secret")
		}
		if h := strings.ToLower(u.Hostname()); h == "login.salesforce.com" || h == "test.salesforce.com" {
			bad("login_url", "the client_credentials grant must go to the org's My Domain URL (https://<domain>.my.salesforce.com); %s answers \"request not supported on this domain\"", h)
		}
	case AuthJWT:
		if o.Username == "" {
			bad("username", "missing: the jwt grant needs the integration user's username")
		}
		if len(o.privateKey) == 0 && o.PrivateKeyFile == "" {
			bad("private_key_file", "missing: the jwt grant needs the RS256 private key whose certificate is on the connected app")
		}
	default:
		bad("auth", "want %s, %s or %s, got %q", AuthRefreshToken, AuthClientCredentials, AuthJWT, o.Auth)
	}
}

// audience is the JWT aud claim (§1.3).
func (o *Options) audience() string {
	if o.Audience != "" {
		return o.Audience
	}
	if u, err := url.Parse(o.LoginURL); err == nil && (u.Hostname() == "test.salesforce.com" || strings.Contains(u.Hostname(), ".sandbox.")) {
		return "https://test.salesforce.com"
	}
	return DefaultLoginURL
}

// New builds the connector (see newConnector).
func (o *Options) New(env connector.Env) (connector.Connector, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return newConnector(o, env)
}

// String renders the options without secrets.
func (o Options) String() string {
	return fmt.Sprintf("salesforce{login_url: %s, auth: %s, client_id: %s, secrets: %s, api_version: %s, object: %s, sources: %v}",
		o.LoginURL, o.Auth, o.ClientID, crmhttp.Redacted, o.APIVersion, o.Object, o.Sources)
}

// GoString hides the secrets from %#v.
func (o Options) GoString() string { return o.String() }

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var _ connector.Options = (*Options)(nil)
