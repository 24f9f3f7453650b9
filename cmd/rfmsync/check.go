package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

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
	p := cfg.Params()
	fmt.Fprintln(stdout, "config: valid")
	fmt.Fprintf(stdout, "schedule: %q in %s\n", cfg.Schedule.Cron, cfg.Location())
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

func method(m rfm.Method) string {
	if m == "" {
		return "quantile"
	}
	return string(m)
}
