package fakekit

import (
	"sync"
	"time"
)

// Route names a family of endpoints, for fault injection, hooks, stalls and
// call counters. Each fake declares its own.
type Route string

// AnyRoute matches every request when injecting faults, stalling or hooking,
// and counts all requests in CallLog.Count.
const AnyRoute Route = "*"

// Call is one logged request. A fake leaves Query and Body empty for
// requests that carry secrets (token endpoints); Authorization headers are
// never kept.
type Call struct {
	Route  Route
	Method string
	Path   string
	Query  string
	Body   []byte
	// Header holds the request headers a fake chose to keep (never
	// Authorization); nil when it keeps none.
	Header map[string]string
	// Status is the response status (0 if the client went away first).
	Status int
	// At is the clock time of arrival.
	At time.Time
}

// CallLog records requests in arrival order and counts them per route.
type CallLog struct {
	mu     sync.Mutex
	calls  []Call
	counts map[Route]int
	total  int
}

// Start logs an arriving request and returns the route's 1-based call
// count, the total count and the entry's index for End.
func (l *CallLog) Start(c Call) (n, total, idx int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[Route]int{}
	}
	l.counts[c.Route]++
	l.total++
	l.calls = append(l.calls, c)
	return l.counts[c.Route], l.total, len(l.calls) - 1
}

// End records the response status of the entry Start returned.
func (l *CallLog) End(idx, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if idx >= 0 && idx < len(l.calls) {
		l.calls[idx].Status = status
	}
}

// Count returns how many requests arrived for route, whatever their outcome;
// AnyRoute counts all of them.
func (l *CallLog) Count(route Route) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if route == AnyRoute {
		return l.total
	}
	return l.counts[route]
}

// Total returns how many requests arrived.
func (l *CallLog) Total() int { return l.Count(AnyRoute) }

// Calls returns a copy of every request so far, in arrival order.
func (l *CallLog) Calls() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call(nil), l.calls...)
}

// Reset clears the log and the counters.
func (l *CallLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls, l.counts, l.total = nil, nil, 0
}
