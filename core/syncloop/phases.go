package syncloop

import "time"

// phaseTimes is how long a run's local steps took, kept for the sync
// benchmark's split (not part of the report's JSON).
type phaseTimes struct {
	// apply is the pulls, scans and repair; score includes predictions;
	// commit is the write phase (CRM calls and the commits after them).
	apply, score, plan, commit time.Duration
	// cpu is the same split in process CPU time, when cpuClock is set.
	cpu [4]time.Duration
}

// cpuClock reads the process's CPU time; nil outside the benchmark, which
// sets it (the machine is shared: wall time alone says little).
var cpuClock func() time.Duration

// phaseClock times consecutive phases.
type phaseClock struct {
	wall time.Time
	cpu  time.Duration
}

func startClock() phaseClock {
	c := phaseClock{wall: time.Now()}
	if cpuClock != nil {
		c.cpu = cpuClock()
	}
	return c
}

// lap adds the time since the last lap to d (and the CPU time to *cpu)
// and restarts the clock.
func (c *phaseClock) lap(d, cpu *time.Duration) {
	next := startClock()
	*d += next.wall.Sub(c.wall)
	*cpu += next.cpu - c.cpu
	*c = next
}
