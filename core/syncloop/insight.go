package syncloop

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// addInsight summarises the run's scores for people (money per segment,
// distributions, cuts in force) into the report.
func (r *run) addInsight(scores []rfm.Score) {
	o := insight.Options{WindowDays: r.WindowDays, Recalibrated: map[rfm.Metric]time.Time{}}
	for _, m := range []rfm.Metric{rfm.Recency, rfm.Frequency, rfm.Monetary} {
		// Read only: calibrate stored it; a missing or unreadable record
		// just leaves the time off the page.
		var c calibration
		if b, err := r.db.Meta("calibration." + string(m)); err == nil && json.Unmarshal(b, &c) == nil {
			o.Recalibrated[m] = c.At
		}
	}
	r.rep.Insight = insight.Summarize(scores, r.Params, o)
}

// StoredCuts returns p with the threshold cuts the last recalibration stored
// for each metric recalibrated from the data (what a run scores with until
// the next recalibration), and when each was computed. It only reads.
func StoredCuts(db *state.DB, p rfm.Params, recalibrate map[rfm.Metric]time.Duration) (rfm.Params, map[rfm.Metric]time.Time, error) {
	at := map[rfm.Metric]time.Time{}
	for _, m := range []struct {
		metric rfm.Metric
		scale  *rfm.Scale
	}{{rfm.Recency, &p.R}, {rfm.Frequency, &p.F}, {rfm.Monetary, &p.M}} {
		if recalibrate[m.metric] <= 0 || m.scale.Method != rfm.Threshold {
			continue
		}
		b, err := db.Meta("calibration." + string(m.metric))
		if err != nil {
			return p, nil, err
		}
		if len(b) == 0 {
			continue
		}
		var c calibration
		if err := json.Unmarshal(b, &c); err != nil {
			return p, nil, fmt.Errorf("stored calibration of %s: %w", m.metric, err)
		}
		m.scale.Cuts = append([]rfm.Money(nil), c.Cuts...)
		at[m.metric] = c.At
	}
	return p, at, nil
}
