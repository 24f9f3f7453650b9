package hubspot

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// quota tracks the account's daily budget: what HubSpot last reported left
// (X-HubSpot-RateLimit-Daily-Remaining, sent for private-app calls) and the
// calls this connector made since the last reset.
type quota struct {
	now   func() time.Time
	loc   *time.Location
	limit int64

	mu        sync.Mutex
	resetAt   time.Time // end of the day the counters below belong to
	used      int64
	remaining int64
	known     bool
}

// roll starts a new day's count once the reset has passed. Caller holds q.mu.
func (q *quota) roll(now time.Time) {
	if !now.Before(q.resetAt) {
		q.resetAt = nextDailyReset(now, q.loc)
		q.used, q.known = 0, false
	}
}

// admit books one call, or refuses it with QuotaExhausted (until the
// reset) when HubSpot said nothing is left today or when this connector
// alone has made limits.daily calls: stopping cleanly costs nothing, while
// DAILY 429s count against the marketplace's 5% rule.
func (q *quota) admit() error {
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(now)
	if (q.known && q.remaining <= 0) || q.used >= q.limit {
		return &crmerr.Error{Class: crmerr.QuotaExhausted, Code: policyDaily, ResetAt: q.resetAt,
			Message: "HubSpot's daily API limit is used up (limits.daily)"}
	}
	q.used++
	return nil
}

// observe is the client's OnResponse hook.
func (q *quota) observe(_ int, h http.Header) {
	v := h.Get("X-HubSpot-RateLimit-Daily-Remaining")
	if v == "" {
		return
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return
	}
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(now)
	q.remaining, q.known = n, true
}

// remainingToday is what HubSpot last reported left today, if it did.
func (q *quota) remainingToday() (int64, bool) {
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(now)
	return q.remaining, q.known
}

// usage is today's calls and the daily budget.
func (q *quota) usage() (used, limit int64) {
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.roll(now)
	used = q.used
	if q.known && q.limit-q.remaining > used {
		used = q.limit - q.remaining
	}
	return used, q.limit
}

// guard is the base transport under the client: it asks quota before each
// attempt reaches the network.
type guard struct {
	base http.RoundTripper
	q    *quota
}

// RoundTrip refuses the attempt with QuotaExhausted once the day's budget
// is spent, before it costs a call.
func (g guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.q.admit(); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return g.base.RoundTrip(req)
}
