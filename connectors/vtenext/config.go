package vtenext

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Source names, the values of crm.vtenext.sources.
const (
	SourceSalesOrder = "salesorder"
	SourceInvoice    = "invoice"
	SourcePotentials = "potentials"
)

// Defaults and bounds of the options, each from the contract (vtenext.md).
const (
	// DefaultQueryLag keeps each pull's window this far behind now: a save
	// stamps modifiedtime when it starts and commits later, so a window
	// ending at now could pass a record that commits with an older stamp.
	DefaultQueryLag = 2 * time.Minute
	// MinQueryLag is the shortest lag accepted.
	MinQueryLag = 30 * time.Second
	// DefaultReconcileEvery: query never returns deleted records, so the
	// held ids are re-read daily to find deletions.
	DefaultReconcileEvery = 24 * time.Hour
	// DefaultRepairEvery: written fields are read back weekly.
	DefaultRepairEvery = 7 * 24 * time.Hour
	// DefaultPageSize and MaxPageSize bound LIMIT (§4.3: default 100, max 500).
	DefaultPageSize = 100
	MaxPageSize     = 500
	// MaxWriteConcurrency is the most sessions writing at once (§5.5).
	MaxWriteConcurrency = 4
	// DefaultWriteRate is the shared pace of revise calls per second (§5.5).
	DefaultWriteRate = 5
	// DefaultWriteBatch is how many updates one WriteBatch takes (written
	// one revise per record); core commits after each, so a crash rewrites
	// at most one batch. MaxWriteBatch bounds it.
	DefaultWriteBatch = 20
	MaxWriteBatch     = 100
)

// Options is the decoded crm.vtenext section. The access key is read from
// access_key_file at decode time and never printed.
type Options struct {
	URL           string   `koanf:"url"`
	Username      string   `koanf:"username"`
	AccessKey     string   `koanf:"access_key"`
	AccessKeyFile string   `koanf:"access_key_file"`
	Object        string   `koanf:"object"`
	Sources       []string `koanf:"sources"`
	// DateFormat is the API user's date format; describe must agree.
	DateFormat     string        `koanf:"date_format"`
	ServerTimezone string        `koanf:"server_timezone"`
	ReconcileEvery time.Duration `koanf:"reconcile_every"`
	QueryLag       time.Duration `koanf:"query_lag"`
	RepairEvery    time.Duration `koanf:"repair_every"`
	PageSize       int           `koanf:"page_size"`
	// WriteConcurrency is how many sessions write at once (1 to 4).
	WriteConcurrency int `koanf:"write_concurrency"`
	// WriteRate is the revise calls per second all sessions share.
	WriteRate int `koanf:"write_rate"`
	// WriteBatch is how many records one commit of the sync loop covers.
	WriteBatch int `koanf:"write_batch"`

	SalesOrder SourceOptions `koanf:"salesorder"`
	Invoice    SourceOptions `koanf:"invoice"`
	Potentials SourceOptions `koanf:"potentials"`

	prefix    string
	accessKey string
	hooks     hooks
}

// SourceOptions configures one source.
type SourceOptions struct {
	// Statuses are the status values that count (sostatus, invoicestatus,
	// sales_stage); compared exactly, as vtenext stores the English keys.
	Statuses []string `koanf:"statuses"`
	// CustomerFields are the reference fields tried in order; the first
	// that points at a record of the configured object is the customer.
	CustomerFields []string `koanf:"customer_fields"`
	// DateField is the order's date (salesorder default createdtime,
	// invoice invoicedate); potentials always use eff_closingdate, else
	// closingdate.
	DateField string `koanf:"date_field"`
}

// hooks are test seams, never set from configuration.
type hooks struct {
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
	timeouts    crmhttp.Timeouts // zero fields: crmhttp's defaults
	stallBudget time.Duration
	unpaced     bool
	// transport replaces the pooled HTTP transport (benchmarks model save latency).
	transport http.RoundTripper
	// breaker remembers refused logins; core will hand in a persisted one.
	breaker crmhttp.Breaker
}

