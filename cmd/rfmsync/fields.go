package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func init() {
	commands["fields"] = command{summary: "fields ensure: create the CRM fields rfmsync writes (idempotent)", run: runFields}
}

func runFields(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "ensure" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stdout, "Usage: rfmsync fields ensure --config FILE [--dry-run]")
			return nil
		}
		return usagef("usage: rfmsync fields ensure --config FILE [--dry-run]")
	}
	fs := newFlags("fields ensure", "--config FILE [--dry-run]", stdout, stderr)
	load := configFlag(fs, "config file (required)")
	dry := fs.Bool("dry-run", false, "report what would be created or changed, change nothing")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	conn, err := newConnector(cfg, newLogger(stderr))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	actions, err := ensureFields(ctx, cfg, conn, !*dry)
	printFieldActions(stdout, actions, *dry)
	return err
}

// ensureFields runs the connector's field setup for every mapped output.
func ensureFields(ctx context.Context, cfg *config.Config, conn connector.Connector, apply bool) ([]connector.FieldAction, error) {
	fe, ok := conn.(connector.FieldEnsurer)
	if !ok {
		return nil, fmt.Errorf("the %s connector cannot create fields; create them by hand", cfg.CRM.Type)
	}
	specs := syncloop.FieldSpecs(cfg.FieldMap(), cfg.Params(), cfg.RFM.WindowDays, inactive(cfg))
	if len(specs) == 0 {
		return nil, usagef("config: fields: no output is mapped to a CRM field")
	}
	return fe.EnsureFields(ctx, specs, apply)
}

func printFieldActions(w io.Writer, actions []connector.FieldAction, dry bool) {
	verb := "did"
	if dry {
		verb = "would do"
	}
	fmt.Fprintf(w, "fields ensure %s:\n", verb)
	for _, a := range actions {
		line := fmt.Sprintf("  %-28s %s", a.Name, a.Action)
		if a.FoundAs != "" {
			line += " " + a.FoundAs + ": put this name in the config"
		}
		if a.Detail != "" {
			line += " (" + a.Detail + ")"
		}
		fmt.Fprintln(w, line)
		if m := a.Manual; m != nil {
			fmt.Fprintf(w, "      in %s add a field: label %q, type %s", m.Where, m.Label, m.Type)
			if m.Decimals > 0 {
				fmt.Fprintf(w, ", %d decimals", m.Decimals)
			}
			fmt.Fprintln(w)
			if len(m.Values) > 0 {
				fmt.Fprintf(w, "      picklist values, in order: %s\n", strings.Join(m.Values, ", "))
			}
		}
	}
}
