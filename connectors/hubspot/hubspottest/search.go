package hubspottest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Search limits (§2.1).
const (
	maxFilterGroups     = 5
	maxFiltersPerGroup  = 6
	maxFiltersTotal     = 18
	defaultSearchLimit  = 10
	maxSearchLimit      = 200
	maxSearchResults    = 10_000
	maxQueryLength      = 3000
	searchCacheCapacity = 32
)

// searchRequest is PublicObjectSearchRequest as sent; limit and after are
// raw because clients send them as numbers or strings.
type searchRequest struct {
	FilterGroups []struct {
		Filters []filterIn `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []json.RawMessage `json:"sorts"`
	Query      string            `json:"query"`
	Properties []string          `json:"properties"`
	Limit      json.RawMessage   `json:"limit"`
	After      json.RawMessage   `json:"after"`
}

// cquery is a compiled search, minus paging.
type cquery struct {
	groups [][]*cfilter
	sort   *csort
	query  string
	// minID bounds the scan of a multi-group query by its hs_object_id
	// filters.
	minID int64
	// idFilters are the hs_object_id range filters of a single-group query,
	// applied to the cached matches of the rest: a keyset walk
	// (hs_object_id GT last) then reuses one scan for every page.
	idFilters []*cfilter
	// key identifies the query without idFilters.
	key string
}

// hit is one matching record as the index saw it.
type hit struct {
	id int64
	e  *entry
	v  *version
}

// searchCache keeps the ordered matches of recent queries, so paging through
// one query with offsets sorts once instead of once per page. Any write
// (gen) or a move of the lag cutoff invalidates it.
type searchCache struct {
	gen     uint64
	entries map[string][]hit
}

type searchResponse struct {
	Total   int          `json:"total"`
	Results []wireObject `json:"results"`
	Paging  *pagingJSON  `json:"paging,omitempty"`
}

// handleSearch serves POST …/{type}/search (§2.1).
func (s *Server) handleSearch(c *reqCtx) {
	var req searchRequest
	if !c.decodeJSON(&req) {
		return
	}
	limit, msg := intField(req.Limit, "limit", defaultSearchLimit)
	if msg == "" && (limit < 1 || limit > maxSearchLimit) {
		msg = "limit must be between 1 and " + strconv.Itoa(maxSearchLimit) + ", got " + strconv.Itoa(limit)
	}
	if msg != "" {
		c.validation("%s", msg)
		return
	}
	offset, msg := intField(req.After, "after", 0)
	if msg == "" && offset < 0 {
		msg = "after must not be negative"
	}
	if msg != "" {
		c.validation("%s", msg)
		return
	}
	if offset >= maxSearchResults {
		// Body unverified (§10); HubSpot answers 400 for paging past 10,000.
		c.validation("Search results are limited to %d; after=%d is past the last reachable result. Narrow the filters instead of paging further.", maxSearchResults, offset)
		return
	}
	if len(req.Query) > maxQueryLength {
		c.validation("query is %d characters long; the maximum is %d", len(req.Query), maxQueryLength)
		return
	}
	if msg := checkFilterCounts(&req); msg != "" {
		c.validation("%s", msg)
		return
	}

	resp := searchResponse{Results: []wireObject{}}
	s.locked(func() {
		t := s.tables[c.m.meta.plural]
		var q *cquery
		if q, msg = compileQuery(t, &req); msg != "" {
			return
		}
		var page []hit
		resp.Total, page = s.searchPage(t, q, offset, limit)
		names := withDefaults(t.meta, req.Properties)
		for _, h := range page {
			resp.Results = append(resp.Results, t.wire(h.e, h.v, names))
		}
	})
	if msg != "" {
		c.validation("%s", msg)
		return
	}
	if next := offset + len(resp.Results); next < resp.Total && len(resp.Results) > 0 {
		resp.Paging = &pagingJSON{Next: pagingNextJSON{After: strconv.Itoa(next)}}
	}
	c.writeJSON(http.StatusOK, resp)
}

// intField reads a number sent as a JSON number or a digit string.
func intField(raw json.RawMessage, name string, def int) (int, string) {
	v, ok := scalar(raw)
	if !ok {
		if t := bytes.TrimSpace(raw); len(t) > 0 && string(t) != "null" {
			return 0, name + " must be a number"
		}
		return def, ""
	}
	if v == "" {
		return def, ""
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, name + " must be an integer, got " + strconv.Quote(v)
	}
	return n, ""
}

// checkFilterCounts enforces ≤5 groups, ≤6 filters per group, ≤18 in total.
func checkFilterCounts(req *searchRequest) string {
	if n := len(req.FilterGroups); n > maxFilterGroups {
		return "Too many filter groups: " + strconv.Itoa(n) + ". The maximum is " + strconv.Itoa(maxFilterGroups) + "."
	}
	total := 0
	for _, g := range req.FilterGroups {
		if n := len(g.Filters); n > maxFiltersPerGroup {
			return "Too many filters in a filter group: " + strconv.Itoa(n) + ". The maximum is " + strconv.Itoa(maxFiltersPerGroup) + "."
		}
		total += len(g.Filters)
	}
	if total > maxFiltersTotal {
		return "Too many filters: " + strconv.Itoa(total) + ". The maximum across all filter groups is " + strconv.Itoa(maxFiltersTotal) + "."
	}
	return ""
}

// compileQuery compiles filters, the sort and the free-text query.
func compileQuery(t *table, req *searchRequest) (*cquery, string) {
	q := &cquery{query: strings.ToLower(strings.TrimSpace(req.Query))}
	bounded := len(req.FilterGroups) > 0
	var lb int64 = -1
	var key strings.Builder
	for _, g := range req.FilterGroups {
		var group []*cfilter
		key.WriteString("(")
		for _, fin := range g.Filters {
			f, msg := compileFilter(t, fin)
			if msg != "" {
				return nil, msg
			}
			if len(req.FilterGroups) == 1 && f.isIDRange() {
				q.idFilters = append(q.idFilters, f)
				continue
			}
			group = append(group, f)
			key.WriteString(f.key())
		}
		key.WriteString(")")
		q.groups = append(q.groups, group)
		b := idLowerBound(group)
		if b == 0 {
			bounded = false
		}
		if lb < 0 || b < lb {
			lb = b
		}
	}
	if bounded {
		q.minID = lb
	}
	if len(req.Sorts) > 0 {
		// Only one sort rule is applied (§2.1); the rest are ignored.
		srt, msg := parseSort(t, req.Sorts[0])
		if msg != "" {
			return nil, msg
		}
		q.sort = srt
	}
	if len(q.idFilters) > 0 {
		q.minID = 0
	}
	if q.sort != nil {
		fmt.Fprintf(&key, " sort %q %t", q.sort.prop, q.sort.desc)
	}
	fmt.Fprintf(&key, " query %q", q.query)
	q.key = key.String()
	return q, ""
}

// searchPage returns the total and one page of q's matches, stopping at the
// 10,000-result cap; s.mu is held.
func (s *Server) searchPage(t *table, q *cquery, offset, limit int) (int, []hit) {
	base := s.searchHits(t, q)
	end := min(offset+limit, maxSearchResults)
	window := func(hits []hit) []hit {
		if offset >= len(hits) {
			return nil
		}
		return hits[offset:min(end, len(hits))]
	}
	if len(q.idFilters) == 0 {
		return len(base), window(base)
	}
	if q.sort != nil && q.sort.virt == virtID && !q.sort.desc && lowerBoundsOnly(q.idFilters) {
		// Keyset fast path: matches are in ID order, so the remaining ones
		// are a suffix.
		lb := idLowerBound(q.idFilters)
		i, _ := slices.BinarySearchFunc(base, lb, func(h hit, id int64) int { return cmpInt(h.id, id) })
		return len(base) - i, window(base[i:])
	}
	var page []hit
	total := 0
	for _, h := range base {
		if !idMatches(q.idFilters, h.id) {
			continue
		}
		if total >= offset && total < end {
			page = append(page, h)
		}
		total++
	}
	return total, page
}

func lowerBoundsOnly(fs []*cfilter) bool {
	for _, f := range fs {
		if f.op != "GT" && f.op != "GTE" {
			return false
		}
	}
	return true
}

func idMatches(fs []*cfilter, id int64) bool {
	for _, f := range fs {
		if !f.matchNum(float64(id), true) {
			return false
		}
	}
	return true
}

// searchHits returns the ordered matches of q (idFilters aside), from the
// cache when the store and the lag cutoff are unchanged; s.mu is held.
func (s *Server) searchHits(t *table, q *cquery) []hit {
	lagging := s.opts.SearchLag > 0
	cutoff := s.clock.Now().Add(-s.opts.SearchLag)
	key := q.key
	if lagging {
		key += "@" + cutoff.Format(time.RFC3339Nano)
	}
	if t.cache.entries == nil || t.cache.gen != t.gen || len(t.cache.entries) >= searchCacheCapacity {
		t.cache = searchCache{gen: t.gen, entries: map[string][]hit{}}
	}
	if h, ok := t.cache.entries[key]; ok {
		return h
	}
	var hits []hit
	for _, e := range t.sortedEntries()[t.from(q.minID):] {
		if e.gone() {
			continue
		}
		v := e.searchView(cutoff, lagging)
		if v == nil || v.archived || !s.matches(t, q, e, v) {
			continue
		}
		hits = append(hits, hit{e.id, e, v})
	}
	sortHits(t, q.sort, hits)
	t.cache.entries[key] = hits
	return hits
}

// matches applies OR across groups, AND within a group, and the query.
func (s *Server) matches(t *table, q *cquery, e *entry, v *version) bool {
	if q.query != "" && !queryMatches(t, q.query, e, v) {
		return false
	}
	if len(q.groups) == 0 {
		return true
	}
	for _, g := range q.groups {
		ok := true
		for _, f := range g {
			if !f.match(s, t, e, v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// queryMatches is the free-text search: a case-insensitive substring of a
// default searchable property.
func queryMatches(t *table, q string, e *entry, v *version) bool {
	for _, p := range t.meta.searchable {
		if val, ok := v.props[p]; ok && strings.Contains(strings.ToLower(val.s), q) {
			return true
		}
	}
	return false
}
