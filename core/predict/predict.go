// Package predict runs the predictive models inside a sync: it refits them
// from the orders in state on their own cadence, keeps the parameters
// versioned in state so runs between refits (and after a restart) score
// alike, and predicts every customer for the outputs p_alive,
// expected_orders and predicted_value.
package predict

import (
	"fmt"
	"time"

	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// defaultUnit is the time unit models are fitted in unless configured.
// Predictions barely depend on it (α scales with the unit); weeks keep the
// numbers readable.
const defaultUnit = clv.Week

// Policy is how Refresh decides and stores.
type Policy struct {
	// Every is the refit cadence (0: clv.DefaultRefitEvery).
	Every time.Duration
	// Unit is the unit to fit in (default week); a stored model fitted in
	// another unit is refitted.
	Unit clv.Unit
	// DryRun fits when due but stores nothing, so a dry run leaves state
	// as it found it.
	DryRun bool
}

// Refit says what Refresh did.
type Refit struct {
	// Refitted is true when a new version was fitted and stored.
	Refitted bool
	Version  uint64
	// LogLikelihood is the new fit's BG/NBD log-likelihood.
	LogLikelihood float64
	// Shift is the change of each parameter from the previous version
	// (zero when there was none).
	Shift clv.Shift
	// Failed holds why a due refit did not produce a model; the previous
	// version, if any, stays in use.
	Failed   string
	Warnings []string
}

// Refresh returns the model to score with at now: the stored one, or a new
// fit of the orders inside w when none is stored or every has passed since
// the last fit. ok is false when there is no model at all (the first fit
// failed): the run then writes no prediction outputs.
func Refresh(db *state.DB, w rfm.Window, now time.Time, every time.Duration) (rec state.ModelRecord, ok bool, r Refit, err error) {
	return RefreshWith(db, w, now, Policy{Every: every})
}

// RefreshWith is Refresh under a policy: a unit other than the stored
// model's makes a refit due, and a dry run stores nothing (the fitted
// model is returned with Version 0).
func RefreshWith(db *state.DB, w rfm.Window, now time.Time, pol Policy) (rec state.ModelRecord, ok bool, r Refit, err error) {
	rec, ok, r, _, err = refresh(db, w, now, pol)
	return rec, ok, r, err
}

// Run is RefreshWith then Predict over one read of the orders in state:
// what a sync does. preds is nil when there is no model.
func Run(db *state.DB, w rfm.Window, now time.Time, pol Policy, horizonDays int) (rec state.ModelRecord, ok bool, r Refit, preds map[connector.CustomerKey]clv.Prediction, err error) {
	rec, ok, r, set, err := refresh(db, w, now, pol)
	if err != nil || !ok {
		return rec, ok, r, nil, err
	}
	// The set was read in the unit of the fit; a model kept after a failed
	// refit in another unit needs its own.
	if set == nil || set.unit != rec.Model.Unit {
		if set, err = read(db, w, rec.Model.Unit); err != nil {
			return rec, ok, r, nil, err
		}
	}
	return rec, ok, r, set.predict(rec.Model, horizonDays), nil
}

// refresh does RefreshWith and hands back the orders it read for a fit.
func refresh(db *state.DB, w rfm.Window, now time.Time, pol Policy) (rec state.ModelRecord, ok bool, r Refit, set *customerSet, err error) {
	unit := pol.Unit
	if unit == "" {
		unit = defaultUnit
	}
	rec, ok, err = db.CurrentModel()
	if err != nil {
		return rec, false, r, nil, err
	}
	if ok && rec.Model.Unit == unit && !clv.RefitDue(rec.FittedAt, now, pol.Every) {
		return rec, true, r, nil, nil
	}
	if set, err = read(db, w, unit); err != nil {
		return rec, ok, r, nil, err
	}
	fit, ferr := clv.FitModel(set.cs, unit)
	if ferr != nil {
		r.Failed = ferr.Error()
		return rec, ok, r, set, nil
	}
	next := state.ModelRecord{
		FittedAt: now.UTC(), CalibrationEnd: w.AsOf, Model: fit.Model,
		Customers: fit.Customers, Repeat: fit.Repeat,
		LogLikelihood: fit.LogLikelihood, SpendLogLikelihood: fit.SpendLogLikelihood,
		Warnings: fit.Warnings,
	}
	if !pol.DryRun {
		if next.Version, err = db.PutModel(next); err != nil {
			return rec, ok, r, nil, err
		}
	}
	r = Refit{Refitted: true, Version: next.Version, LogLikelihood: fit.LogLikelihood, Warnings: fit.Warnings}
	// Parameters fitted in another unit are not comparable (α scales).
	if ok && rec.Model.Unit == unit {
		r.Shift = fit.Model.ShiftFrom(rec.Model)
	}
	return next, true, r, set, nil
}

// Predict applies a stored model to every customer with orders inside w,
// over horizonDays, rounded as CRM fields carry the values.
func Predict(db *state.DB, m clv.Model, w rfm.Window, horizonDays int) (map[connector.CustomerKey]clv.Prediction, error) {
	if m.Unit == "" {
		return nil, fmt.Errorf("predict: model has no unit")
	}
	set, err := read(db, w, m.Unit)
	if err != nil {
		return nil, err
	}
	return set.predict(m, horizonDays), nil
}

// customerSet is every customer with an occasion inside a window,
// summarised in one unit, calibrated at the window's asof; keys[i] is
// cs[i]'s customer.
type customerSet struct {
	unit clv.Unit
	keys []connector.CustomerKey
	cs   []clv.Customer
}

// read summarises the orders inside w in one pass over state, one customer
// at a time (state hands them grouped), so memory holds the summaries, not
// the orders.
func read(db *state.DB, w rfm.Window, unit clv.Unit) (*customerSet, error) {
	set := &customerSet{unit: unit}
	if n, err := db.CustomerCount(); err == nil {
		set.keys = make([]connector.CustomerKey, 0, n)
		set.cs = make([]clv.Customer, 0, n)
	}
	sum := clv.NewSummarizer(clv.Periods{CalibrationEnd: w.AsOf, HoldoutEnd: w.AsOf, Unit: unit})
	err := db.CustomerOrders(w, func(key connector.CustomerKey, orders []rfm.Order) error {
		if c, ok := sum.Customer(key.ID, orders); ok {
			set.keys = append(set.keys, key)
			set.cs = append(set.cs, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return set, nil
}

func (set *customerSet) predict(m clv.Model, horizonDays int) map[connector.CustomerKey]clv.Prediction {
	out := make(map[connector.CustomerKey]clv.Prediction, len(set.cs))
	for i, c := range set.cs {
		out[set.keys[i]] = m.Predict(c, float64(horizonDays)).Rounded()
	}
	return out
}
