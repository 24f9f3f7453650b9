package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/status"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func init() {
	commands["once"] = command{summary: "run one sync now (--dry-run prints the plan without writing)", run: runOnce}
}

func runOnce(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("once", "--config FILE [--asof RFC3339] [--dry-run] [--json] [--log-format text|json] [--log-level LEVEL]", stdout, stderr)
	load := configFlag(fs, "config file (required)")
	asofFlag := fs.String("asof", "", "pin the run's reference instant, RFC 3339 (default: now)")
	dry := fs.Bool("dry-run", false, "pull and score, print the plan, write nothing to the CRM")
	asJSON := fs.Bool("json", false, "print the report (or plan) as one JSON object")
	lf := addLogFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	var asof time.Time
	if *asofFlag != "" {
		i, err := parseAsOf(*asofFlag, time.Time{})
		if err != nil {
			return err
		}
		asof = i.Time()
	}
	log, err := lf.logger(cfg, stderr)
	if err != nil {
		return err
	}
	s, err := openSyncer(cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := s.once(ctx, asof, *dry)
	if *asJSON {
		if jerr := writeJSON(stdout, runResult(rep, err)); jerr != nil {
			return jerr
		}
		return err
	}
	rep.Print(stdout)
	return err
}

// onceResult is what once --json prints: the outcome and the report (the
// plan, for a dry run), sample record ids included, as the text output.
type onceResult struct {
	Result     string           `json:"result"`
	ErrorClass string           `json:"error_class,omitempty"`
	Error      string           `json:"error,omitempty"`
	Report     *syncloop.Report `json:"report"`
}

func runResult(rep *syncloop.Report, err error) onceResult {
	r := onceResult{Result: status.ResultSuccess, Report: rep}
	if err != nil {
		r.Result, r.ErrorClass, r.Error = status.ResultFailure, status.ErrorClass(err), crmhttp.RedactString(err.Error())
	}
	return r
}

// writeJSON prints v indented, for people and for jq alike.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	return nil
}
