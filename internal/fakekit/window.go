package fakekit

import "time"

// Window is a rolling log of admitted requests, for limits such as "100
// calls per rolling 10 s" or "N calls per rolling 24 h". It is not locked:
// the fake guards it together with the rest of its limit state.
type Window struct{ times []time.Time }

// Count drops entries not newer than now-span and returns how many remain.
func (w *Window) Count(now time.Time, span time.Duration) int {
	cut := now.Add(-span)
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	w.times = w.times[i:]
	return len(w.times)
}

// Within counts entries newer than now-span without dropping any.
func (w *Window) Within(now time.Time, span time.Duration) int {
	cut := now.Add(-span)
	n := 0
	for i := len(w.times) - 1; i >= 0 && w.times[i].After(cut); i-- {
		n++
	}
	return n
}

// Add records an admitted request at t (t must not precede earlier ones).
func (w *Window) Add(t time.Time) { w.times = append(w.times, t) }

// Reset empties the window.
func (w *Window) Reset() { w.times = nil }