func defaultOptions() Options {
	return Options{DateFormat: "dd-mm-yyyy", ServerTimezone: "Europe/Rome", ReconcileEvery: DefaultReconcileEvery,
		QueryLag: DefaultQueryLag, RepairEvery: DefaultRepairEvery, PageSize: DefaultPageSize,
		WriteConcurrency: 1, WriteRate: DefaultWriteRate, WriteBatch: DefaultWriteBatch}
}

// Decode is the registry's Decoder: crm.vtenext decoded strictly, the
// access key read from its file, and each source's defaults filled in.
func Decode(section map[string]any, prefix string) (connector.Options, error) {
	o := defaultOptions()
	if err := config.DecodeSection(section, prefix, &o); err != nil {
		return nil, err
	}
	o.prefix = prefix
	key, err := config.ReadSecret(o.AccessKey, o.AccessKeyFile)
	if err != nil {
		return nil, config.Errors{&config.Error{Key: o.key("access_key"), Problem: err.Error()}}
	}
	o.accessKey = strings.TrimSpace(key)
	o.fillDefaults()
	return &o, nil
}

// fillDefaults sets what depends on other keys (lists merge when decoded,
// so they are filled after).
func (o *Options) fillDefaults() {
	if len(o.Sources) == 0 {
		o.Sources = []string{SourceSalesOrder}
	}
	ref := "account_id"
	if o.Object == "Contacts" {
		ref = "contact_id"
	}
	def := func(s *SourceOptions, statuses []string, refs []string, date string) {
		if s.Statuses == nil {
			s.Statuses = statuses
		}
		if s.CustomerFields == nil {
			s.CustomerFields = refs
		}
		if s.DateField == "" {
			s.DateField = date
		}
	}
	def(&o.SalesOrder, []string{"Approved", "Delivered"}, []string{ref}, "createdtime")
	def(&o.Invoice, []string{"Sent", "Paid", "Credit Invoice"}, []string{ref}, "invoicedate")
	def(&o.Potentials, []string{"Closed Won"}, []string{"related_to"}, "")
}

func (o *Options) key(name string) string {
	if o.prefix == "" {
		return "crm.vtenext." + name
	}
	return o.prefix + "." + name
}

// PullShape implements connector.PullShaper: the object, the sources and
// each source's statuses, customer fields and date field, the date format
// and the server zone (they decide the instants held). URL, lags, cadences,
// page size and write tuning are left out.
func (o *Options) PullShape() any {
	return struct {
		Object     string        `json:"object"`
		Sources    []string      `json:"sources"`
		DateFormat string        `json:"date_format"`
		Zone       string        `json:"server_timezone"`
		SalesOrder SourceOptions `json:"salesorder"`
		Invoice    SourceOptions `json:"invoice"`
		Potentials SourceOptions `json:"potentials"`
	}{o.Object, o.Sources, o.DateFormat, o.ServerTimezone, o.SalesOrder, o.Invoice, o.Potentials}
}

var (
	fieldNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	userRE      = regexp.MustCompile(`^[^\s]+$`)
)

