package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/state"
)

func init() {
	commands["export"] = command{summary: "export the current scores from the state file as CSV or JSON lines", run: runExport}
}

// runExport writes what the CRM holds now (the values last accepted), one
// row per customer, for a warehouse or a spreadsheet. Customers deleted or
// merged in the CRM are left out.
func runExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", "--config FILE [--format csv|json] [--out FILE]", stdout, stderr)
	path := fs.String("config", "", "config file naming the state file and the field map (required; crm secrets not needed)")
	format := fs.String("format", "csv", "csv (a header row, one row per customer) or json (one JSON object a line)")
	out := fs.String("out", "", "write here instead of stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return usagef("--format %q: want csv or json", *format)
	}
	cfg, err := loadOffline(*path)
	if err != nil {
		return err
	}
	db, err := state.Open(cfg.State.Path, state.Options{ReadOnly: true, LockTimeout: cfg.State.LockTimeout})
	if err != nil {
		return fmt.Errorf("%w (a running daemon holds the state file: stop it, or export from a copy of the file)", err)
	}
	defer db.Close()
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	n, err := exportScores(db, cfg, *format, bw)
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(stderr, "exported %d customers to %s\n", n, *out)
	}
	return nil
}

// exportColumns are the fixed columns, from state's own record of the
// segment (ids, not labels); one column per mapped output follows, named
// by the output, so none of them clash.
var exportColumns = []string{"customer_type", "customer_id", "segment_id", "previous_segment_id", "segment_id_changed_at"}

func exportScores(db *state.DB, cfg *config.Config, format string, w io.Writer) (int, error) {
	fields := cfg.FieldMap()
	mapped := fields.Outputs()
	header := append([]string(nil), exportColumns...)
	header = append(header, mapped...)
	cw := csv.NewWriter(w)
	enc := json.NewEncoder(w)
	if format == "csv" {
		if err := cw.Write(header); err != nil {
			return 0, err
		}
	}
	n := 0
	err := db.ForEachPublished(func(key connector.CustomerKey, p state.Published) error {
		if p.GoneAt != 0 {
			return nil
		}
		changed := ""
		if p.SegmentChangedAt != 0 {
			changed = p.SegmentChangedAt.Time().Format(time.RFC3339)
		}
		row := []string{key.Type, key.ID, p.Segment, p.PreviousSegment, changed}
		for _, o := range mapped {
			row = append(row, p.Fields[fields[o].For(key.Type)])
		}
		n++
		if format == "csv" {
			return cw.Write(row)
		}
		obj := make(map[string]string, len(row))
		for i, h := range header {
			obj[h] = row[i]
		}
		return enc.Encode(obj)
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}
