package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func init() {
	commands["check"] = command{summary: "validate a config and print the segment map's coverage grid", run: runCheck}
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", "--config FILE", stdout, stderr)
	load := configFlag(fs, "config file to validate (required)")
	offline := fs.Bool("offline", false, "validate only; do not ask the CRM what 'fields ensure' would do")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	if err := probeEnvironment(cfg); err != nil {
		return err
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
	for _, o := range fm.Outputs() {
		f := fm[o]
		name := f.Default
		if len(f.ByType) > 0 {
			var per []string
			for _, typ := range slices.Sorted(maps.Keys(f.ByType)) {
				per = append(per, typ+": "+f.ByType[typ])
			}
			name = strings.TrimPrefix(name+", ", ", ") + strings.Join(per, ", ")
		}
		fmt.Fprintf(stdout, "  %-20s → %s\n", o, name)
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
	conn, err := newConnector(cfg, newLogger(stderr))
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
