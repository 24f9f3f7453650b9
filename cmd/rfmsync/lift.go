package main

import (
	"errors"
	"io"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/lift"
	predictive "github.com/rfmsync/rfmsync/core/predict"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

func init() {
	commands["lift"] = command{summary: "print the lift per segment, treated against the holdout, from the state file", run: runLift}
}

func runLift(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lift", "--config FILE [--json]", stdout, stderr)
	path := fs.String("config", "", "config file naming the state file and the holdout (required; the crm section's secrets are not needed)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadOffline(*path)
	if err != nil {
		return err
	}
	if cfg.Predict.Holdout.Share <= 0 {
		return usagef("config: predict.holdout.share: is 0, so there is no holdout to compare with (set a share such as 0.1 and let the syncs run)")
	}
	db, err := state.Open(cfg.State.Path, state.Options{ReadOnly: true, LockTimeout: time.Second})
	if errors.Is(err, state.ErrLocked) {
		return errors.Join(err, errors.New("the running daemon's status page shows the lift table"))
	}
	if err != nil {
		return err
	}
	defer db.Close()
	asof := rfm.InstantOf(time.Now())
	res, err := predictive.Lift(db, asof, liftOptions(cfg, asof))
	if err != nil {
		return err
	}
	if *asJSON {
		if res.Rows == nil {
			res.Rows = []lift.Row{}
		}
		return writeJSON(stdout, res)
	}
	res.Print(stdout)
	return nil
}

// liftOptions is how the syncs measure lift, from the config.
func liftOptions(cfg *config.Config, asof rfm.Instant) predictive.LiftOptions {
	p := cfg.Predict
	return predictive.LiftOptions{
		Key: cfg.HoldoutKey(), Share: p.Holdout.Share,
		WindowDays: p.Lift.WindowDays, MinEntries: p.Lift.MinEntries, Outcome: lift.Outcome(p.Lift.Outcome),
		Better:    lift.Ranked(predictive.SegmentRank(cfg.Params(), inactive(cfg).TrackingID())...),
		Purchases: rfm.Window{AsOf: asof, Days: cfg.RFM.WindowDays},
	}
}
