package salesforcetest

import (
	"net/http"
	"strings"
	"time"
)

// Replication windows (§2.9): deletions for 15 days, updates for 30.
const (
	deletedSpan = 15 * 24 * time.Hour
	updatedSpan = 30 * 24 * time.Hour
	maxReplIDs  = 600_000
)

// handleReplication serves GET /sobjects/{type}/deleted/ and /updated/
// (§2.9): minute granularity, start before end, windows of 15 and 30 days,
// at most 600,000 ids.
func (s *Server) handleReplication(c *reqCtx) {
	obj := s.schema[strings.ToLower(c.m.typeName)]
	if obj == nil {
		c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	q := c.r.URL.Query()
	parse := func(name string) (time.Time, bool) {
		t, err := time.Parse(time.RFC3339, q.Get(name))
		if err != nil {
			c.fail(http.StatusBadRequest, "INVALID_REPLICATION_DATE", name+": a date in ISO 8601 format with a zone is required")
			return t, false
		}
		return t.UTC().Truncate(time.Minute), true
	}
	start, ok := parse("start")
	if !ok {
		return
	}
	end, ok := parse("end")
	if !ok {
		return
	}
	if !start.Before(end) {
		c.fail(http.StatusBadRequest, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate by more than one minute")
		return
	}
	now := s.clock.Now()
	span := updatedSpan
	if c.m.leaf == "deleted" {
		span = deletedSpan
	}
	earliest := now.Add(-span).Truncate(time.Minute)
	latest := end
	if n := now.Truncate(time.Minute); n.Before(latest) {
		latest = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.m.leaf == "deleted" {
		if start.Before(earliest) {
			// Salesforce may answer with what it still has; refusing is the
			// strict reading: the caller must resync in full (§2.9).
			c.fail(http.StatusBadRequest, "INVALID_REPLICATION_DATE", "startDate cannot be before earliestDateAvailable "+earliest.Format(JSONTime))
			return
		}
		out := []map[string]string{}
		for _, r := range s.st.byObj[obj.name] {
			if r.deleted() && !r.deletedAt.IsZero() && !r.deletedAt.Before(start) && r.deletedAt.Before(latest) {
				out = append(out, map[string]string{"id": r.id, "deletedDate": r.deletedAt.Format(JSONTime)})
			}
		}
		if len(out) > maxReplIDs {
			c.fail(http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "too many ids: narrow the date range")
			return
		}
		c.writeJSON(http.StatusOK, map[string]any{"deletedRecords": out,
			"earliestDateAvailable": earliest.Format(JSONTime), "latestDateCovered": latest.Format(JSONTime)})
		return
	}
	if start.Before(earliest) {
		c.fail(http.StatusBadRequest, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago")
		return
	}
	ids := []string{}
	for _, r := range s.st.byObj[obj.name] {
		t, _ := r.vals["SystemModstamp"].(time.Time)
		if !r.deleted() && !now.Before(r.visibleAt) && !t.Before(start) && t.Before(latest) {
			ids = append(ids, r.id)
		}
	}
	if len(ids) > maxReplIDs {
		c.fail(http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "too many ids: narrow the date range")
		return
	}
	c.writeJSON(http.StatusOK, map[string]any{"ids": ids, "latestDateCovered": latest.Format(JSONTime)})
}
