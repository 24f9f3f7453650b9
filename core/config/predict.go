package config

import (
	"fmt"
	"math"
	"time"

	"github.com/rfmsync/rfmsync/core/outputs"
)

// Predict is the predictive section: the models written as p_alive,
// expected_orders and predicted_value (core/predict), the holdout written
// as holdout, and the lift report measured on it (core/lift).
type Predict struct {
	// Enabled fits the models in every sync and writes their outputs.
	Enabled bool `koanf:"enabled"`
	// HorizonDays is how far ahead expected orders and value reach.
	HorizonDays int `koanf:"horizon_days"`
	// RefitEvery is the refit cadence; between refits the stored
	// parameters are used, so values only move when the data do.
	RefitEvery time.Duration `koanf:"refit_every"`
	// Unit is the time unit the models are fitted in: week or day.
	Unit      string    `koanf:"unit"`
	Tolerance Tolerance `koanf:"tolerance"`
	Holdout   Holdout   `koanf:"holdout"`
	Lift      Lift      `koanf:"lift"`

	holdoutKey []byte
}

// Tolerance is, per prediction output, how far a new value must move from
// the one last written before it is written again: relative to the old
// value, absolute below 1 (clv.Moved).
type Tolerance struct {
	PAlive         float64 `koanf:"p_alive"`
	ExpectedOrders float64 `koanf:"expected_orders"`
	PredictedValue float64 `koanf:"predicted_value"`
}

// Holdout is the stable share of customers that segment workflows leave
// alone, so their lift can be measured.
type Holdout struct {
	// Share is the fraction held out, 0 (off) to 0.5.
	Share float64 `koanf:"share"`
	// Key keys the hash that chooses customers; a secret, so nobody can
	// pick ids into or out of the holdout. KeyFile reads it from a file.
	Key     string `koanf:"key"`
	KeyFile string `koanf:"key_file"`
}

// String hides the key.
func (h Holdout) String() string {
	return fmt.Sprintf("holdout{share: %g, key: %s}", h.Share, redactedIfSet(h.Key != "" || h.KeyFile != ""))
}

// GoString is String, so %#v does not leak the key either.
func (h Holdout) GoString() string { return h.String() }

func redactedIfSet(set bool) string {
	if set {
		return "(set)"
	}
	return "(not set)"
}

// Lift is how the lift report counts.
type Lift struct {
	// WindowDays is how long after entering a segment a move up (or a new
	// purchase) still counts as its success.
	WindowDays int `koanf:"window_days"`
	// MinEntries is the number of entries each arm needs before a segment
	// shows a difference rather than "too few customers".
	MinEntries int `koanf:"min_entries"`
	// Outcome is moved_up or bought_again.
	Outcome string `koanf:"outcome"`
}

// Defaults of the predict keys.
const (
	DefaultHorizonDays        = 365
	DefaultRefitEvery         = 30 * 24 * time.Hour
	DefaultPredictUnit        = "week"
	DefaultTolerancePAlive    = 0.02
	DefaultToleranceOrders    = 0.05
	DefaultToleranceValue     = 0.05
	DefaultLiftWindowDays     = 90
	DefaultLiftMinEntries     = 30
	DefaultLiftOutcome        = "moved_up"
	maxHoldoutShare           = 0.5
	maxHorizonDays            = 3650
	minHoldoutKeyBytes        = 16
	predictOutputsNeedEnabled = "is mapped but predict.enabled is false: nothing is written to it"
)

// PredictUnits and LiftOutcomes are the accepted values.
var (
	PredictUnits = []string{"week", "day"}
	LiftOutcomes = []string{"moved_up", "bought_again"}
)

func defaultPredict() Predict {
	return Predict{
		HorizonDays: DefaultHorizonDays, RefitEvery: DefaultRefitEvery, Unit: DefaultPredictUnit,
		Tolerance: Tolerance{PAlive: DefaultTolerancePAlive, ExpectedOrders: DefaultToleranceOrders, PredictedValue: DefaultToleranceValue},
		Lift:      Lift{WindowDays: DefaultLiftWindowDays, MinEntries: DefaultLiftMinEntries, Outcome: DefaultLiftOutcome},
	}
}

// HoldoutKey returns the key the holdout hash is keyed with (nil when the
// holdout is off).
func (c *Config) HoldoutKey() []byte { return c.Predict.holdoutKey }

func validatePredict(c *Config, p *problems) {
	pr := &c.Predict
	if pr.HorizonDays < 1 || pr.HorizonDays > maxHorizonDays {
		p.add("predict.horizon_days", fmt.Sprintf("must be from 1 to %d", maxHorizonDays))
	}
	if pr.RefitEvery < 24*time.Hour {
		p.add("predict.refit_every", "must be at least 1d: a refit reads every order in state")
	}
	if !oneOf(pr.Unit, PredictUnits) {
		p.add("predict.unit", fmt.Sprintf("%q is not one of week, day", pr.Unit))
	}
	for key, v := range map[string]float64{
		"predict.tolerance.p_alive": pr.Tolerance.PAlive, "predict.tolerance.expected_orders": pr.Tolerance.ExpectedOrders,
		"predict.tolerance.predicted_value": pr.Tolerance.PredictedValue,
	} {
		if math.IsNaN(v) || v < 0 || v > 1 {
			p.add(key, "must be from 0 to 1 (a share of the old value; absolute below 1)")
		}
	}
	h := pr.Holdout
	switch {
	case math.IsNaN(h.Share) || h.Share < 0 || h.Share > maxHoldoutShare:
		p.add("predict.holdout.share", fmt.Sprintf("must be from 0 (off) to %g", maxHoldoutShare))
	case h.Share > 0:
		key, err := ReadSecret(h.Key, h.KeyFile)
		where := "predict.holdout.key"
		if h.KeyFile != "" {
			where = "predict.holdout.key_file"
		}
		switch {
		case err != nil:
			p.add(where, err.Error())
		case key == "":
			p.add("predict.holdout.key", "is required when predict.holdout.share is above 0 (a secret, e.g. ${RFMSYNC_HOLDOUT_KEY})")
		case len(key) < minHoldoutKeyBytes:
			p.add(where, fmt.Sprintf("is shorter than %d characters: too easy to guess", minHoldoutKeyBytes))
		default:
			pr.holdoutKey = []byte(key)
		}
	}
	if pr.Lift.WindowDays < 1 || pr.Lift.WindowDays > maxHorizonDays {
		p.add("predict.lift.window_days", fmt.Sprintf("must be from 1 to %d", maxHorizonDays))
	}
	if pr.Lift.MinEntries < 1 {
		p.add("predict.lift.min_entries", "must be 1 or more")
	}
	if !oneOf(pr.Lift.Outcome, LiftOutcomes) {
		p.add("predict.lift.outcome", fmt.Sprintf("%q is not one of moved_up, bought_again", pr.Lift.Outcome))
	}
}

// predictWarnings names prediction outputs mapped while nothing fills them.
func (c *Config) predictWarnings() []string {
	var out []string
	fm := c.FieldMap()
	for _, o := range []string{outputs.PAlive, outputs.ExpectedOrders, outputs.PredictedValue} {
		if !fm[o].IsZero() && !c.Predict.Enabled {
			out = append(out, "fields."+o+": "+predictOutputsNeedEnabled)
		}
	}
	if !fm[outputs.Holdout].IsZero() && c.Predict.Holdout.Share == 0 {
		out = append(out, "fields.holdout: is mapped but predict.holdout.share is 0: nothing is written to it")
	}
	return out
}
