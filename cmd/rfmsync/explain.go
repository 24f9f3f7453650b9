package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/status"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func init() {
	commands["explain"] = command{summary: "explain one customer's scores and segment from the state file", run: runExplain}
}

// errNotScored is a customer who is in no score of the run.
var errNotScored = errors.New("not scored")

func runExplain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explain", "--config FILE [--asof RFC3339] CUSTOMER_ID", stdout, stderr)
	configPath := fs.String("config", "", "config file (required): the state file and the rfm section")
	asofFlag := fs.String("asof", "", "reference instant, RFC 3339 (default: now)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if *configPath == "" || fs.NArg() != 1 {
		return usagef("want --config FILE and one customer id (e.g. 15000000001 or contacts/15000000001)")
	}
	cfg, err := loadOfflineConfig(*configPath)
	if err != nil {
		return err
	}
	asof, err := parseAsOf(*asofFlag, time.Now())
	if err != nil {
		return err
	}
	db, err := state.Open(cfg.State.Path, state.Options{ReadOnly: true, LockTimeout: cfg.State.LockTimeout})
	if err != nil {
		return fmt.Errorf("open state (a running daemon holds it; stop it or wait): %w", err)
	}
	defer db.Close()
	return explainCustomer(stdout, db, cfg, asof, fs.Arg(0))
}

// explainCustomer writes why a customer has its scores and segment as of
// asof, scoring every customer of the state as a run does (quantiles rank
// against all of them), and what was last written to the CRM.
func explainCustomer(stdout io.Writer, db *state.DB, cfg *config.Config, asof rfm.Instant, want string) error {
	params, calibrated, err := syncloop.StoredCuts(db, cfg.Params(), map[rfm.Metric]time.Duration{
		rfm.Recency: cfg.RFM.Recency.RecalibrateEvery, rfm.Frequency: cfg.RFM.Frequency.RecalibrateEvery,
		rfm.Monetary: cfg.RFM.Monetary.RecalibrateEvery,
	})
	if err != nil {
		return err
	}
	w := rfm.Window{AsOf: asof, Days: cfg.RFM.WindowDays}
	var keys []connector.CustomerKey
	var cs []rfm.Customer
	err = db.Customers(w, func(k connector.CustomerKey, agg rfm.Aggregate) error {
		if agg.Scorable() {
			keys = append(keys, k)
			cs = append(cs, rfm.Customer{Key: k.ID, Agg: agg})
		}
		return nil
	})
	if err != nil {
		return err
	}
	scores := rfm.ScoreAll(cs, asof, params)
	in := insight.Summarize(scores, params, insight.Options{WindowDays: cfg.RFM.WindowDays, Recalibrated: calibrated})
	found := -1
	for i, k := range keys {
		if k.ID == want || k.String() == want {
			found = i
			break
		}
	}
	key := connector.CustomerKey{ID: want}
	if found >= 0 {
		key = keys[found]
	} else if t, id, ok := strings.Cut(want, "/"); ok {
		key = connector.CustomerKey{Type: t, ID: id}
	}
	pub, known, err := db.Published(key)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "customer %s as of %s (window %d days, %s customers scored)\n", key, asof.Time().Format("2006-01-02 15:04 MST"),
		cfg.RFM.WindowDays, insight.FormatCount(int64(len(scores))))
	if found < 0 {
		fmt.Fprintln(stdout, "  not scored: no won order with amount ≥ 0 in the window")
	} else {
		explainScore(stdout, &scores[found], cs[found].Agg, params, in)
	}
	if known {
		fmt.Fprintf(stdout, "last written to the CRM: segment %s", in.Label(pub.Segment))
		if pub.PreviousSegment != "" {
			fmt.Fprintf(stdout, ", previous %s", in.Label(pub.PreviousSegment))
		}
		if pub.SegmentChangedAt != 0 {
			fmt.Fprintf(stdout, ", changed %s", pub.SegmentChangedAt.Time().Format("2006-01-02"))
		}
		if pub.GoneAt != 0 {
			fmt.Fprintf(stdout, "; gone from the CRM since %s", pub.GoneAt.Time().Format("2006-01-02"))
		}
		fmt.Fprintln(stdout)
	} else {
		fmt.Fprintln(stdout, "nothing written to the CRM yet")
	}
	if found < 0 {
		return errNotScored
	}
	return nil
}

// explainScore prints the raw values, the score each earned and why, and
// the rule that gave the segment.
func explainScore(w io.Writer, s *rfm.Score, agg rfm.Aggregate, p rfm.Params, in *insight.Insight) {
	fmt.Fprintf(w, "  orders in the window: %d counted (refunds excluded), %d in all; first %s, last %s\n",
		agg.Frequency, agg.Orders, agg.First.Time().Format("2006-01-02"), agg.Last.Time().Format("2006-01-02"))
	raw := map[rfm.Metric]string{
		rfm.Recency:   fmt.Sprintf("%d days since the last order", s.RecencyDays),
		rfm.Frequency: fmt.Sprintf("%d orders", s.Frequency),
		rfm.Monetary:  insight.FormatMoney(s.Monetary) + " revenue",
	}
	score := map[rfm.Metric]uint8{rfm.Recency: s.R, rfm.Frequency: s.F, rfm.Monetary: s.M}
	for _, sc := range in.Scales {
		v := int(score[sc.Metric])
		how := "quantile"
		if sc.Method == rfm.Threshold {
			how = "cuts " + strings.Join(sc.Cuts, ", ")
			if sc.Recalibrated != nil {
				how += " (recalibrated " + sc.Recalibrated.Format("2006-01-02") + ")"
			}
		}
		span := ""
		if v >= 1 && v <= len(sc.Scores) {
			r := sc.Scores[v-1]
			span = r.Lo
			if r.Hi != r.Lo {
				span += " – " + r.Hi
			}
			span = fmt.Sprintf("; %s %d holds %s customers with %s", strings.ToUpper(string(sc.Metric)), v,
				insight.FormatCount(int64(r.Customers)), span)
		}
		fmt.Fprintf(w, "  %s %d: %s (%s%s)\n", strings.ToUpper(string(sc.Metric)), v, raw[sc.Metric], how, span)
	}
	label := in.Label(s.Segment.ID)
	if s.New {
		fmt.Fprintf(w, "  RFM %s → %s: first order within %d days, which overrides the rules\n", s.Code(), label, p.NewCustomerDays)
		return
	}
	fm := rfm.FM(int(s.F), int(s.M))
	for i, r := range p.Segments.Rules() {
		if r.ID == s.Segment.ID {
			fmt.Fprintf(w, "  RFM %s (FM = ⌊(F+M+1)/2⌋ = %d) → %s: rule %d, %s, the first that matches\n", s.Code(), fm, label, i+1, insight.RuleText(r))
			return
		}
	}
	fmt.Fprintf(w, "  RFM %s → %s\n", s.Code(), label)
}

// loadOfflineConfig reads a config without its CRM section (no secrets
// needed); problems are usage errors.
func loadOfflineConfig(path string) (*config.Config, error) {
	cfg, err := config.LoadOffline(path, os.LookupEnv)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// customerLookup serves /customer on the status page: the explanation as
// of now. It scores every customer per request, as explain does, so it is
// for the occasional question, not for polling.
func customerLookup(db *state.DB, cfg *config.Config) status.CustomerLookup {
	return func(id string) (string, error) {
		var b strings.Builder
		err := explainCustomer(&b, db, cfg, rfm.InstantOf(time.Now()), id)
		if errors.Is(err, errNotScored) {
			err = nil // the text says so
		}
		return b.String(), err
	}
}