// Validate checks every option before any network call.
func (o *Options) Validate() error {
	var errs config.Errors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &config.Error{Key: o.key(key), Problem: fmt.Sprintf(format, args...)})
	}
	if u, err := url.Parse(o.URL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		bad("url", "want the CRM's absolute https URL, such as https://crm.example.com (rfmsync calls url + /webservice.php)")
	} else if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		bad("url", "plain http is allowed only for a local test server: the access key's session would travel unencrypted")
	} else if strings.HasSuffix(strings.TrimRight(u.Path, "/"), "webservice.php") {
		bad("url", "give the site URL without /webservice.php")
	}
	if o.Username == "" || !userRE.MatchString(o.Username) {
		bad("username", "missing: the web-service user's name")
	}
	if o.accessKey == "" {
		bad("access_key", "missing: set access_key or access_key_file (My Preferences → Webservice Access Key)")
	}
	switch o.Object {
	case "Accounts", "Contacts":
	case "":
		bad("object", "missing: set Accounts or Contacts (the records the RFM fields are written to)")
	default:
		bad("object", "want Accounts or Contacts, got %q", o.Object)
	}
	seen := map[string]bool{}
	for _, s := range o.Sources {
		switch {
		case s != SourceSalesOrder && s != SourceInvoice && s != SourcePotentials:
			bad("sources", "unknown source %q (want salesorder, invoice and/or potentials)", s)
		case seen[s]:
			bad("sources", "%s is listed twice", s)
		}
		seen[s] = true
	}
	if _, ok := dateLayouts[o.DateFormat]; !ok {
		bad("date_format", "want dd-mm-yyyy, mm-dd-yyyy or yyyy-mm-dd (the API user's date format), got %q", o.DateFormat)
	}
	if _, err := time.LoadLocation(o.ServerTimezone); err != nil || o.ServerTimezone == "" || o.ServerTimezone == "Local" {
		bad("server_timezone", "want the server's IANA time zone, such as Europe/Rome, got %q", o.ServerTimezone)
	}
	if o.QueryLag < MinQueryLag {
		bad("query_lag", "want at least %s: a save commits after it stamps modifiedtime, and a window closed nearer to now would miss it for good", MinQueryLag)
	}
	if o.ReconcileEvery < 0 {
		bad("reconcile_every", "must not be negative")
	}
	if o.RepairEvery < 0 {
		bad("repair_every", "must not be negative")
	}
	if o.PageSize < 1 || o.PageSize > MaxPageSize {
		bad("page_size", "want 1 to %d, got %d", MaxPageSize, o.PageSize)
	}
	if o.WriteConcurrency < 1 || o.WriteConcurrency > MaxWriteConcurrency {
		bad("write_concurrency", "want 1 to %d sessions, got %d", MaxWriteConcurrency, o.WriteConcurrency)
	}
	if o.WriteBatch < 1 || o.WriteBatch > MaxWriteBatch {
		bad("write_batch", "want 1 to %d records, got %d", MaxWriteBatch, o.WriteBatch)
	}
	if o.WriteRate < 1 || o.WriteRate > 50 {
		bad("write_rate", "want 1 to 50 revise calls per second, got %d", o.WriteRate)
	}
	for _, src := range []struct {
		name string
		s    SourceOptions
	}{{SourceSalesOrder, o.SalesOrder}, {SourceInvoice, o.Invoice}, {SourcePotentials, o.Potentials}} {
		if len(src.s.Statuses) == 0 || slices.Contains(src.s.Statuses, "") {
			bad(src.name+".statuses", "list the status values that count")
		}
		if len(src.s.CustomerFields) == 0 {
			bad(src.name+".customer_fields", "list the reference fields that name the customer")
		}
		for _, f := range append(slices.Clone(src.s.CustomerFields), src.s.DateField) {
			if f != "" && !fieldNameRE.MatchString(f) {
				bad(src.name, "%q is not a vtenext field name", f)
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// New builds the connector.
func (o *Options) New(env connector.Env) (connector.Connector, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return newConnector(o, env)
}

// String renders the options without the access key.
func (o Options) String() string {
	return fmt.Sprintf("vtenext{url: %s, username: %s, access_key: %s, object: %s, sources: %v}",
		o.URL, o.Username, crmhttp.Redacted, o.Object, o.Sources)
}

// GoString hides the access key from %#v.
func (o Options) GoString() string { return o.String() }

// source returns a source's options.
func (o *Options) source(name string) SourceOptions {
	switch name {
	case SourceInvoice:
		return o.Invoice
	case SourcePotentials:
		return o.Potentials
	}
	return o.SalesOrder
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var _ connector.Options = (*Options)(nil)
var _ connector.PullShaper = (*Options)(nil)
