package syncloop

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/lift"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/predict"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// PredictOptions configure the predictive outputs and the holdout; the
// zero value writes neither (mapped fields are cleared).
type PredictOptions struct {
	// Enabled fits the models and fills p_alive, expected_orders and
	// predicted_value.
	Enabled     bool
	HorizonDays int
	RefitEvery  time.Duration
	Unit        clv.Unit
	// Tolerance maps a prediction output to how far it must move from the
	// value last written to be written again (clv.Moved).
	Tolerance map[string]float64
	// HoldoutShare above 0 fills the holdout output, chosen by HoldoutKey,
	// and measures the lift after every real run.
	HoldoutShare float64
	HoldoutKey   []byte
	Lift         LiftOptions
}

// LiftOptions say how the run's lift report counts (predict.LiftOptions).
type LiftOptions struct {
	WindowDays, MinEntries int
	Outcome                lift.Outcome
}

// PredictReport is what the predictive step did.
type PredictReport struct {
	// ModelVersion is the stored model scored with (0: none, or a dry run's
	// unstored fit).
	ModelVersion uint64     `json:"model_version,omitempty"`
	FittedAt     *time.Time `json:"fitted_at,omitempty"`
	Model        *clv.Model `json:"model,omitempty"`
	// Refitted is set when this run fitted a new version, with its
	// log-likelihood and the parameters' relative shift from the last one.
	Refitted      bool       `json:"refitted,omitempty"`
	LogLikelihood float64    `json:"log_likelihood,omitempty"`
	Shift         *clv.Shift `json:"shift,omitempty"`
	// RefitFailed says why a due refit produced nothing; the previous
	// version, if any, stays in use.
	RefitFailed string   `json:"refit_failed,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
	// Error says why no prediction was made at all this run; published
	// prediction values are kept.
	Error       string `json:"error,omitempty"`
	HorizonDays int    `json:"horizon_days,omitempty"`
	Predicted   int    `json:"predicted"`
	// ValueBySegment sums predicted_value per segment.
	ValueBySegment map[string]float64 `json:"value_by_segment,omitempty"`
	// PAliveDist counts customers per tenth of P(alive): [0, 0.1), …, [0.9, 1].
	PAliveDist []int `json:"p_alive_distribution,omitempty"`
	// HeldOut and Treated count scored customers per holdout arm.
	HeldOut int                 `json:"held_out,omitempty"`
	Treated int                 `json:"treated,omitempty"`
	Lift    *predict.LiftResult `json:"lift,omitempty"`
	LiftErr string              `json:"lift_error,omitempty"`
}

// predicting is what the plan needs of the predictive step.
type predicting struct {
	// preds are this run's rounded predictions (nil: none this run).
	preds   map[connector.CustomerKey]clv.Prediction
	holdout *lift.Chooser
}

// predictionOutputs are the model's outputs in a stable order.
var predictionOutputs = []string{outputs.PAlive, outputs.ExpectedOrders, outputs.PredictedValue}

// predict refreshes the model and predicts every customer in the window.
// It never fails the run: RFM scores are written whatever the model does,
// and the report says what went wrong.
func (r *run) predict(set scoredSet) {
	o := r.Predict
	if !o.Enabled && o.HoldoutShare <= 0 {
		return
	}
	pr := &PredictReport{}
	r.rep.Predict = pr
	if o.HoldoutShare > 0 {
		r.pred.holdout = lift.NewChooser(o.HoldoutKey, o.HoldoutShare)
	}
	if !o.Enabled {
		return
	}
	pr.HorizonDays = o.HorizonDays
	w := rfm.Window{AsOf: r.asof, Days: r.WindowDays}
	rec, ok, refit, preds, err := predict.Run(r.db, w, r.now, predict.Policy{Every: o.RefitEvery, Unit: o.Unit, DryRun: r.DryRun}, o.HorizonDays)
	if err != nil {
		pr.Error = err.Error()
		r.log.Warn("predictions skipped", "err", err)
		return
	}
	pr.RefitFailed, pr.Warnings = refit.Failed, refit.Warnings
	if refit.Refitted {
		pr.Refitted, pr.LogLikelihood = true, refit.LogLikelihood
		// A shift from a zero parameter is infinite, which JSON cannot
		// carry; fitted parameters are positive, so it never should be.
		if s := refit.Shift; s != (clv.Shift{}) && !math.IsInf(s.Max(), 0) && !math.IsNaN(s.Max()) {
			pr.Shift = &s
		}
		r.log.Info("predictive model refitted", "version", refit.Version, "log_likelihood", refit.LogLikelihood, "max_shift", refit.Shift.Max())
	}
	if refit.Failed != "" {
		r.log.Warn("predictive model refit failed; the previous version stays in use", "err", refit.Failed, "have_model", ok)
	}
	if !ok {
		pr.Error = "no model: the first fit failed (" + refit.Failed + ")"
		return
	}
	pr.ModelVersion = rec.Version
	fitted, model := rec.FittedAt, rec.Model
	pr.FittedAt, pr.Model = &fitted, &model
	r.pred.preds = preds
	pr.ValueBySegment = map[string]float64{}
	pr.PAliveDist = make([]int, 10)
	for i, k := range set.keys {
		p, ok := preds[k]
		if !ok {
			continue
		}
		pr.Predicted++
		pr.ValueBySegment[set.scores[i].Segment.ID] += p.PredictedValue
		pr.PAliveDist[min(9, max(0, int(p.PAlive*10)))]++
	}
}

// predictedValues puts a scored customer's prediction outputs and holdout
// flag into values. A prediction is written only when it moved by more
// than its tolerance from the value last written; otherwise the published
// text is kept, so the diff sees no change. Without a prediction (no model
// this run) the published value stays; with predictions off it is cleared.
func (r *run) predictedValues(values map[string]string, key connector.CustomerKey, pub state.Published) {
	o := r.Predict
	published := func(output string) (string, bool) {
		f, ok := r.Fields[output]
		if !ok {
			return "", false
		}
		v, had := pub.Fields[f.For(key.Type)]
		return v, had
	}
	p, have := r.pred.preds[key]
	for _, out := range predictionOutputs {
		old, had := published(out)
		switch {
		case !o.Enabled:
			values[out] = ""
		case !have:
			values[out] = old
		default:
			v := predictionValue(p, out)
			values[out] = strconv.FormatFloat(v, 'f', -1, 64)
			if prev, err := strconv.ParseFloat(old, 64); had && err == nil && !clv.Moved(prev, v, o.Tolerance[out]) {
				values[out] = old
			}
		}
	}
	values[outputs.Holdout] = ""
	if h := r.pred.holdout; h != nil {
		values[outputs.Holdout] = outputs.HoldoutTreated
		if h.InHoldout(predict.HoldoutID(key)) {
			values[outputs.Holdout] = outputs.HoldoutHeld
			r.rep.Predict.HeldOut++
		} else {
			r.rep.Predict.Treated++
		}
	}
}

func predictionValue(p clv.Prediction, output string) float64 {
	var v float64
	switch output {
	case outputs.PAlive:
		v = p.PAlive
	case outputs.ExpectedOrders:
		v = p.ExpectedOrders
	case outputs.PredictedValue:
		v = p.PredictedValue
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// logSegments records, for the lift report, the segment moves among
// records the CRM just accepted: a move is a published record whose
// segment changed at this run's asof.
func (r *run) logSegments(committed map[connector.CustomerKey]*state.Published) error {
	if r.Predict.HoldoutShare <= 0 {
		return nil
	}
	steps := map[connector.CustomerKey]state.SegmentStep{}
	for k, p := range committed {
		if p != nil && p.GoneAt == 0 && p.SegmentChangedAt == r.asof && p.Segment != "" {
			steps[k] = state.SegmentStep{At: r.asof, Segment: p.Segment}
		}
	}
	return r.db.LogSegments(steps)
}

// measureLift adds the lift report to a real run's report.
func (r *run) measureLift() {
	o := r.Predict
	if o.HoldoutShare <= 0 || r.DryRun {
		return
	}
	pr := r.rep.Predict
	res, err := predict.Lift(r.db, r.asof, predict.LiftOptions{
		Key: o.HoldoutKey, Share: o.HoldoutShare,
		WindowDays: o.Lift.WindowDays, MinEntries: o.Lift.MinEntries, Outcome: o.Lift.Outcome,
		Better:    lift.Ranked(predict.SegmentRank(r.Params, r.Inactive.trackingID())...),
		Purchases: rfm.Window{AsOf: r.asof, Days: r.WindowDays},
	})
	if err != nil {
		pr.LiftErr = err.Error()
		return
	}
	pr.Lift = &res
}

func (o PredictOptions) withDefaults() PredictOptions {
	if o.HorizonDays <= 0 {
		o.HorizonDays = 365
	}
	if o.Lift.WindowDays <= 0 {
		o.Lift.WindowDays = 90
	}
	if o.Lift.MinEntries <= 0 {
		o.Lift.MinEntries = 30
	}
	if o.Lift.Outcome == "" {
		o.Lift.Outcome = lift.MovedUp
	}
	return o
}

// print writes the predictive step for a person (nothing when it was off).
func (pr *PredictReport) print(w io.Writer) {
	if pr == nil {
		return
	}
	if pr.Refitted {
		fmt.Fprintf(w, "predictive model refitted: log-likelihood %.2f", pr.LogLikelihood)
		if pr.Shift != nil {
			s := pr.Shift
			fmt.Fprintf(w, "; parameter shift r %+.1f%%, alpha %+.1f%%, a %+.1f%%, b %+.1f%%, p %+.1f%%, q %+.1f%%, gamma %+.1f%%",
				100*s.R, 100*s.Alpha, 100*s.A, 100*s.B, 100*s.P, 100*s.Q, 100*s.Gamma)
		}
		fmt.Fprintln(w)
	}
	if pr.RefitFailed != "" {
		fmt.Fprintf(w, "predictive model refit failed: %s\n", pr.RefitFailed)
	}
	for _, s := range pr.Warnings {
		fmt.Fprintf(w, "  model warning: %s\n", s)
	}
	switch {
	case pr.Error != "":
		fmt.Fprintf(w, "predictions: none this run (%s); published values are kept\n", pr.Error)
	case pr.Model != nil:
		version := fmt.Sprintf("version %d", pr.ModelVersion)
		if pr.ModelVersion == 0 {
			version = "a dry-run fit, not stored"
		}
		fmt.Fprintf(w, "predictions: %d customers over %d days with model %s fitted %s\n",
			pr.Predicted, pr.HorizonDays, version, pr.FittedAt.UTC().Format(time.DateOnly))
	}
	if pr.HeldOut+pr.Treated > 0 {
		fmt.Fprintf(w, "holdout: %d held out, %d treated\n", pr.HeldOut, pr.Treated)
	}
	if pr.LiftErr != "" {
		fmt.Fprintf(w, "lift: not measured (%s)\n", pr.LiftErr)
	}
}

// TrackingID is the segment id an inactive customer is tracked under, as
// the segment log and the lift report name it.
func (in Inactive) TrackingID() string { return in.trackingID() }
