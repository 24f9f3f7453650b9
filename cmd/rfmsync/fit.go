package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"text/tabwriter"

	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/offline"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func init() {
	commands["fit"] = command{summary: "fit the BG/NBD and Gamma-Gamma models to a CSV of orders", run: runFit}
}

// fitReport is the JSON form of `fit`.
type fitReport struct {
	Unit               string         `json:"unit"`
	CalibrationEnd     string         `json:"calibration_end"`
	Customers          int            `json:"customers"`
	RepeatCustomers    int            `json:"repeat_customers"`
	BGNBD              clv.BGNBD      `json:"bgnbd"`
	GammaGamma         clv.GammaGamma `json:"gamma_gamma"`
	LogLikelihood      float64        `json:"log_likelihood"`
	SpendLogLikelihood float64        `json:"spend_log_likelihood"`
	// PriorMeanSpend is absent when q ≤ 1: the prior has no finite mean.
	PriorMeanSpend *float64       `json:"prior_mean_spend,omitempty"`
	Holdout        *holdoutReport `json:"holdout,omitempty"`
	Warnings       []string       `json:"warnings,omitempty"`
}

type holdoutReport struct {
	End    string  `json:"end"`
	Length float64 `json:"length"`
	clv.Holdout
}

func runFit(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fit", "--orders FILE.csv --calibration-end RFC3339 [--holdout-end RFC3339] [--unit week|day] [--amount-column NAME] [--json]", stdout, stderr)
	ordersPath := fs.String("orders", "", "orders CSV with order_id,customer_id,closed_at,amount,status (required)")
	amountColumn := fs.String("amount-column", "amount", "column that holds the amount in home currency")
	calFlag := fs.String("calibration-end", "", "end of the calibration period, RFC 3339; orders at or before it are fitted (required)")
	holdFlag := fs.String("holdout-end", "", "end of a holdout period after calibration, RFC 3339: compares predicted with actual repeat purchases")
	unitFlag := fs.String("unit", "week", "time unit of the parameters: week or day")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *ordersPath == "" {
		return usagef("--orders is required")
	}
	if *calFlag == "" {
		return usagef("--calibration-end is required")
	}
	calEnd, err := rfm.ParseInstant(*calFlag)
	if err != nil {
		return usagef("--calibration-end %q: %v", *calFlag, err)
	}
	periods := clv.Periods{CalibrationEnd: calEnd, HoldoutEnd: calEnd}
	if *holdFlag != "" {
		if periods.HoldoutEnd, err = rfm.ParseInstant(*holdFlag); err != nil {
			return usagef("--holdout-end %q: %v", *holdFlag, err)
		}
		if periods.HoldoutEnd <= calEnd {
			return usagef("--holdout-end %s is not after --calibration-end %s", periods.HoldoutEnd, calEnd)
		}
	}
	if periods.Unit, err = clv.ParseUnit(*unitFlag); err != nil {
		return usagef("--unit: %v", err)
	}
	f, err := os.Open(*ordersPath)
	if err != nil {
		return usagef("--orders: %v", err)
	}
	defer f.Close()
	cols := offline.DefaultColumns
	cols.Amount = *amountColumn
	book := clv.NewBook(periods)
	res, err := offline.EachOrder(f, cols, book.Add)
	if err != nil {
		return err
	}
	cs := book.Customers()
	fmt.Fprintf(stderr, "%d rows, %d won orders, %d customers in the calibration period\n", res.Rows, res.Qualifying, len(cs))
	if len(res.Skipped) > 0 {
		fmt.Fprintf(stderr, "skipped: %s\n", offline.SkipReport(res.Skipped))
	}
	fit, err := clv.FitModel(cs, periods.Unit)
	if err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	rep := fitReport{
		Unit: string(periods.Unit), CalibrationEnd: calEnd.String(),
		Customers: fit.Customers, RepeatCustomers: fit.Repeat,
		BGNBD: fit.Model.BGNBD, GammaGamma: fit.Model.GammaGamma,
		LogLikelihood: fit.LogLikelihood, SpendLogLikelihood: fit.SpendLogLikelihood,
		Warnings: fit.Warnings,
	}
	for _, w := range fit.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if prior := fit.Model.GammaGamma.PriorMeanSpend(); !math.IsInf(prior, 0) {
		rep.PriorMeanSpend = &prior
	}
	if *holdFlag != "" {
		length := float64(periods.HoldoutEnd-calEnd) / (periods.Unit.Days() * rfm.DaySeconds * 1e6)
		rep.Holdout = &holdoutReport{End: periods.HoldoutEnd.String(), Length: length, Holdout: clv.CompareHoldout(fit.Model.BGNBD, cs, length)}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printFit(stdout, rep)
	return nil
}

func printFit(w io.Writer, r fitReport) {
	fmt.Fprintf(w, "calibration to %s, unit %s: %d customers, %d repeat\n", r.CalibrationEnd, r.Unit, r.Customers, r.RepeatCustomers)
	b, g := r.BGNBD, r.GammaGamma
	fmt.Fprintf(w, "BG/NBD       r=%.4f alpha=%.4f a=%.4f b=%.4f   log-likelihood %.2f\n", b.R, b.Alpha, b.A, b.B, r.LogLikelihood)
	prior := "none (q ≤ 1)"
	if r.PriorMeanSpend != nil {
		prior = fmt.Sprintf("%.2f", *r.PriorMeanSpend)
	}
	fmt.Fprintf(w, "Gamma-Gamma  p=%.4f q=%.4f gamma=%.4f   log-likelihood %.2f, prior mean spend %s (one-time buyers)\n",
		g.P, g.Q, g.Gamma, r.SpendLogLikelihood, prior)
	h := r.Holdout
	if h == nil {
		return
	}
	fmt.Fprintf(w, "holdout to %s (%.4g %ss): actual %.0f, predicted %.1f repeat purchases (%+.1f%%), MAE %.3f per customer\n",
		h.End, h.Length, r.Unit, h.Actual, h.Predicted, 100*h.TotalError, h.MAE)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "calibration frequency\tcustomers\tactual per customer\tpredicted per customer\t")
	for _, row := range h.ByFrequency {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t\n", row.Frequency, row.Customers, row.Actual, row.Predicted)
	}
	tw.Flush()
}
