package syncloop

import "time"

// phaseTimes is how long a run's local steps took, kept for the sync
// benchmark's split (not part of the report's JSON).
type phaseTimes struct {
	// apply is the pulls, scans and repair; score includes predictions;
	// commit is the write phase (CRM calls and the commits after them).
	apply, score, plan, commit time.Duration
}

// lap adds the time since *start to d and restarts the clock.
func lap(d *time.Duration, start *time.Time) {
	now := time.Now()
	*d += now.Sub(*start)
	*start = now
}
