// Package status keeps the recent runs of the daemon and serves them: a
// dashboard page for people, JSON for tools and Prometheus metrics. It shows
// counts only; reports never carry secrets.
package status

import (
	"sync"
	"time"

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
}

// totals are the counters metrics expose; they only grow.
type totals struct {
	runs, failures, written, rejected, notFound int64
	calls                                       map[string]int64
	moves                                       map[string]int64
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{totals: totals{calls: map[string]int64{}, moves: map[string]int64{}}, updates: make(chan struct{}, 1)}
}

// Updates delivers a signal after runs are recorded (coalesced: one signal
// may stand for several runs), for whoever waits on the daemon.
func (b *Board) Updates() <-chan struct{} { return b.updates }

// Started marks a run as in progress.
func (b *Board) Started() {
	b.mu.Lock()
	b.running = true
	b.mu.Unlock()
}

// Record stores a finished run.
func (b *Board) Record(r Run) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = false
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
	b.mu.Unlock()
}

// snapshot is a consistent copy for one response.
type snapshot struct {
	Runs    []Run     `json:"runs"`
	Next    time.Time `json:"next_run"`
	Running bool      `json:"running"`
}

func (b *Board) snapshot() snapshot {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return snapshot{Runs: append([]Run(nil), b.runs...), Next: b.next, Running: b.running}
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
