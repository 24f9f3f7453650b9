package hubspottest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// Rate-limit policies, for 429 bodies and Fault.Policy (§6).
const (
	// PolicyTenSecondly is the burst policy of non-search calls.
	PolicyTenSecondly = "TEN_SECONDLY_ROLLING"
	// PolicyDaily is the per-account daily policy; clients must stop, not retry.
	PolicyDaily = "DAILY"
	// PolicySecondly selects the search limit's 429, whose body carries only
	// the message "You have reached your secondly limit." and no policyName:
	// the name is unverified, so the fake does not offer one to key on.
	PolicySecondly = "SECONDLY"
)

// Window lengths of the limits.
const (
	burstWindow  = 10 * time.Second
	searchWindow = time.Second
)

// limiter holds every limit's state; guarded by Server.mu. Rejected (429)
// requests are not recorded, so they do not extend a window.
type limiter struct {
	burst  map[string]*fakekit.Window
	assoc  map[string]*fakekit.Window
	search fakekit.Window
	day    string
	daily  int
}

func (l *limiter) win(m *map[string]*fakekit.Window, key string) *fakekit.Window {
	if *m == nil {
		*m = map[string]*fakekit.Window{}
	}
	w := (*m)[key]
	if w == nil {
		w = &fakekit.Window{}
		(*m)[key] = w
	}
	return w
}

// limitClass says which limit governs an operation: search has its own
// per-second limit and v4 association reads their own ten-second one; both
// are exempt from the burst policy and send no rate-limit headers (§6, §3.2).
type limitClass int

const (
	classStandard limitClass = iota
	classSearch
	classAssoc
)

func classOf(o op) limitClass {
	switch o {
	case opSearch:
		return classSearch
	case opAssocBatchRead, opAssocGet:
		return classAssoc
	}
	return classStandard
}

// DailyUsed returns the account's request count for the current day.
func (s *Server) DailyUsed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lim.day != s.dayKey(s.clock.Now()) {
		return 0
	}
	return s.lim.daily
}

// ResetLimits empties every window and the daily counter.
func (s *Server) ResetLimits() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lim = limiter{}
}

func (s *Server) dayKey(now time.Time) string {
	return now.In(s.opts.TimeZone).Format("2006-01-02")
}

// admit applies the daily limit, then the operation's own window, and sets
// the X-HubSpot-RateLimit-* headers on standard calls. Every admitted call
// counts toward the daily total, search and association reads included (the
// contract leaves that open; counting is the stricter choice).
func (s *Server) admit(c *reqCtx) bool {
	cls := classOf(c.m.op)
	o := &s.opts
	s.mu.Lock()
	now := s.clock.Now()
	l := &s.lim
	if day := s.dayKey(now); l.day != day {
		l.day, l.daily = day, 0
	}
	var w *fakekit.Window
	var limit int
	var span time.Duration
	switch cls {
	case classSearch:
		w, limit, span = &l.search, o.SearchPerSecond, searchWindow
	case classAssoc:
		w, limit, span = l.win(&l.assoc, c.tok.limitKey), o.AssociationBurst, burstWindow
	default:
		w, limit, span = l.win(&l.burst, c.tok.limitKey), o.BurstLimit, burstWindow
	}
	used := w.Count(now, span)
	policy := ""
	switch {
	case o.DailyLimit > 0 && l.daily >= o.DailyLimit:
		policy = PolicyDaily
	case limit > 0 && used >= limit:
		policy = PolicyTenSecondly
		if cls == classSearch {
			policy = PolicySecondly
		}
	default:
		w.Add(now)
		used++
		l.daily++
	}
	secondly := w.Within(now, time.Second)
	daily := l.daily
	s.mu.Unlock()

	if cls == classStandard {
		s.rateHeaders(c, used, secondly, daily)
	}
	if policy != "" {
		c.rateLimited(policy, 0)
		return false
	}
	return true
}

// rateHeaders sets the burst headers, the deprecated secondly ones, and the
// daily ones for non-OAuth tokens only (§6).
func (s *Server) rateHeaders(c *reqCtx, used, secondly, daily int) {
	o := &s.opts
	h := c.w.Header()
	if o.BurstLimit > 0 {
		h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(o.BurstLimit))
		h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(max(0, o.BurstLimit-used)))
		h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
		h.Set("X-HubSpot-RateLimit-Secondly", strconv.Itoa(o.BurstLimit/10))
		h.Set("X-HubSpot-RateLimit-Secondly-Remaining", strconv.Itoa(max(0, o.BurstLimit/10-secondly)))
	}
	if o.DailyLimit > 0 && !c.tok.oauth {
		h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(o.DailyLimit))
		h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(max(0, o.DailyLimit-daily)))
	}
}

// rateLimited answers 429 with the body of policy. Retry-After is sent only
// when retryAfter or Options.RetryAfter429 is positive.
func (c *reqCtx) rateLimited(policy string, retryAfter int) {
	s := c.s
	if retryAfter <= 0 {
		retryAfter = s.opts.RetryAfter429
	}
	if retryAfter > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	e := apiError{ErrorType: "RATE_LIMIT"}
	switch policy {
	case PolicyDaily:
		e.Message = "You have reached your daily limit."
		e.PolicyName = PolicyDaily
		e.RequestID = s.newCorrelationID()
	case PolicySecondly:
		e.Message = "You have reached your secondly limit."
	default:
		kind := "private_app"
		if c.tok != nil && c.tok.oauth {
			kind = "oauth"
		}
		e.Message = "You have reached your ten_secondly_rolling limit."
		e.PolicyName = PolicyTenSecondly
		e.GroupName = fmt.Sprintf("publicapi:%s-api-calls-ten-secondly:%d:%d", kind, s.opts.AppID, s.opts.HubID)
	}
	c.failWith(http.StatusTooManyRequests, e)
}
