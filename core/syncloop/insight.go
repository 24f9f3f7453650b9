package syncloop

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// addInsight summarises the run's scores for people (money per segment,
// distributions, cuts in force) into the report.
func (r *run) addInsight(scores []rfm.Score) {
	o := insight.Options{WindowDays: r.WindowDays, Recalibrated: map[rfm.Metric]time.Time{}}
	for _, m := range []struct {
		metric rfm.Metric
		scale  rfm.Scale
	}{{rfm.Recency, r.Params.R}, {rfm.Frequency, r.Params.F}, {rfm.Monetary, r.Params.M}} {
		if r.Recalibrate[m.metric] <= 0 || m.scale.Method != rfm.Threshold {
			continue // configured cuts, or quantiles: nothing was recalibrated
		}
		if r.recalibratedNow(m.metric) {
			o.Recalibrated[m.metric] = r.asof.Time() // also in a dry run, which stores nothing
			continue
		}
		// Read only: calibrate stored it; an unreadable record just leaves
		// the time off the page.
		var c calibration
		if b, err := r.db.Meta("calibration." + string(m.metric)); err == nil && json.Unmarshal(b, &c) == nil {
			o.Recalibrated[m.metric] = c.At
		}
	}
	r.rep.Insight = insight.Summarize(scores, r.Params, o)
}

// recalibratedNow reports whether this run recomputed the metric's cuts.
func (r *run) recalibratedNow(m rfm.Metric) bool {
	for _, line := range r.rep.Recalibrated {
		if strings.HasPrefix(line, string(m)+" cuts ") {
			return true
		}
	}
	return false
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
