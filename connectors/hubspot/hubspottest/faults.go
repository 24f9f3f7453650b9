package hubspottest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fault is an injected response, served instead of handling the request
// (before auth and limits, as a proxy or an overloaded backend would).
type Fault struct {
	// Status is the HTTP status: 423, 429, 477, 500, 502, 503, 504, 521–524,
	// 530 or anything else.
	Status int
	// Policy selects a 429's body: PolicyTenSecondly (default), PolicyDaily
	// or PolicySecondly.
	Policy string
	// RetryAfter, in seconds, adds a Retry-After header; a 477 without one
	// gets 60 (§7: HubSpot sends it in seconds, up to ~24 h).
	RetryAfter int
	// HTML forces an HTML body. 502, 504, 521–524 and 530 always get one, as
	// Cloudflare sends them (§7); such responses carry no correlation ID.
	HTML bool
	// Body, when set, is sent verbatim as the body.
	Body string
}

// faultQueue is a fault with how many more responses it replaces.
type faultQueue struct {
	f Fault
	n int
}

// stall holds requests until released.
type stall struct {
	n       int
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func (st *stall) open() { st.once.Do(func() { close(st.release) }) }

// faultState holds injected faults, stalls, delays and hooks; guarded by
// Server.mu.
type faultState struct {
	queues map[Route][]*faultQueue
	stalls map[Route][]*stall
	delays map[Route]time.Duration
	hooks  map[Route]func(n int)
	all    []*stall
}

func (f *faultState) init() {
	f.queues = map[Route][]*faultQueue{}
	f.stalls = map[Route][]*stall{}
	f.delays = map[Route]time.Duration{}
	f.hooks = map[Route]func(int){}
}

// InjectFault makes the next n requests of route (or of any route, with
// AnyRoute) answer with f. Route-specific faults are served before AnyRoute
// ones; queued faults of one route are served in order.
func (s *Server) InjectFault(route Route, n int, f Fault) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.queues[route] = append(s.faults.queues[route], &faultQueue{f: f, n: n})
}

// FailNext is InjectFault(route, 1, Fault{Status: status}).
func (s *Server) FailNext(route Route, status int) {
	s.InjectFault(route, 1, Fault{Status: status})
}

// ClearFaults drops every pending fault, delay and hook, and releases
// stalled requests.
func (s *Server) ClearFaults() {
	s.faults.releaseAll(&s.mu)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.init()
}

// Stall holds the next n requests of route (AnyRoute: any) after they
// arrive, until release is called or the client gives up. arrived receives
// once per held request, so a test knows a call is in flight — to cancel its
// context, or to change data while a page is being served. Nothing sleeps.
func (s *Server) Stall(route Route, n int) (arrived <-chan struct{}, release func()) {
	st := &stall{n: n, arrived: make(chan struct{}, max(n, 0)), release: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.stalls[route] = append(s.faults.stalls[route], st)
	s.faults.all = append(s.faults.all, st)
	return st.arrived, st.open
}

// SetDelay makes every request of route (AnyRoute: any) take at least d of
// real time before it is handled; 0 removes the delay. For slow-response
// tests that need wall-clock time (client timeouts); prefer Stall otherwise.
func (s *Server) SetDelay(route Route, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.faults.delays, route)
		return
	}
	s.faults.delays[route] = d
}

// OnRequest registers fn to run when a request of route arrives, before it
// is handled, with the route's 1-based call count (AnyRoute: every request,
// with the total count). fn may call the seeding API — e.g. Update or Touch a
// record while a client pages through search results. nil removes it.
func (s *Server) OnRequest(route Route, fn func(n int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fn == nil {
		delete(s.faults.hooks, route)
		return
	}
	s.faults.hooks[route] = fn
}

func (s *Server) runHook(route Route, n int) {
	s.mu.Lock()
	fn := s.faults.hooks[route]
	anyFn := s.faults.hooks[AnyRoute]
	total := s.calls.total
	s.mu.Unlock()
	if fn != nil {
		fn(n)
	}
	if anyFn != nil {
		anyFn(total)
	}
}

// holdRequest applies stalls and delays; false means the client went away.
func (s *Server) holdRequest(c *reqCtx) bool {
	s.mu.Lock()
	st := takeStall(s.faults.stalls, c.m.route)
	if st == nil {
		st = takeStall(s.faults.stalls, AnyRoute)
	}
	d, ok := s.faults.delays[c.m.route]
	if !ok {
		d = s.faults.delays[AnyRoute]
	}
	s.mu.Unlock()
	ctx := c.r.Context()
	if st != nil {
		st.arrived <- struct{}{}
		select {
		case <-st.release:
		case <-ctx.Done():
			return false
		}
	}
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

func takeStall(m map[Route][]*stall, route Route) *stall {
	q := m[route]
	for len(q) > 0 && q[0].n <= 0 {
		q = q[1:]
	}
	m[route] = q
	if len(q) == 0 {
		return nil
	}
	q[0].n--
	return q[0]
}

// releaseAll opens every stall, so Close never hangs on a held request.
func (f *faultState) releaseAll(mu *sync.Mutex) {
	mu.Lock()
	all := f.all
	f.all = nil
	mu.Unlock()
	for _, st := range all {
		st.open()
	}
}

// takeFault pops the next fault for route.
func (s *Server) takeFault(route Route) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range []Route{route, AnyRoute} {
		q := s.faults.queues[r]
		if len(q) == 0 {
			continue
		}
		f := q[0].f
		q[0].n--
		if q[0].n <= 0 {
			s.faults.queues[r] = q[1:]
		}
		return f, true
	}
	return Fault{}, false
}

// writeFault answers with an injected fault.
func (s *Server) writeFault(c *reqCtx, f Fault) {
	if f.Status == 477 && f.RetryAfter <= 0 {
		f.RetryAfter = 60
	}
	if f.RetryAfter > 0 && f.Status != http.StatusTooManyRequests {
		c.w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	htmlStatus := f.Status == 502 || f.Status == 504 || (f.Status >= 521 && f.Status <= 524) || f.Status == 530
	if f.Body != "" {
		if f.HTML || htmlStatus {
			c.html(f.Status, f.Body)
			return
		}
		c.w.Header().Set("Content-Type", jsonContentType)
		c.w.WriteHeader(f.Status)
		_, _ = c.w.Write([]byte(f.Body))
		return
	}
	if f.HTML || htmlStatus {
		c.html(f.Status, htmlPage(f.Status, faultTitle(f.Status)))
		return
	}
	switch f.Status {
	case http.StatusTooManyRequests:
		c.rateLimited(f.Policy, f.RetryAfter)
	case 423:
		c.fail(423, "LOCKED", "The record is locked while another request updates it. Retry in at least 2 seconds.")
	case 477:
		c.fail(477, "MIGRATION_IN_PROGRESS", "This account is being migrated between data centers. Retry after the Retry-After period.")
	default:
		c.fail(f.Status, "", faultTitle(f.Status))
	}
}

func faultTitle(code int) string {
	switch code {
	case 521:
		return "Web server is down"
	case 522:
		return "Connection timed out"
	case 523:
		return "Origin is unreachable"
	case 524:
		return "A timeout occurred"
	case 530:
		return "Origin DNS error"
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "error " + strconv.Itoa(code)
}
