package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/offline"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// sampleOrders is a realistic sample (400 customers of the UCI Online Retail
// set plus a few malformed rows) scored when no --orders is given.
//
//go:embed testdata/orders.csv
var sampleOrders []byte

// sampleAsOf is the day after the sample's last invoice, the usual reference day.
const sampleAsOf = "2011-12-10T00:00:00Z"

func init() {
	commands["score"] = command{summary: "score a CSV of orders offline (no CRM needed)", run: runScore}
}

func runScore(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("score", "[--orders FILE.csv] [--config FILE] [--asof RFC3339] [--window-days N] [--amount-column NAME] [--out FILE.csv] [--summary] [--predict [--horizon-days N]]", stdout, stderr)
	ordersPath := fs.String("orders", "", "orders CSV with order_id,customer_id,closed_at,amount,status (default: the embedded sample)")
	configPath := fs.String("config", "", "config file for the rfm section (default: built-in scoring)")
	asofFlag := fs.String("asof", "", "reference instant, RFC 3339 (default: now; the sample's day after its last invoice)")
	windowDays := fs.Int("window-days", 0, "look-back window in days (default: the config's rfm.window_days, 730)")
	amountColumn := fs.String("amount-column", "amount", "column that holds the amount in home currency")
	outPath := fs.String("out", "", "write scores here instead of standard output")
	predictFlag := fs.Bool("predict", false, "add p_alive, expected_orders and predicted_value (BG/NBD and Gamma-Gamma fitted to the window's orders)")
	horizonDays := fs.Int("horizon-days", 365, "horizon of expected_orders and predicted_value, in days (with --predict)")
	summary := fs.Bool("summary", false, "print the segment table (customers, revenue, average order, recency) to standard error (default on for the sample)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	scoring, err := loadScoring(*configPath)
	if err != nil {
		return err
	}
	if *windowDays < 0 {
		return usagef("--window-days must be positive")
	}
	if *horizonDays <= 0 {
		return usagef("--horizon-days must be positive")
	}
	if *windowDays > 0 {
		scoring.WindowDays = *windowDays
	}
	var in io.ReadSeeker
	defaultAsOf := time.Now()
	if *ordersPath == "" {
		fmt.Fprintf(stderr, "no --orders given: scoring the embedded sample (UCI Online Retail, CC BY 4.0, 400 customers)\n")
		in = bytes.NewReader(sampleOrders)
		defaultAsOf, _ = time.Parse(time.RFC3339, sampleAsOf)
	} else {
		f, err := os.Open(*ordersPath)
		if err != nil {
			return usagef("--orders: %v", err)
		}
		defer f.Close()
		in = f
	}
	asof, err := parseAsOf(*asofFlag, defaultAsOf)
	if err != nil {
		return err
	}
	cols := offline.DefaultColumns
	cols.Amount = *amountColumn
	w := rfm.Window{AsOf: asof, Days: scoring.WindowDays}
	res, err := offline.Aggregate(in, cols, w)
	if err != nil {
		return err
	}
	scores := rfm.ScoreAll(res.Customers, asof, scoring.Params)
	out := stdout
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	if *predictFlag {
		preds, fit, err := predict(in, cols, w, *horizonDays)
		if err != nil {
			return fmt.Errorf("--predict: %w", err)
		}
		b := fit.Model.BGNBD
		fmt.Fprintf(stderr, "predicted over %d days: BG/NBD r=%.4f alpha=%.4f a=%.4f b=%.4f on %d customers, Gamma-Gamma on %d repeat customers\n",
			*horizonDays, b.R, b.Alpha, b.A, b.B, fit.Customers, fit.Repeat)
		for _, w := range fit.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if err := writePredicted(out, scores, preds); err != nil {
			return err
		}
	} else if err := offline.WriteScores(out, scores); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "asof %s, window %d days: %d rows, %d qualifying, %d customers scored\n",
		asof, scoring.WindowDays, res.Rows, res.Qualifying, len(scores))
	if len(res.Skipped) > 0 {
		fmt.Fprintf(stderr, "skipped: %s\n", offline.SkipReport(res.Skipped))
	}
	if *summary || *ordersPath == "" {
		// The segments in the demo's and the dashboard's words: labels in rule order.
		insight.PrintSegments(stderr, insight.Summarize(scores, scoring.Params, insight.Options{WindowDays: scoring.WindowDays}))
	}
	if *outPath != "" {
		if f, ok := out.(*os.File); ok {
			return f.Close()
		}
	}
	return nil
}

// parseAsOf reads --asof with the contract's instant rules, or uses def.
func parseAsOf(s string, def time.Time) (rfm.Instant, error) {
	if s == "" {
		return rfm.InstantOf(def), nil
	}
	i, err := rfm.ParseInstant(s)
	if err != nil {
		return 0, usagef("--asof %q: %v", s, err)
	}
	return i, nil
}
