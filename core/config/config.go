package config

import (
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// Config is rfmsync's whole configuration as the file (plus environment
// overrides) spells it. Load returns it validated; the methods hand out the
// compiled forms (scoring params, field map, time zone, connector options).
// Every koanf tag here must be documented in config.example.yaml; a test
// holds the two in step.
type Config struct {
	Schedule Schedule `koanf:"schedule"`
	State    State    `koanf:"state"`
	// Listen is the host:port of the status page and metrics; "" disables it.
	// The default binds to loopback so nothing is exposed by accident.
	Listen string `koanf:"listen"`
	CRM    CRM    `koanf:"crm"`
	RFM    RFM    `koanf:"rfm"`
	Fields Fields `koanf:"fields"`
	Log    Log    `koanf:"log"`
	Status Status `koanf:"status"`
	// Predict is the predictive models, the holdout and lift (predict.go).
	Predict Predict `koanf:"predict"`

	compiled compiled
}

// compiled is what validation derived from the fields above.
type compiled struct {
	location *time.Location
	schedule cron.Schedule
	// empty is a file (and environment) that set no key at all.
	empty    bool
	params   rfm.Params
	inactive InactivePolicy
}

// Schedule is when syncs run.
type Schedule struct {
	// Cron is a standard 5-field expression or a descriptor such as @daily,
	// read in Timezone. The default runs at 03:00, after most nightly imports.
	Cron string `koanf:"cron"`
	// Timezone is an IANA zone name; cron fields are read in it.
	Timezone string `koanf:"timezone"`
	// MinInterval is the shortest gap allowed between two runs, so a typo
	// such as "* * * * *" cannot spend the CRM's daily quota in an hour.
	MinInterval time.Duration `koanf:"min_interval"`
}

// State is where the bbolt database lives.
type State struct {
	Path string `koanf:"path"`
	// LockTimeout bounds the wait for the database lock, so a second
	// instance fails fast instead of hanging.
	LockTimeout time.Duration `koanf:"lock_timeout"`
}

// CRM selects the connector and carries each connector's own section as a
// raw map: only the connector knows its keys, so the registry's Decoder
// checks them. String redacts everything, because sections hold secrets.
type CRM struct {
	// Type names a registered connector; "" runs offline (score, check).
	Type string `koanf:"type"`
	// Sections holds crm.<name> for every name given, keyed by name.
	Sections map[string]any `koanf:",remain" json:"-"`

	options connector.Options
}

// String names the type and sections only; values may be secrets.
func (c CRM) String() string {
	return "crm{type: " + c.Type + ", sections: " + joinSorted(c.Sections) + "}"
}

// GoString is String, so %#v does not leak section values either.
func (c CRM) GoString() string { return c.String() }

// RFM is everything that shapes scores.
type RFM struct {
	// WindowDays is the look-back window: orders older than this many days
	// before the run do not count.
	WindowDays int    `koanf:"window_days"`
	Bins       int    `koanf:"bins"`
	Recency    Metric `koanf:"recency"`
	Frequency  Metric `koanf:"frequency"`
	Monetary   Metric `koanf:"monetary"`

	Segments     Segments     `koanf:"segments"`
	NewCustomers NewCustomers `koanf:"new_customers"`
	Inactive     Inactive     `koanf:"inactive"`
}

// Metric is how one of R, F, M is scored.
type Metric struct {
	// Method is "quantile" (ranks against the other customers) or
	// "threshold" (fixed cut points).
	Method string `koanf:"method"`
	// Cuts are bins−1 ascending cut points for the threshold method, kept as
	// the text the file gave so money parses exactly: days for recency,
	// order counts for frequency, amounts for monetary.
	Cuts []string `koanf:"cuts"`
	// RecalibrateEvery, for threshold metrics, asks for the cuts to be
	// recomputed from the data at this interval; 0 never does.
	RecalibrateEvery time.Duration `koanf:"recalibrate_every"`
}

// Segments chooses the segment map: a preset or explicit rules.
type Segments struct {
	// Preset is "eleven" or "four"; both are defined for 5 bins.
	Preset string `koanf:"preset"`
	// Rules, when given, replace the preset; first match wins.
	Rules []SegmentRule `koanf:"rules"`
}

// SegmentRule is one rule as written: a segment and the score ranges it
// matches; an absent range matches any score.
type SegmentRule struct {
	ID    string     `koanf:"id"`
	Label string     `koanf:"label"`
	R     ScoreRange `koanf:"r"`
	F     ScoreRange `koanf:"f"`
	M     ScoreRange `koanf:"m"`
	// FM is floor((f + m + 1) / 2), the combined score most maps use.
	FM ScoreRange `koanf:"fm"`
}

// NewCustomers puts customers whose first order is recent into their own
// segment, because a quantile R of 5 and F of 1 says little about them yet.
type NewCustomers struct {
	// Days is how recent the first order must be; 0 turns this off.
	Days  int    `koanf:"days"`
	ID    string `koanf:"id"`
	Label string `koanf:"label"`
}

// Inactive is what happens to customers with no qualifying order in the
// window: their fields are cleared, or they get an explicit segment.
type Inactive struct {
	Mode  string `koanf:"mode"`
	ID    string `koanf:"id"`
	Label string `koanf:"label"`
}

// Defaults of the keys whose zero value is not the default.
const (
	DefaultCron        = "0 3 * * *"
	DefaultTimezone    = "UTC"
	DefaultMinInterval = 5 * time.Minute
	DefaultStatePath   = "rfmsync.db"
	DefaultLockTimeout = 5 * time.Second
	DefaultListen      = "127.0.0.1:9464"
	DefaultWindowDays  = 730
	DefaultPreset      = "eleven"
)

// defaults returns the configuration before the file is applied.
func defaults() Config {
	return Config{
		Schedule: Schedule{Cron: DefaultCron, Timezone: DefaultTimezone, MinInterval: DefaultMinInterval},
		State:    State{Path: DefaultStatePath, LockTimeout: DefaultLockTimeout},
		Listen:   DefaultListen,
		RFM: RFM{
			WindowDays:   DefaultWindowDays,
			Bins:         rfm.DefaultBins,
			Recency:      Metric{Method: string(rfm.Quantile)},
			Frequency:    Metric{Method: string(rfm.Quantile)},
			Monetary:     Metric{Method: string(rfm.Quantile)},
			Segments:     Segments{Preset: DefaultPreset},
			NewCustomers: NewCustomers{ID: "new", Label: "New"},
			Inactive:     Inactive{Mode: string(InactiveClear), ID: "inactive", Label: "Inactive"},
		},
		Log:     Log{Format: DefaultLogFormat, Level: DefaultLogLevel},
		Status:  Status{UnreadyAfterFailures: DefaultUnreadyAfterFailures, HistoryRuns: DefaultHistoryRuns},
		Predict: defaultPredict(),
	}
}

// Default returns the validated default configuration: offline (no CRM),
// quantile scoring on 5 bins with the eleven-segment preset, no fields
// written.
func Default() *Config {
	c, err := LoadBytes(nil, nil)
	if err != nil {
		panic("config: defaults do not validate: " + err.Error())
	}
	return c
}

// Params returns the compiled scoring parameters.
func (c *Config) Params() rfm.Params { return c.compiled.params }

// Location returns the time zone the schedule is read in.
func (c *Config) Location() *time.Location { return c.compiled.location }

// Warnings lists what is valid but probably not meant: a file that sets
// nothing (every key its default: offline, nothing written) and a CRM
// config that maps no field (syncs would pull and score but write nothing).
func (c *Config) Warnings() []string {
	var out []string
	if c.compiled.empty {
		out = append(out, "the config sets no key: every value is its default (no CRM, no fields written)")
	}
	if c.CRM.Type != "" && len(c.FieldMap()) == 0 {
		out = append(out, "fields: no field is mapped, so a sync scores customers but writes nothing to the CRM "+
			"(map at least fields.segment)")
	}
	return append(out, c.predictWarnings()...)
}

// NextRuns returns the schedule's next n run times after from, in the
// schedule's time zone.
func (c *Config) NextRuns(from time.Time, n int) []time.Time {
	var out []time.Time
	if c.compiled.schedule == nil {
		return nil
	}
	t := from.In(c.compiled.location)
	for range n {
		if t = c.compiled.schedule.Next(t); t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// Inactive returns what to do with customers that have no qualifying order.
func (c *Config) Inactive() InactivePolicy { return c.compiled.inactive }

// Connector returns the selected connector's decoded and validated options,
// or nil when crm.type is empty (offline commands).
func (c *Config) Connector() connector.Options { return c.CRM.options }

// InactiveMode is how customers without qualifying orders are written.
type InactiveMode string

// The inactive modes. Clear is the default: empty fields are what most CRM
// workflows already treat as "no score".
const (
	InactiveClear InactiveMode = "clear"
	InactiveLabel InactiveMode = "label"
)

// InactivePolicy is the compiled rfm.inactive section.
type InactivePolicy struct {
	Mode InactiveMode
	// Segment is written when Mode is InactiveLabel.
	Segment rfm.Segment
}
