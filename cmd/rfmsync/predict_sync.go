package main

import (
	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/lift"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// predictOptions turns the predict section into a run's options.
func predictOptions(cfg *config.Config) syncloop.PredictOptions {
	p := cfg.Predict
	unit, err := clv.ParseUnit(p.Unit)
	if err != nil {
		unit = clv.Week // validated by config; unreachable
	}
	return syncloop.PredictOptions{
		Enabled: p.Enabled, HorizonDays: p.HorizonDays, RefitEvery: p.RefitEvery, Unit: unit,
		Tolerance: map[string]float64{
			outputs.PAlive: p.Tolerance.PAlive, outputs.ExpectedOrders: p.Tolerance.ExpectedOrders,
			outputs.PredictedValue: p.Tolerance.PredictedValue,
		},
		HoldoutShare: p.Holdout.Share, HoldoutKey: cfg.HoldoutKey(),
		Lift: syncloop.LiftOptions{WindowDays: p.Lift.WindowDays, MinEntries: p.Lift.MinEntries, Outcome: lift.Outcome(p.Lift.Outcome)},
	}
}
