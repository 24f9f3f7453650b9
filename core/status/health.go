package status

import (
	"fmt"
	"time"

	"github.com/rfmsync/rfmsync/core/state"
)

// DefaultMaxFailures is how many failed runs in a row make the daemon
// unready: one failure is often a CRM hiccup the next run heals; three
// daily runs is a problem someone must look at.
const DefaultMaxFailures = 3

// health is what readiness is judged on.
type health struct {
	maxFailures int // 0 = failures never make the daemon unready
	consecutive int
	lastSuccess time.Time
	paused      string       // why syncs are paused (auth breaker), "" = not
	stateCheck  func() error // state.DB.Ping
	configErr   string
}

func (h *health) record(r Run) {
	if r.Error != "" {
		h.consecutive++
		return
	}
	h.consecutive = 0
	h.lastSuccess = r.Finished
}

// restore rebuilds the streak from the persisted history (oldest first).
func (h *health) restore(runs []state.RunRecord) {
	h.consecutive = 0
	for _, r := range runs {
		if r.Result == ResultSuccess {
			h.consecutive = 0
			h.lastSuccess = r.Finished
		} else {
			h.consecutive++
		}
	}
}

// Readiness is the answer of /readyz. Reasons hold no error text or record
// ids: the endpoint is served without the token so probes can reach it.
type Readiness struct {
	Ready               bool      `json:"ready"`
	Reasons             []string  `json:"reasons,omitempty"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	Paused              bool      `json:"paused"`
}

// SetMaxFailures sets how many failed runs in a row make the daemon
// unready (status.unready_after_failures); 0 never does.
func (b *Board) SetMaxFailures(n int) {
	b.mu.Lock()
	b.health.maxFailures = max(0, n)
	b.mu.Unlock()
}

// SetStateCheck gives readiness a probe of the state file (state.DB.Ping).
func (b *Board) SetStateCheck(f func() error) {
	b.mu.Lock()
	b.health.stateCheck = f
	b.mu.Unlock()
}

// SetConfigError marks the loaded config as unusable (for a daemon that
// keeps serving after a failed reload); "" clears it.
func (b *Board) SetConfigError(msg string) {
	b.mu.Lock()
	b.health.configErr = msg
	b.mu.Unlock()
}

// SetPaused is the auth breaker's hook: a non-empty reason (short, no
// secrets) marks syncs as paused and the daemon unready; "" resumes.
func (b *Board) SetPaused(reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.health.paused = reason
	b.metrics.SetReadiness(b.readyLocked() == nil, reason != "")
}

// Readiness judges the daemon now and mirrors the verdict in the metrics.
func (b *Board) Readiness() Readiness {
	b.mu.RLock()
	defer b.mu.RUnlock()
	r := b.readinessLocked()
	b.metrics.SetReadiness(r.Ready, r.Paused)
	return r
}

func (b *Board) readinessLocked() Readiness {
	h := b.health
	r := Readiness{ConsecutiveFailures: h.consecutive, LastSuccess: h.lastSuccess, Paused: h.paused != ""}
	if h.configErr != "" {
		r.Reasons = append(r.Reasons, "config invalid")
	}
	if h.stateCheck != nil {
		if err := h.stateCheck(); err != nil {
			r.Reasons = append(r.Reasons, "state file unreadable")
		}
	}
	if h.maxFailures > 0 && h.consecutive >= h.maxFailures {
		r.Reasons = append(r.Reasons, fmt.Sprintf("the last %d runs failed (limit %d)", h.consecutive, h.maxFailures))
	}
	if h.paused != "" {
		r.Reasons = append(r.Reasons, "syncs paused: "+h.paused)
	}
	r.Ready = len(r.Reasons) == 0
	return r
}

func (b *Board) readyLocked() error {
	if r := b.readinessLocked(); !r.Ready {
		return fmt.Errorf("%v", r.Reasons)
	}
	return nil
}
