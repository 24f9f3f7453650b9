package hubspottest

import (
	"net/http"
	"strconv"
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

// InjectFault makes the next n requests of route (or of any route, with
// AnyRoute) answer with f. Route-specific faults are served before AnyRoute
// ones; queued faults of one route are served in order.
func (s *Server) InjectFault(route Route, n int, f Fault) { s.faults.Inject(route, n, f) }

// InjectFaultAt makes the route's call number call (1-based, as Calls counts
// them; AnyRoute: the overall count) answer with f, whatever came before.
func (s *Server) InjectFaultAt(route Route, call int, f Fault) { s.faults.InjectAt(route, call, f) }

// FailNext is InjectFault(route, 1, Fault{Status: status}).
func (s *Server) FailNext(route Route, status int) {
	s.InjectFault(route, 1, Fault{Status: status})
}

// ClearFaults drops every pending fault, delay and hook, and releases
// stalled requests.
func (s *Server) ClearFaults() { s.faults.Clear() }

// Stall holds the next n requests of route (AnyRoute: any) after they
// arrive, until release is called or the client gives up. arrived receives
// once per held request, so a test knows a call is in flight — to cancel its
// context, or to change data while a page is being served. Nothing sleeps.
func (s *Server) Stall(route Route, n int) (arrived <-chan struct{}, release func()) {
	return s.faults.Stall(route, n)
}

// SetDelay makes every request of route (AnyRoute: any) take at least d of
// real time before it is handled; 0 removes the delay. For slow-response
// tests that need wall-clock time (client timeouts); prefer Stall otherwise.
func (s *Server) SetDelay(route Route, d time.Duration) { s.faults.SetDelay(route, d) }

// OnRequest registers fn to run when a request of route arrives, before it
// is handled, with the route's 1-based call count (AnyRoute: every request,
// with the total count). fn may call the seeding API — e.g. Update or Touch a
// record while a client pages through search results. nil removes it.
func (s *Server) OnRequest(route Route, fn func(n int)) { s.faults.OnRequest(route, fn) }

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
