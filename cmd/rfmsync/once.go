package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func init() {
	commands["once"] = command{summary: "run one sync now (--dry-run prints the plan without writing)", run: runOnce}
}

func runOnce(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("once", "--config FILE [--asof RFC3339] [--dry-run]", stdout, stderr)
	load := configFlag(fs, "config file (required)")
	asofFlag := fs.String("asof", "", "pin the run's reference instant, RFC 3339 (default: now)")
	dry := fs.Bool("dry-run", false, "pull and score, print the plan, write nothing to the CRM")
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
	s, err := openSyncer(cfg, newLogger(stderr))
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := s.once(ctx, asof, *dry)
	rep.Print(stdout)
	return err
}
