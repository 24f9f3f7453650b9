package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"log/slog"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func init() {
	commands["check"] = command{summary: "validate a config and print the segment map's coverage grid", run: runCheck}
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", "--config FILE [--offline] [--json] [--log-format text|json] [--log-level LEVEL]", stdout, stderr)
	load := configFlag(fs, "config file to validate (required)")
	offline := fs.Bool("offline", false, "validate only; do not ask the CRM what 'fields ensure' would do")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	lf := addLogFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		if *asJSON {
			_ = writeJSON(stdout, checkResult{Valid: false, Error: err.Error()})
		}
		return err
	}
	if err := probeEnvironment(cfg); err != nil {
		return err
	}
	log, err := lf.logger(cfg, stderr)
	if err != nil {
		return err
	}
	if *asJSON {
		return checkJSON(cfg, *offline, log, stdout)
	}
	p := cfg.Params()
	if warnings := cfg.Warnings(); len(warnings) > 0 {
		fmt.Fprintln(stdout, "config: valid, with warnings:")
		for _, w := range warnings {
			fmt.Fprintf(stdout, "  warning: %s\n", w)
			fmt.Fprintf(stderr, "rfmsync check: warning: %s\n", w)
		}
	} else {
		fmt.Fprintln(stdout, "config: valid")
	}
	fmt.Fprintf(stdout, "schedule: %q in %s\n", cfg.Schedule.Cron, cfg.Location())
	for _, t := range cfg.NextRuns(time.Now(), 3) {
		fmt.Fprintf(stdout, "  next run: %s\n", t.Format("2006-01-02 15:04 MST (Mon)"))
	}
	fmt.Fprintf(stdout, "window: %d days, bins: %d (R %s, F %s, M %s)\n", cfg.RFM.WindowDays, p.Bins,
		method(p.R.Method), method(p.F.Method), method(p.M.Method))
	if cfg.CRM.Type != "" {
		fmt.Fprintf(stdout, "crm: %s\n", cfg.CRM.Type)
	} else {
		fmt.Fprintln(stdout, "crm: none (offline commands only)")
	}
	fmt.Fprintln(stdout, "fields:")
	fm := cfg.FieldMap()
	names := fieldNames(fm)
	for _, o := range fm.Outputs() {
		fmt.Fprintf(stdout, "  %-20s → %s\n", o, names[o])
	}
	fmt.Fprintf(stdout, "segments (%d rules, first match wins):\n", len(p.Segments.Rules()))
	for _, r := range p.Segments.Rules() {
		fmt.Fprintf(stdout, "  %-20s %s\n", r.ID, r.Label)
	}
	fmt.Fprintln(stdout, "coverage grid (every cell's segment id):")
	fmt.Fprint(stdout, p.Segments.Grid())
	if cfg.CRM.Type == "" || *offline || len(cfg.FieldMap()) == 0 {
		return nil
	}
	// The config is valid; only now is the CRM asked, read-only.
	conn, err := newConnector(cfg, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actions, err := ensureFields(ctx, cfg, conn, false)
	if err != nil {
		return fmt.Errorf("ask the CRM about fields (use --offline to skip): %w", err)
	}
	printFieldActions(stdout, actions, true)
	return nil
}

// probeEnvironment finds what the config names but the machine cannot
// give, as config errors (exit 2): a state file that cannot be created or
// opened for writing, a listen address already taken. It changes nothing:
// a probe file is removed, a listener closed at once.
func probeEnvironment(cfg *config.Config) error {
	var errs config.Errors
	if err := probeStatePath(cfg.State.Path); err != nil {
		errs = append(errs, &config.Error{Key: "state.path", Problem: err.Error()})
	}
	if cfg.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			errs = append(errs, &config.Error{Key: "listen", Problem: fmt.Sprintf("cannot listen on %s: %v "+
				"(in use by another process, or by a running rfmsync?)", cfg.Listen, cause(err))})
		} else {
			ln.Close()
		}
	}
	if len(errs) > 0 {
		return usageError{errs}
	}
	return nil
}

// probeStatePath checks that the state file exists as a regular file or
// can be created in its directory.
func probeStatePath(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case err == nil:
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("cannot open %s for writing: %v", path, cause(err))
		}
		return f.Close()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot read %s: %v", path, cause(err))
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".rfmsync-check-*")
	if err != nil {
		return fmt.Errorf("cannot create %s: %v", path, cause(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// fieldNames renders each mapped output's field name, per customer type
// where the config names them so ("Accounts: cf_812, Contacts: cf_907").
func fieldNames(fm outputs.FieldMap) map[string]string {
	out := make(map[string]string, len(fm))
	for o, f := range fm {
		parts := []string{}
		if f.Default != "" {
			parts = append(parts, f.Default)
		}
		for _, typ := range slices.Sorted(maps.Keys(f.ByType)) {
			parts = append(parts, typ+": "+f.ByType[typ])
		}
		out[o] = strings.Join(parts, ", ")
	}
	return out
}

func method(m rfm.Method) string {
	if m == "" {
		return "quantile"
	}
	return string(m)
}

// cause drops the operation and path an error repeats, keeping its reason.
func cause(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}

// checkResult is what check --json prints.
type checkResult struct {
	Valid      bool                    `json:"valid"`
	Error      string                  `json:"error,omitempty"`
	Cron       string                  `json:"cron,omitempty"`
	Timezone   string                  `json:"timezone,omitempty"`
	WindowDays int                     `json:"window_days,omitempty"`
	Bins       int                     `json:"bins,omitempty"`
	Methods    map[string]string       `json:"methods,omitempty"`
	CRM        string                  `json:"crm,omitempty"`
	Fields     map[string]string       `json:"fields,omitempty"`
	Segments   []checkSegment          `json:"segments,omitempty"`
	Grid       string                  `json:"coverage_grid,omitempty"`
	FieldPlan  []connector.FieldAction `json:"fields_ensure_would_do,omitempty"`
	CRMError   string                  `json:"crm_error,omitempty"`
}

type checkSegment struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

func checkJSON(cfg *config.Config, offline bool, log *slog.Logger, stdout io.Writer) error {
	p := cfg.Params()
	res := checkResult{Valid: true, Cron: cfg.Schedule.Cron, Timezone: cfg.Location().String(), WindowDays: cfg.RFM.WindowDays,
		Bins: p.Bins, CRM: cfg.CRM.Type, Fields: fieldNames(cfg.FieldMap()), Grid: p.Segments.Grid(),
		Methods: map[string]string{"r": method(p.R.Method), "f": method(p.F.Method), "m": method(p.M.Method)}}
	for _, r := range p.Segments.Rules() {
		res.Segments = append(res.Segments, checkSegment{ID: r.ID, Label: r.Label})
	}
	var err error
	if cfg.CRM.Type != "" && !offline && len(cfg.FieldMap()) > 0 {
		err = func() error {
			conn, err := newConnector(cfg, log)
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res.FieldPlan, err = ensureFields(ctx, cfg, conn, false)
			if err != nil {
				return fmt.Errorf("ask the CRM about fields (use --offline to skip): %w", err)
			}
			return nil
		}()
		if err != nil {
			res.CRMError = crmhttp.RedactString(err.Error())
		}
	}
	if jerr := writeJSON(stdout, res); jerr != nil {
		return jerr
	}
	return err
}
