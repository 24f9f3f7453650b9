package hubspottest

import "github.com/rfmsync/rfmsync/internal/fakekit"

// Call is one logged request. The query and body of token requests are not
// kept: they carry client secrets and refresh tokens. Authorization headers
// are never kept.
type Call = fakekit.Call

// writeStats counts successful writes; guarded by Server.mu.
type writeStats struct {
	calls   int // batch/update and PATCH requests that wrote something
	records int // records updated by them
}

// logStart logs an arriving request and returns the route's 1-based call
// count, the total count and the log index.
func (s *Server) logStart(c *reqCtx) (n, total, idx int) {
	call := Call{Route: c.m.route, Method: c.r.Method, Path: c.r.URL.Path, At: s.clock.Now()}
	if c.m.route != RouteToken {
		call.Query, call.Body = c.r.URL.RawQuery, c.body
	}
	return s.log.Start(call)
}

// Calls counts the requests that arrived for route, whatever their outcome
// (faults, 401s and 429s included); AnyRoute counts all of them. Use it to
// assert API-call budgets.
func (s *Server) Calls(route Route) int { return s.log.Count(route) }

// Log returns a copy of every request so far, in arrival order.
func (s *Server) Log() []Call { return s.log.Calls() }

// ResetCalls clears the request log, the call counters and the write
// counters (not the rate-limit state: see ResetLimits).
func (s *Server) ResetCalls() {
	s.log.Reset()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = writeStats{}
}

// WriteCalls counts batch/update and PATCH requests that wrote at least one
// record (200 or 207).
func (s *Server) WriteCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes.calls
}

// RecordWrites counts records updated through the API.
func (s *Server) RecordWrites() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes.records
}
