package hubspottest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Read limits (§2.3, §2.4).
const (
	defaultListLimit   = 10
	maxListLimit       = 100
	maxHistoryLimit    = 50
	maxBatchReadInputs = 100
)

// queryInt reads an integer query parameter.
func queryInt(q url.Values, name string, def int) (int, string) {
	v := q.Get(name)
	if v == "" {
		return def, ""
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Sprintf("%s must be an integer, got %q", name, v)
	}
	return n, ""
}

// queryList reads a parameter given comma-separated, repeated, or both.
func queryList(q url.Values, name string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// queryArchived reads archived=true|false (default false).
func queryArchived(q url.Values) (bool, string) {
	switch v := q.Get("archived"); v {
	case "", "false":
		return false, ""
	case "true":
		return true, ""
	default:
		return false, fmt.Sprintf("archived must be true or false, got %q", v)
	}
}

// assocTypes resolves the associations parameter; unknown types are ignored
// as HubSpot does.
func assocTypes(q url.Values) []*objectMeta {
	var out []*objectMeta
	for _, n := range queryList(q, "associations") {
		if m := lookupType(n); m != nil {
			out = append(out, m)
		}
	}
	return out
}

type listResponse struct {
	Results []wireObject `json:"results"`
	Paging  *pagingJSON  `json:"paging,omitempty"`
}

// handleList serves GET …/{type}: a full scan in ID order with an opaque
// after cursor (the next record's ID), no total, no filters (§2.3). limit
// above 100 (50 with propertiesWithHistory) is rejected, the stricter reading
// of an open question (§10). archived=true lists only archived records.
func (s *Server) handleList(c *reqCtx) {
	q := c.r.URL.Query()
	history := queryList(q, "propertiesWithHistory")
	maxLimit := maxListLimit
	if len(history) > 0 {
		maxLimit = maxHistoryLimit
	}
	limit, msg := queryInt(q, "limit", defaultListLimit)
	if msg == "" && (limit < 1 || limit > maxLimit) {
		msg = fmt.Sprintf("limit must be between 1 and %d, got %d", maxLimit, limit)
	}
	archived, amsg := queryArchived(q)
	if msg == "" {
		msg = amsg
	}
	var after int64
	if a := q.Get("after"); a != "" && msg == "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			msg = fmt.Sprintf("Invalid after cursor %q", a)
		}
		after = n
	}
	if msg != "" {
		c.validation("%s", msg)
		return
	}
	names := withDefaults(c.m.meta, queryList(q, "properties"))
	toTypes := assocTypes(q)

	resp := listResponse{Results: []wireObject{}}
	s.locked(func() {
		t := s.tables[c.m.meta.plural]
		order := t.sortedEntries()
		for _, e := range order[t.from(after):] {
			if e.gone() || e.cur.archived != archived {
				continue
			}
			if len(resp.Results) == limit {
				next := strconv.FormatInt(e.id, 10)
				link := fmt.Sprintf("%s%s?after=%s", s.URL(), c.r.URL.Path, next)
				resp.Paging = &pagingJSON{Next: pagingNextJSON{After: next, Link: link}}
				return
			}
			o := t.wire(e, e.cur, names)
			t.withHistory(&o, e, e.cur, history)
			o.Associations = s.inlineAssociations(t, e, toTypes)
			resp.Results = append(resp.Results, o)
		}
	})
	c.writeJSON(http.StatusOK, resp)
}

// resolve finds a record by ID or by a unique property (idProperty); the
// string is a 400 message for a non-unique idProperty. s.mu is held.
func (s *Server) resolve(t *table, id, idProperty string) (*entry, string) {
	if idProperty == "" || idProperty == "hs_object_id" {
		return t.lookupString(id), ""
	}
	def := t.props[idProperty]
	unique := def != nil && (def.HasUniqueValue || (t.meta.plural == Contacts && idProperty == "email"))
	if !unique {
		return nil, fmt.Sprintf("Unable to perform update/upsert by non-unique %s property %s in portal ID %d", t.meta.typeID, idProperty, s.opts.HubID)
	}
	for _, e := range t.sortedEntries() {
		if e.gone() {
			continue
		}
		if v, ok := e.cur.props[idProperty]; ok && v.isSet() && strings.EqualFold(v.s, id) {
			return e, ""
		}
	}
	return nil, ""
}

