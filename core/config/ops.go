package config

import (
	"fmt"
	"strings"
)

// Log is how rfmsync logs. Flags (--log-format, --log-level) override it.
type Log struct {
	// Format is "text" (logfmt-like, for people) or "json" (one object a
	// line, for a log pipeline).
	Format string `koanf:"format"`
	// Level is debug, info, warn or error; debug adds one line per CRM call
	// with its request id.
	Level string `koanf:"level"`
}

// Status guards the status page and decides when the daemon is ready.
type Status struct {
	// TokenFile, when set, holds a bearer token every path but /healthz
	// and /readyz requires. Set it whenever listen is not loopback.
	TokenFile string `koanf:"token_file"`
	// ShowRecordIDs puts sample CRM record ids on the page and in
	// /status.json; off by default because they identify customers.
	ShowRecordIDs bool `koanf:"show_record_ids"`
	// UnreadyAfterFailures is how many failed runs in a row make /readyz
	// answer 503; 0 never does.
	UnreadyAfterFailures int `koanf:"unready_after_failures"`
	// HistoryRuns is how many runs the state file's history keeps.
	HistoryRuns int `koanf:"history_runs"`
}

// Defaults of the operations keys.
const (
	DefaultLogFormat            = "text"
	DefaultLogLevel             = "info"
	DefaultUnreadyAfterFailures = 3
	DefaultHistoryRuns          = 400
)

// LogFormats and LogLevels are the accepted values, for flags and checks.
var (
	LogFormats = []string{"text", "json"}
	LogLevels  = []string{"debug", "info", "warn", "error"}
)

func validateOps(c *Config, p *problems) {
	if !oneOf(c.Log.Format, LogFormats) {
		p.add("log.format", fmt.Sprintf("%q is not one of %s", c.Log.Format, strings.Join(LogFormats, ", ")))
	}
	if !oneOf(c.Log.Level, LogLevels) {
		p.add("log.level", fmt.Sprintf("%q is not one of %s", c.Log.Level, strings.Join(LogLevels, ", ")))
	}
	if c.Status.UnreadyAfterFailures < 0 {
		p.add("status.unready_after_failures", "must be 0 (never) or more")
	}
	if c.Status.HistoryRuns < 1 || c.Status.HistoryRuns > 100000 {
		p.add("status.history_runs", "must be from 1 to 100000")
	}
}

func oneOf(v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}
