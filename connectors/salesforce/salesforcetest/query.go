package salesforcetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// locator is an open query cursor (§2.4): a snapshot of the rendered rows,
// bound to the session that opened it.
type locator struct {
	id       string
	session  uint64
	rows     []json.RawMessage
	weights  []int // 1 + child rows: children count toward the batch (§2.3)
	batch    int
	lastUsed time.Time
	version  string
}

// batchSize reads Sforce-Query-Options: batchSize=N (200–2,000, default
// 2,000, §2.3), capped by Options.MaxBatchSize.
func (s *Server) batchSize(c *reqCtx, q *soql) int {
	n := 2000
	for _, part := range strings.Split(c.r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "batchSize") {
			if b, err := strconv.Atoi(v); err == nil {
				n = min(max(b, 200), 2000)
			}
		}
	}
	long := 0
	for _, f := range q.fields {
		if f.field.longText {
			long++
		}
	}
	if long >= 2 {
		n = min(n, 200)
	}
	return min(n, s.opts.MaxBatchSize)
}

func (s *Server) handleQuery(c *reqCtx, schema map[string]*objectDef) {
	text := c.r.URL.Query().Get("q")
	if strings.TrimSpace(text) == "" {
		c.fail(http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified")
		return
	}
	if len(text) > 100_000 {
		c.fail(http.StatusBadRequest, "MALFORMED_QUERY", "SOQL statements cannot be longer than 100,000 characters.")
		return
	}
	q, qerr := parseSOQL(text)
	if qerr != nil {
		c.failQuery(http.StatusBadRequest, qerr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, qerr := q.bind(schema)
	if qerr != nil {
		c.failQuery(http.StatusBadRequest, qerr)
		return
	}
	rows := s.st.run(obj, q, c.m.op == opQueryAll, s.clock.Now())
	if n := s.opts.QueryTimeoutAbove; n > 0 && len(rows) > n && !q.count {
		c.fail(http.StatusBadRequest, "QUERY_TIMEOUT", "Your query request was running for too long.")
		return
	}
	if q.count {
		c.writeJSON(http.StatusOK, map[string]any{"totalSize": len(rows), "done": true, "records": []any{}})
		return
	}
	all := c.m.op == opQueryAll
	rendered := make([]json.RawMessage, len(rows))
	weights := make([]int, len(rows))
	kids := s.childRows(q, all)
	for i, r := range rows {
		rendered[i], weights[i] = s.renderRow(r, q, kids, c.m.versionText)
	}
	loc := &locator{session: c.sess.Seq, rows: rendered, weights: weights, batch: s.batchSize(c, q),
		lastUsed: s.clock.Now(), version: c.m.versionText}
	s.page(c, loc, 0)
}

// page writes rows [off, off+batch) of loc; it registers loc when a next
// page remains. Called with s.mu held.
func (s *Server) page(c *reqCtx, loc *locator, off int) {
	batch := loc.batch
	if s.opts.RaggedPages {
		// A fixed pattern per offset, so a page read twice is the same.
		batch = max(1, batch-(off*7919)%max(1, batch/2))
	}
	end, used := off, 0
	for end < len(loc.rows) && (end == off || used+loc.weights[end] <= batch) {
		used += loc.weights[end]
		end++
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"totalSize":%d,"done":%t,`, len(loc.rows), end >= len(loc.rows))
	if end < len(loc.rows) {
		if loc.id == "" {
			s.locSeq++
			loc.id = to18(fmt.Sprintf("01g%012d", s.locSeq))
			s.locators[loc.id] = loc
		}
		fmt.Fprintf(&b, `"nextRecordsUrl":"/services/data/v%s/query/%s-%d",`, loc.version, loc.id, end)
	}
	b.WriteString(`"records":[`)
	for i, r := range loc.rows[off:end] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r)
	}
	b.WriteString("]}")
	c.send(http.StatusOK, "application/json;charset=UTF-8", b.Bytes())
}

// handleQueryMore serves a nextRecordsUrl. A locator of another session
// fails with INVALID_SESSION_ID for ever (§8.5); an idle or unknown one with
// INVALID_QUERY_LOCATOR (§2.4).
func (s *Server) handleQueryMore(c *reqCtx) {
	id, offText, ok := strings.Cut(c.m.id, "-")
	off, err := strconv.Atoi(offText)
	s.mu.Lock()
	defer s.mu.Unlock()
	loc := s.locators[id]
	now := s.clock.Now()
	if loc != nil && now.Sub(loc.lastUsed) > s.opts.LocatorTTL {
		delete(s.locators, id)
		loc = nil
	}
	if !ok || err != nil || loc == nil || off < 0 || off > len(loc.rows) {
		c.fail(http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	if loc.session != c.sess.Seq {
		c.fail(http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	loc.lastUsed = now
	s.page(c, loc, off)
}

// renderRow renders a row with its child subqueries: a nested
// {totalSize, done, records} or null when there are no children (§2.2).
// weight is the row plus its child rows.
func (s *Server) renderRow(r *record, q *soql, groups []map[string][]*record, version string) (json.RawMessage, int) {
	if len(q.children) == 0 {
		return s.renderJSON(r, q.fields, version, nil), 1
	}
	weight := 1
	kids := map[int]json.RawMessage{}
	for i, cq := range q.children {
		rows := groups[i][r.id]
		if len(rows) == 0 {
			kids[i] = json.RawMessage("null")
			continue
		}
		weight += len(rows)
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"totalSize":%d,"done":true,"records":[`, len(rows))
		for j, k := range rows {
			if j > 0 {
				b.WriteByte(',')
			}
			b.Write(s.renderJSON(k, cq.fields, version, nil))
		}
		b.WriteString("]}")
		kids[i] = b.Bytes()
	}
	return s.renderJSON(r, q.fields, version, func(b *bytes.Buffer, after int) {
		for _, it := range q.items {
			if it < 0 && childAfter(q.items, it) == after {
				fmt.Fprintf(b, ",%q:", q.children[-it-1].from)
				b.Write(kids[-it-1])
			}
		}
	}), weight
}

// childRows runs each child subquery once and groups its rows by parent
// id, so a page of parents costs one pass per subquery. Called with s.mu
// held.
func (s *Server) childRows(q *soql, all bool) []map[string][]*record {
	groups := make([]map[string][]*record, len(q.children))
	for i, cq := range q.children {
		groups[i] = map[string][]*record{}
		for _, k := range s.st.run(cq.childObj, cq, all, s.clock.Now()) {
			if pid, _ := k.vals[cq.childRef.name].(string); pid != "" {
				groups[i][pid] = append(groups[i][pid], k)
			}
		}
	}
	return groups
}

// childAfter is the index of the last field before a child in the SELECT
// list (-1 when the child comes first).
func childAfter(items []int, child int) int {
	last := -1
	for _, it := range items {
		if it == child {
			return last
		}
		if it >= 0 {
			last = it
		}
	}
	return last
}

// renderJSON writes one record in the order selected (§2.2): attributes
// first, then each field; parent fields nest under their relationship with
// their own attributes, or the relationship is null. children, when set,
// writes the subqueries that follow field index i (-1: before the first).
func (s *Server) renderJSON(r *record, fields []path, version string, children func(b *bytes.Buffer, after int)) json.RawMessage {
	var b bytes.Buffer
	attrs := func(obj *objectDef, id string) {
		fmt.Fprintf(&b, `"attributes":{"type":%q,"url":"/services/data/v%s/sobjects/%s/%s"}`, obj.name, version, obj.name, id)
	}
	b.WriteByte('{')
	attrs(r.obj, r.id)
	if children != nil {
		children(&b, -1)
	}
	done := map[string]bool{}
	for i, p := range fields {
		if children != nil && i > 0 {
			children(&b, i-1)
		}
		if p.rel == nil {
			if done[p.field.name] {
				continue
			}
			done[p.field.name] = true
			fmt.Fprintf(&b, ",%q:", p.field.name)
			b.Write(valueJSON(s.fieldValue(r, p.field)))
			continue
		}
		rel := p.rel.relName
		if done["rel:"+rel] {
			continue
		}
		done["rel:"+rel] = true
		fmt.Fprintf(&b, ",%q:", rel)
		pid, _ := r.vals[p.rel.name].(string)
		parent := s.st.byID[pid]
		if parent == nil {
			b.WriteString("null")
			continue
		}
		b.WriteByte('{')
		attrs(parent.obj, parent.id)
		seen := map[string]bool{}
		for _, q := range fields {
			if q.rel == nil || q.rel.relName != rel || seen[q.field.name] {
				continue
			}
			seen[q.field.name] = true
			fmt.Fprintf(&b, ",%q:", q.field.name)
			b.Write(valueJSON(s.fieldValue(parent, q.field)))
		}
		b.WriteByte('}')
	}
	if children != nil && len(fields) > 0 {
		children(&b, len(fields)-1)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// fieldValue reads a field, composing compound fields.
func (s *Server) fieldValue(r *record, f *fieldDef) any {
	if f.typ == typeAddress {
		city := r.vals["BillingCity"]
		if city == nil {
			return nil
		}
		return map[string]any{"city": city, "country": nil, "postalCode": nil, "state": nil, "street": nil}
	}
	return r.vals[f.name]
}

func valueJSON(v any) []byte {
	b, err := json.Marshal(formatJSON(v))
	if err != nil {
		panic(fmt.Sprintf("salesforcetest: encode %T: %v", v, err))
	}
	return b
}
