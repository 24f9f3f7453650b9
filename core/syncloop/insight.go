package syncloop

import (
	"encoding/json"
	"time"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/rfm"
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