// handleGet serves GET …/{type}/{id}; unknown IDs get 404 "resource not
// found" without a category, as observed (§2.4).
func (s *Server) handleGet(c *reqCtx) {
	q := c.r.URL.Query()
	archived, msg := queryArchived(q)
	if msg != "" {
		c.validation("%s", msg)
		return
	}
	names := withDefaults(c.m.meta, queryList(q, "properties"))
	var o wireObject
	var found bool
	s.locked(func() {
		t := s.tables[c.m.meta.plural]
		var e *entry
		e, msg = s.resolve(t, c.m.id, q.Get("idProperty"))
		if found = e != nil && e.cur.archived == archived; found {
			o = t.wire(e, e.cur, names)
			t.withHistory(&o, e, e.cur, queryList(q, "propertiesWithHistory"))
			o.Associations = s.inlineAssociations(t, e, assocTypes(q))
		}
	})
	switch {
	case msg != "":
		c.validation("%s", msg)
	case !found:
		c.fail(http.StatusNotFound, "", "resource not found")
	default:
		c.writeJSON(http.StatusOK, o)
	}
}

// handleBatchRead serves POST …/{type}/batch/read: ≤100 inputs (50 with
// propertiesWithHistory), 207 OBJECT_NOT_FOUND listing missing IDs, results
// in no particular order (§2.4).
func (s *Server) handleBatchRead(c *reqCtx) {
	var req struct {
		Inputs []struct {
			ID json.RawMessage `json:"id"`
		} `json:"inputs"`
		Properties            []string `json:"properties"`
		PropertiesWithHistory []string `json:"propertiesWithHistory"`
		IDProperty            string   `json:"idProperty"`
	}
	archived, msg := queryArchived(c.r.URL.Query())
	if msg != "" {
		c.validation("%s", msg)
		return
	}
	if !c.decodeJSON(&req) {
		return
	}
	if req.Inputs == nil {
		c.validation("Invalid input JSON: Cannot build BatchReadInputSimplePublicObjectId, some of required attributes are not set [inputs]")
		return
	}
	limit := maxBatchReadInputs
	if len(req.PropertiesWithHistory) > 0 {
		limit = maxHistoryLimit
	}
	if len(req.Inputs) > limit {
		c.validation("The maximum number of inputs supported in a batch request is %d, got %d. Please reduce the number of items and try again", limit, len(req.Inputs))
		return
	}
	started := s.clock.Now()
	names := withDefaults(c.m.meta, req.Properties)
	var results []wireObject
	var missing []string
	s.locked(func() {
		t := s.tables[c.m.meta.plural]
		seen := map[string]bool{}
		for _, in := range req.Inputs {
			id, ok := scalar(in.ID)
			if !ok {
				msg = "Invalid input JSON: Cannot build SimplePublicObjectId, some of required attributes are not set [id]"
				return
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			var e *entry
			if e, msg = s.resolve(t, id, req.IDProperty); msg != "" {
				return
			}
			if e == nil || e.cur.archived != archived {
				missing = append(missing, id)
				continue
			}
			o := t.wire(e, e.cur, names)
			t.withHistory(&o, e, e.cur, req.PropertiesWithHistory)
			results = append(results, o)
		}
		unordered(s, results)
	})
	if msg != "" {
		c.validation("%s", msg)
		return
	}
	var errs []batchError
	if len(missing) > 0 {
		errs = append(errs, notFoundError(c.m.meta, missing, nil))
	}
	writeBatch(c, results, errs, started, s.clock.Now())
}

// notFoundError is the OBJECT_NOT_FOUND entry of batch 207s.
func notFoundError(m *objectMeta, ids, traceIDs []string) batchError {
	ctx := map[string][]string{"ids": ids}
	if len(traceIDs) > 0 {
		ctx["objectWriteTraceId"] = traceIDs
	}
	return batchError{Status: "error", Category: "OBJECT_NOT_FOUND",
		Message: fmt.Sprintf("Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", m.upper()),
		Context: ctx}
}
