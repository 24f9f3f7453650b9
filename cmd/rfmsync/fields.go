package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func init() {
	commands["fields"] = command{summary: "fields ensure: create the CRM fields rfmsync writes (idempotent)", run: runFields}
}

func runFields(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "ensure" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fs, _ := fieldsFlags(stdout, stderr)
			fs.Usage()
			return nil
		}
		return usagef("usage: rfmsync fields ensure --config FILE [--dry-run] [--json]")
	}
	fs, f := fieldsFlags(stdout, stderr)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	log, err := f.log.logger(cfg, stderr)
	if err != nil {
		return err
	}
	conn, err := newConnector(cfg, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	actions, err := ensureFields(ctx, cfg, conn, !*f.dry)
	if *f.json {
		res := fieldsResult{DryRun: *f.dry, Actions: actions}
		if res.Actions == nil {
			res.Actions = []connector.FieldAction{}
		}
		if err != nil {
			res.Error = crmhttp.RedactString(err.Error())
		}
		if jerr := writeJSON(stdout, res); jerr != nil {
			return jerr
		}
		return err
	}
	printFieldActions(stdout, actions, *f.dry)
	return err
}

type fieldsOpts struct {
	load      func() (*config.Config, error)
	dry, json *bool
	log       logFlags
}

// fieldsFlags is the flag set of fields ensure; --help lists every flag.
func fieldsFlags(stdout, stderr io.Writer) (*flag.FlagSet, fieldsOpts) {
	fs := newFlags("fields ensure", "--config FILE [--dry-run] [--json] [--log-format text|json] [--log-level LEVEL]", stdout, stderr)
	var f fieldsOpts
	f.load = configFlag(fs, "config file (required)")
	f.dry = fs.Bool("dry-run", false, "report what would be created or changed, change nothing")
	f.json = fs.Bool("json", false, "print the actions as one JSON object")
	f.log = addLogFlags(fs)
	return fs, f
}

// fieldsResult is what fields ensure --json prints.
type fieldsResult struct {
	DryRun  bool                    `json:"dry_run"`
	Actions []connector.FieldAction `json:"actions"`
	Error   string                  `json:"error,omitempty"`
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
