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
	if q.subquery {
		c.failQuery(http.StatusBadRequest, malformed(text, 0, "salesforcetest does not serve parent-to-child subqueries"))
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
	if q.count {
		c.writeJSON(http.StatusOK, map[string]any{"totalSize": len(rows), "done": true, "records": []any{}})
		return
	}
	rendered := make([]json.RawMessage, len(rows))
	for i, r := range rows {
		rendered[i] = s.renderJSON(r, q.fields, c.m.versionText)
	}
	loc := &locator{session: c.sess.Seq, rows: rendered, batch: s.batchSize(c, q),
		lastUsed: s.clock.Now(), version: c.m.versionText}
	s.page(c, loc, 0)
}

// page writes rows [off, off+batch) of loc; it registers loc when a next
// page remains. Called with s.mu held.
func (s *Server) page(c *reqCtx, loc *locator, off int) {
	end := min(off+loc.batch, len(loc.rows))
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

// renderJSON writes one record in the order selected (§2.2): attributes
// first, then each field; parent fields nest under their relationship with
// their own attributes, or the relationship is null.
func (s *Server) renderJSON(r *record, fields []path, version string) json.RawMessage {
	var b bytes.Buffer
	attrs := func(obj *objectDef, id string) {
		fmt.Fprintf(&b, `"attributes":{"type":%q,"url":"/services/data/v%s/sobjects/%s/%s"}`, obj.name, version, obj.name, id)
	}
	b.WriteByte('{')
	attrs(r.obj, r.id)
	done := map[string]bool{}
	for _, p := range fields {
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
