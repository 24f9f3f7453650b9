package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/state"
)

func init() {
	commands["history"] = command{summary: "print the run history kept in the state file (--json for tools)", run: runHistory}
}

func runHistory(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("history", "--config FILE [--last N] [--json]", stdout, stderr)
	path := fs.String("config", "", "config file naming the state file (required; the crm section's secrets are not needed)")
	last := fs.Int("last", 30, "show the last N runs (0 = all kept)")
	asJSON := fs.Bool("json", false, "print the runs as a JSON array, oldest first")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadOffline(*path)
	if err != nil {
		return err
	}
	runs, err := readHistory(cfg, *last)
	if err != nil {
		return err
	}
	if *asJSON {
		if runs == nil {
			runs = []state.RunRecord{}
		}
		return writeJSON(stdout, runs)
	}
	if len(runs) == 0 {
		fmt.Fprintln(stdout, "no run recorded yet")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "finished (UTC)\tresult\tduration\tpulled\tscored\tmoves\twritten\trejected\tdeferred\tAPI calls\terror")
	for _, r := range runs {
		errText := r.ErrorClass
		if r.Error != "" {
			errText += ": " + r.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1fs\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Finished.UTC().Format("2006-01-02 15:04:05"), r.Result,
			r.DurationSeconds, sum(r.Pulled), r.Scored, r.Moves, r.Written, r.Rejected, r.Deferred, sum(r.APICalls), errText)
	}
	return tw.Flush()
}

// loadOffline loads a config without its crm section's secrets.
func loadOffline(path string) (*config.Config, error) {
	if path == "" {
		return nil, usagef("--config is required")
	}
	cfg, err := config.LoadOffline(path, os.LookupEnv)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// readHistory reads the state file; while a daemon holds it, the daemon's
// /status.json is asked instead (with the status token, when configured).
func readHistory(cfg *config.Config, n int) ([]state.RunRecord, error) {
	db, err := state.Open(cfg.State.Path, state.Options{ReadOnly: true, LockTimeout: time.Second})
	if err == nil {
		defer db.Close()
		return db.History(n)
	}
	if !errors.Is(err, state.ErrLocked) || cfg.Listen == "" {
		return nil, err
	}
	runs, herr := daemonHistory(cfg)
	if herr != nil {
		return nil, fmt.Errorf("%w; asking the daemon failed too: %v", err, herr)
	}
	if n > 0 && len(runs) > n {
		runs = runs[len(runs)-n:]
	}
	return runs, nil
}

func daemonHistory(cfg *config.Config) ([]state.RunRecord, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+localAddr(cfg.Listen)+"/status.json", nil)
	if err != nil {
		return nil, err
	}
	if cfg.Status.TokenFile != "" {
		tok, err := readToken(cfg.Status.TokenFile)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("%s: %d %s", req.URL, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	var snap struct {
		History []state.RunRecord `json:"history"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		return nil, fmt.Errorf("decode %s: %w", req.URL, err)
	}
	return snap.History, nil
}
