// Package status keeps the recent runs of the daemon and serves them: a
// dashboard page for people, JSON for tools and Prometheus metrics. It shows
// counts only; reports never carry secrets.
package status

import (
	"sync"
	"time"

	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// keepRuns bounds the history the board holds (a year of daily runs).
const keepRuns = 400

// Run is one finished run.
type Run struct {
	Started  time.Time        `json:"started"`
	Finished time.Time        `json:"finished"`
	Error    string           `json:"error,omitempty"`
	Report   *syncloop.Report `json:"report"`
}

// Board is the daemon's memory of its runs, safe for concurrent use.
type Board struct {
	mu      sync.RWMutex
	runs    []Run
	next    time.Time
	running bool
	totals  totals
	updates chan struct{}

	metrics *Metrics
	health  health
	access  Access
	// history reads the persisted run history (state.DB.History); nil
	// when the board has none.
	history func(n int) ([]state.RunRecord, error)
	// lookup explains one customer for /customer; nil keeps the page off.
	lookup CustomerLookup
}

// totals are the counters metrics expose; they only grow.
type totals struct {
	runs, failures, written, rejected, notFound int64
	calls                                       map[string]int64
	moves                                       map[string]int64
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{totals: totals{calls: map[string]int64{}, moves: map[string]int64{}}, updates: make(chan struct{}, 1),
		metrics: NewMetrics("", ""), health: health{maxFailures: DefaultMaxFailures}}
}

// Metrics is the board's registry; replace it with SetMetrics before serving.
func (b *Board) Metrics() *Metrics {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.metrics
}

// SetMetrics replaces the registry (to name the build and the connector).
func (b *Board) SetMetrics(m *Metrics) {
	b.mu.Lock()
	b.metrics = m
	b.mu.Unlock()
}

// SetHistory makes the board read the persisted run history (pass
// db.History) and restores the failure streak and last success from it.
func (b *Board) SetHistory(read func(n int) ([]state.RunRecord, error)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.history = read
	runs, err := read(0)
	if err != nil || len(runs) == 0 {
		return
	}
	b.health.restore(runs)
	b.metrics.Restore(b.health.lastSuccess, runs[len(runs)-1].Finished, b.health.consecutive)
}

// Updates delivers a signal after runs are recorded (coalesced: one signal
// may stand for several runs), for whoever waits on the daemon.
func (b *Board) Updates() <-chan struct{} { return b.updates }

// Started marks a run as in progress.
func (b *Board) Started() {
	b.mu.Lock()
	b.running = true
	b.metrics.SetRunning(true)
	b.mu.Unlock()
}

// Record stores a finished run.
func (b *Board) Record(r Run) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = false
	b.metrics.SetRunning(false)
	b.health.record(r)
	b.metrics.ObserveRun(r, b.health.consecutive)
	b.metrics.SetReadiness(b.readyLocked() == nil, b.health.paused != "")
	b.runs = append(b.runs, r)
	if len(b.runs) > keepRuns {
		b.runs = b.runs[len(b.runs)-keepRuns:]
	}
	select {
	case b.updates <- struct{}{}:
	default:
	}
	b.totals.runs++
	if r.Error != "" {
		b.totals.failures++
	}
	if rep := r.Report; rep != nil {
		b.totals.written += int64(rep.Written)
		b.totals.rejected += int64(rep.Rejected)
		b.totals.notFound += int64(rep.NotFound)
		for k, v := range rep.APICalls {
			b.totals.calls[k] += v
		}
		if !rep.DryRun {
			for k, v := range rep.Moves {
				b.totals.moves[k] += int64(v)
			}
		}
	}
}

// SetNext records when the next run is due.
func (b *Board) SetNext(t time.Time) {
	b.mu.Lock()
	b.next = t
	b.metrics.SetNext(t)
	b.mu.Unlock()
}

// snapshot is a consistent copy for one response.
type snapshot struct {
	Runs    []Run     `json:"runs"`
	Next    time.Time `json:"next_run"`
	Running bool      `json:"running"`
	// History is the persisted run history, newest last, failed runs
	// included; it survives restarts, unlike Runs.
	RunHistory []state.RunRecord `json:"history"`
	// Readiness is what /readyz answers.
	Readiness Readiness `json:"readiness"`
}

// historyOnPage bounds the history one response carries.
const historyOnPage = 100

func (b *Board) snapshot() snapshot {
	b.mu.RLock()
	defer b.mu.RUnlock()
	s := snapshot{Runs: make([]Run, len(b.runs)), Next: b.next, Running: b.running, Readiness: b.readinessLocked()}
	for i, r := range b.runs {
		s.Runs[i] = b.access.redact(r)
	}
	if b.history != nil {
		s.RunHistory, _ = b.history(historyOnPage)
	}
	if s.RunHistory == nil {
		s.RunHistory = []state.RunRecord{}
	}
	return s
}

// Last returns the most recent run, if any.
func (b *Board) Last() (Run, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if len(b.runs) == 0 {
		return Run{}, false
	}
	return b.runs[len(b.runs)-1], true
}
