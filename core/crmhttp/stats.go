package crmhttp

import (
	"maps"
	"sync"
)

// Stats counts API calls for the sync loop's report and daily budget. Every
// HTTP attempt that reaches the wire is a call: first tries, retries, auth
// replays, token refreshes and logins alike, because each one counts against
// the CRM's quota. One Stats may be shared by several clients (Options.Stats).
type Stats struct {
	mu sync.Mutex
	s  StatsSnapshot
}

// StatsSnapshot is a point-in-time copy of Stats.
type StatsSnapshot struct {
	Calls        int64            // HTTP requests sent, of every kind
	Retries      int64            // attempts repeated after a Transient or RateLimited verdict
	Replays      int64            // requests replayed once after the credential was rejected
	TokenFetches int64            // credential refreshes or logins (their HTTP calls are in Calls)
	RateLimited  int64            // responses classified RateLimited or QuotaExhausted
	ByBucket     map[string]int64 // calls per pacing bucket name (a call may match several)
	// ByOp counts calls per operation label (Request.Op, or Options.OpOf);
	// every call has exactly one, so they sum to Calls. Credential calls
	// (token refreshes, logins) count as OpAuth.
	ByOp map[string]int64
}

// OpAuth is the operation label of credential calls: token refreshes and logins.
const OpAuth = "auth"

// NewStats returns empty counters.
func NewStats() *Stats {
	return &Stats{s: StatsSnapshot{ByBucket: map[string]int64{}, ByOp: map[string]int64{}}}
}

// Snapshot returns a copy safe to keep and read.
func (s *Stats) Snapshot() StatsSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.s
	out.ByBucket = maps.Clone(s.s.ByBucket)
	out.ByOp = maps.Clone(s.s.ByOp)
	return out
}

func (s *Stats) update(f func(*StatsSnapshot)) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.s)
}

func (s *Stats) addCall(buckets []*bucket, op string) {
	s.update(func(v *StatsSnapshot) {
		v.Calls++
		v.ByOp[op]++
		for _, b := range buckets {
			v.ByBucket[b.name]++
		}
	})
}

func (s *Stats) addRetry()       { s.update(func(v *StatsSnapshot) { v.Retries++ }) }
func (s *Stats) addReplay()      { s.update(func(v *StatsSnapshot) { v.Replays++ }) }
func (s *Stats) addTokenFetch()  { s.update(func(v *StatsSnapshot) { v.TokenFetches++ }) }
func (s *Stats) addRateLimited() { s.update(func(v *StatsSnapshot) { v.RateLimited++ }) }
