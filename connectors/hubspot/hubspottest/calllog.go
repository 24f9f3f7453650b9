package hubspottest

import "time"

// Call is one logged request. The query and body of token requests are not
// kept: they carry client secrets and refresh tokens. Authorization headers
// are never kept.
type Call struct {
	Route  Route
	Method string
	Path   string
	Query  string
	Body   []byte
	// Status is the response status (0 if the client went away first).
	Status int
	// At is the clock time of arrival.
	At time.Time
}

// callLog counts requests per route family; guarded by Server.mu.
type callLog struct {
	calls  []Call
	counts map[Route]int
	total  int
}

// writeStats counts successful writes; guarded by Server.mu.
type writeStats struct {
	calls   int // batch/update and PATCH requests that wrote something
	records int // records updated by them
}

func (s *Server) logStart(c *reqCtx) (n, idx int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls.counts == nil {
		s.calls.counts = map[Route]int{}
	}
	s.calls.counts[c.m.route]++
	s.calls.total++
	call := Call{Route: c.m.route, Method: c.r.Method, Path: c.r.URL.Path, At: s.clock.Now()}
	if c.m.route != RouteToken {
		call.Query, call.Body = c.r.URL.RawQuery, c.body
	}
	s.calls.calls = append(s.calls.calls, call)
	return s.calls.counts[c.m.route], len(s.calls.calls) - 1
}

func (s *Server) logEnd(idx, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if idx < len(s.calls.calls) {
		s.calls.calls[idx].Status = status
	}
}

// Calls counts the requests that arrived for route, whatever their outcome
// (faults, 401s and 429s included); AnyRoute counts all of them. Use it to
// assert API-call budgets.
func (s *Server) Calls(route Route) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if route == AnyRoute {
		return s.calls.total
	}
	return s.calls.counts[route]
}

// Log returns a copy of every request so far, in arrival order.
func (s *Server) Log() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls.calls...)
}

// ResetCalls clears the request log, the call counters and the write
// counters (not the rate-limit state: see ResetLimits).
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = callLog{}
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
