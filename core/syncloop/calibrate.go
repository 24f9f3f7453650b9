package syncloop

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// calibration is the stored result of one recalibration of a metric's cuts.
type calibration struct {
	At   time.Time   `json:"at"`
	Cuts []rfm.Money `json:"cuts"`
}

// calibrate applies recalibrated threshold cuts: for each threshold metric
// with a period, the cuts last computed from the data are used, recomputed
// from the run's customers when the period has passed. Stored cuts keep a
// restarted run scoring exactly like the interrupted one.
func (r *run) calibrate(cs []rfm.Customer) error {
	for _, m := range []struct {
		metric rfm.Metric
		scale  *rfm.Scale
	}{{rfm.Recency, &r.Params.R}, {rfm.Frequency, &r.Params.F}, {rfm.Monetary, &r.Params.M}} {
		every := r.Recalibrate[m.metric]
		if every <= 0 || m.scale.Method != rfm.Threshold {
			continue
		}
		key := "calibration." + string(m.metric)
		var c calibration
		if b, err := r.db.Meta(key); err != nil {
			return err
		} else if len(b) > 0 {
			if err := json.Unmarshal(b, &c); err != nil {
				return fmt.Errorf("stored calibration of %s: %w", m.metric, err)
			}
			if len(c.Cuts) != r.Params.Bins-1 {
				// Stored for another number of bins: it would score past
				// the bins. Recalibrate now.
				c = calibration{}
			}
		}
		// Measured against the run's asof, so a resumed run decides as the
		// interrupted one did.
		at := r.asof.Time()
		if c.At.IsZero() || at.Sub(c.At) >= every-slack(every) {
			cuts := rfm.Calibrate(m.metric, cs, r.asof, r.Params.Bins)
			if len(cuts) == 0 {
				continue
			}
			r.rep.Recalibrated = append(r.rep.Recalibrated, fmt.Sprintf("%s cuts %s → %s", m.metric, cutList(m.scale.Cuts, c.Cuts), cutList(cuts, nil)))
			c = calibration{At: at, Cuts: cuts}
			if !r.DryRun {
				b, _ := json.Marshal(c)
				if err := r.db.SetMeta(key, b); err != nil {
					return err
				}
			}
		}
		// Copy: Params is shared with the caller.
		m.scale.Cuts = append([]rfm.Money(nil), c.Cuts...)
	}
	return nil
}

func cutList(configured, stored []rfm.Money) string {
	cuts := configured
	if len(stored) > 0 {
		cuts = stored
	}
	parts := make([]string, len(cuts))
	for i, c := range cuts {
		parts[i] = strings.TrimRight(strings.TrimRight(c.String(), "0"), ".")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
