package vtenext

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// wallLayout is how vtenext writes datetimes: server wall time (§4.4).
const wallLayout = "2006-01-02 15:04:05"

// dateLayouts maps the API user's date formats to Go layouts.
var dateLayouts = map[string]string{"dd-mm-yyyy": "02-01-2006", "mm-dd-yyyy": "01-02-2006", "yyyy-mm-dd": "2006-01-02"}

// SkipBadRate counts documents whose conversion_rate is not a positive decimal.
const SkipBadRate rfm.Skip = "bad_conversion_rate"

// sourceDef is what a source reads from its module.
type sourceDef struct {
	module, status, amount string
	rate                   bool // amount ÷ conversion_rate is the base-currency value
	credit                 bool // a "Credit Invoice" status is a refund
}

var sourceDefs = map[string]sourceDef{
	SourceSalesOrder: {module: "SalesOrder", status: "sostatus", amount: "hdnGrandTotal", rate: true},
	SourceInvoice:    {module: "Invoice", status: "invoicestatus", amount: "hdnGrandTotal", rate: true, credit: true},
	// Potentials have no currency of their own: amount is base currency.
	SourcePotentials: {module: "Potentials", status: "sales_stage", amount: "amount"},
}

// cursor is a source's keyset position: the last row's raw modifiedtime
// and id, the end of the window it was read in, and the last autumn DST
// change already re-read.
type cursor struct {
	T    string `json:"t,omitempty"`
	ID   string `json:"id,omitempty"`
	W    int64  `json:"w,omitempty"`
	Fold int64  `json:"fold,omitempty"`
}

// ReadPage implements connector.Reader: one keyset query
//
//	WHERE modifiedtime > 'T' AND modifiedtime <= 'U' OR modifiedtime = 'T' AND id > 'ID'
//	ORDER BY modifiedtime, id LIMIT n;
//
// relying on AND binding tighter than OR (§4.3), with U the server wall
// time query_lag before now. Every query carries an explicit LIMIT, since
// without one vtenext silently stops at 1,000 rows. Won-ness is judged
// here, so a record that leaves a counting status is seen and removed.
func (c *Connector) ReadPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	def, ok := sourceDefs[req.Source]
	if !ok {
		return connector.Page{}, &crmerr.Error{Class: crmerr.Validation, Message: "unknown source " + req.Source}
	}
	if err := c.prepare(ctx, req.Source); err != nil {
		return connector.Page{}, err
	}
	var cur cursor
	if len(req.Cursor) > 0 {
		if err := json.Unmarshal(req.Cursor, &cur); err != nil {
			return connector.Page{}, fmt.Errorf("%s cursor: %w", req.Source, err)
		}
	}
	now := req.Now
	if now.IsZero() {
		now = c.now()
	}
	end := now.Add(-c.o.QueryLag)
	c.rewind(&cur, end)
	upper := quote(end.In(c.loc).Format(wallLayout))
	var where string
	switch {
	case cur.T == "":
		where = "modifiedtime <= " + upper
	case cur.ID == "":
		where = "modifiedtime >= " + quote(cur.T) + " AND modifiedtime <= " + upper
	default:
		where = "modifiedtime > " + quote(cur.T) + " AND modifiedtime <= " + upper +
			" OR modifiedtime = " + quote(cur.T) + " AND id > " + quote(cur.ID)
	}
	q := fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY modifiedtime, id LIMIT %d;",
		strings.Join(c.selectList(req.Source), ", "), def.module, where, c.o.PageSize)
	var rows []map[string]string
	if err := c.call(ctx, opQuery, url.Values{"query": {q}}, false, &rows); err != nil {
		return connector.Page{}, fmt.Errorf("read %s: %w", req.Source, err)
	}
	if err := checkRows(rows, c.o.PageSize, nil); err != nil {
		return connector.Page{}, fmt.Errorf("read %s: %w", req.Source, err)
	}
	if err := inWindow(rows, cur, end.In(c.loc).Format(wallLayout)); err != nil {
		return connector.Page{}, fmt.Errorf("read %s: %w", req.Source, err)
	}
	// Only an empty page ends the pull: a row that fails vtenext's
	// per-record permission check after the LIMIT makes a page short
	// without being the last (§4.3).
	// Rows read again after a DST rewind reach core, which absorbs them
	// as unchanged; a row repeated within a page was refused by inWindow.
	page := connector.Page{Done: len(rows) == 0, Records: make([]connector.Record, 0, len(rows))}
	for _, row := range rows {
		page.Records = append(page.Records, c.record(req.Source, row))
	}
	if n := len(rows); n > 0 {
		cur.T, cur.ID = rows[n-1]["modifiedtime"], rows[n-1]["id"]
	}
	cur.W = end.Unix()
	b, err := json.Marshal(cur)
	if err != nil {
		return connector.Page{}, err
	}
	page.Cursor = b
	return page, nil
}

// rewind moves the cursor back before an autumn DST change whose repeated
// hour the previous window did not see to its end: records saved in the
// second pass of the hour get wall times below those saved in the first,
// which the cursor may already have passed (§4.6). Rows read again are
// absorbed by core (changes are absolute).
func (c *Connector) rewind(cur *cursor, end time.Time) {
	if cur.T == "" || cur.W == 0 {
		return
	}
	prev := time.Unix(cur.W, 0)
	for _, f := range folds(c.loc, prev.Add(-3*time.Hour), end) {
		if f.at.Unix() <= cur.Fold || !prev.Before(f.at.Add(f.repeat)) {
			continue
		}
		start := f.at.In(c.loc).Format(wallLayout) // the repeated range's first wall second
		if start <= cur.T {
			cur.T, cur.ID = start, ""
		}
		cur.Fold = f.at.Unix()
	}
}

// fold is a change to a smaller UTC offset: wall times of the repeat
// before it come again after it.
type fold struct {
	at     time.Time
	repeat time.Duration
}

// folds finds the offset decreases of loc in (from, to].
func folds(loc *time.Location, from, to time.Time) []fold {
	var out []fold
	const step = 30 * time.Minute
	for t := from; t.Before(to); t = t.Add(step) {
		next := t.Add(step)
		_, a := t.In(loc).Zone()
		_, b := next.In(loc).Zone()
		if b >= a {
			continue
		}
		lo, hi := t, next // offset a at lo, b at hi
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
			if _, o := mid.In(loc).Zone(); o == a {
				lo = mid
			} else {
				hi = mid
			}
		}
		if hi.After(from) && !hi.After(to) {
			out = append(out, fold{at: hi, repeat: time.Duration(a-b) * time.Second})
		}
	}
	return out
}

// selectList is a source's short select list (the query travels in the URL).
func (c *Connector) selectList(source string) []string {
	def, so := sourceDefs[source], c.o.source(source)
	fields := []string{def.status, def.amount}
	if def.rate {
		fields = append(fields, "conversion_rate")
	}
	fields = append(fields, so.CustomerFields...)
	if source == SourcePotentials {
		fields = append(fields, "eff_closingdate", "closingdate")
	} else {
		fields = append(fields, so.DateField)
	}
	fields = append(fields, "modifiedtime")
	var out []string
	for _, f := range fields {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// record turns a row into a connector record; its values stay raw text
// except what only the connector can convert (local dates and times, the
// document's conversion rate).
func (c *Connector) record(source string, row map[string]string) connector.Record {
	def, so := sourceDefs[source], c.o.source(source)
	rec := connector.Record{OrderID: row["id"], Status: "not_won"}
	status := row[def.status]
	if slices.Contains(so.Statuses, status) {
		rec.Status = "won"
	}
	rec.Customer = connector.CustomerKey{Type: c.o.Object, ID: c.customer(so, row)}
	dateField := so.DateField
	if source == SourcePotentials {
		dateField = "closingdate"
		if row["eff_closingdate"] != "" {
			dateField = "eff_closingdate"
		}
	}
	at, ok := c.instant(source, dateField, row[dateField])
	if !ok {
		rec.Problem = string(rfm.SkipBadClosedAt)
	}
	rec.ClosedAt = at
	rec.Amount = row[def.amount]
	if def.rate {
		m, err := rfm.ParseAmount(strings.TrimSpace(row[def.amount]))
		if err != nil {
			return rec // core counts it as bad_amount
		}
		conv, err := rfm.ConvertRate(m, row["conversion_rate"], rfm.Divide)
		if err != nil {
			rec.Problem = string(SkipBadRate)
			return rec
		}
		if def.credit && status == "Credit Invoice" && conv.Sign() > 0 {
			conv = conv.Neg()
		}
		rec.Amount = conv.String()
	}
	return rec
}

// customer is the first customer field naming a record of the object.
func (c *Connector) customer(so SourceOptions, row map[string]string) string {
	want := c.prefix(c.o.Object)
	for _, f := range so.CustomerFields {
		v := row[f]
		if p, _, ok := strings.Cut(v, "x"); ok && p == want {
			return v
		}
	}
	return ""
}

// instant converts a date (user format, the day at 00:00 UTC as the
// scoring contract reads dates) or a datetime (server wall time) to the
// form core parses.
func (c *Connector) instant(source, field, v string) (string, bool) {
	if v == "" {
		return "", false
	}
	if c.fieldType(sourceDefs[source].module, field) == "date" {
		t, err := time.Parse(dateLayouts[c.o.DateFormat], v)
		if err != nil {
			return v, false
		}
		return t.Format("2006-01-02"), true
	}
	i, err := rfm.ParseLocal(wallLayout, v, c.loc)
	if err != nil {
		return v, false
	}
	return i.Time().Format(time.RFC3339), true
}

// RereadOrders implements connector.OrderRereader: one query
// SELECT … WHERE id IN (…) per batch. query never returns deleted
// records, so an id missing from the answer is deleted; a restored record
// comes back with a fresh modifiedtime and is pulled again anyway.
func (c *Connector) RereadOrders(ctx context.Context, source string, ids []string) ([]connector.Record, error) {
	def, ok := sourceDefs[source]
	if !ok {
		return nil, &crmerr.Error{Class: crmerr.Validation, Message: "unknown source " + source}
	}
	if err := c.prepare(ctx, source); err != nil {
		return nil, err
	}
	var out []connector.Record
	for chunk := range slices.Chunk(ids, c.o.PageSize) {
		in := make([]string, len(chunk))
		for i, id := range chunk {
			in[i] = quote(id)
		}
		q := fmt.Sprintf("SELECT %s FROM %s WHERE id IN (%s) LIMIT %d;", strings.Join(c.selectList(source), ", "),
			def.module, strings.Join(in, ", "), len(chunk))
		var rows []map[string]string
		if err := c.call(ctx, opQuery, url.Values{"query": {q}}, false, &rows); err != nil {
			return nil, fmt.Errorf("re-read %s: %w", source, err)
		}
		if err := checkRows(rows, len(chunk), chunk); err != nil {
			return nil, fmt.Errorf("re-read %s: %w", source, err)
		}
		for _, row := range rows {
			out = append(out, c.record(source, row))
		}
	}
	return out, nil
}

// checkRows refuses an answer that cannot be one: more rows than the LIMIT
// asked for, a row without its id (query always adds it) or without the
// modifiedtime selected, or, for a query by ids, a row not asked for.
func checkRows(rows []map[string]string, limit int, ids []string) error {
	bad := func(why string) error {
		return &crmerr.Error{Class: crmerr.Permanent, Message: "vtenext answered a query with " + why}
	}
	if len(rows) > limit {
		return bad(fmt.Sprintf("%d rows for LIMIT %d", len(rows), limit))
	}
	for _, r := range rows {
		if r["id"] == "" {
			return bad("a row without its id")
		}
		if _, ok := r["modifiedtime"]; !ok && ids == nil {
			return bad("a row without modifiedtime")
		}
		if ids != nil && !slices.Contains(ids, r["id"]) {
			return bad("a row it was not asked for (" + r["id"] + ")")
		}
	}
	return nil
}

// inWindow refuses rows the keyset query cannot have matched: at or
// before the cursor, past the window's end, or out of (modifiedtime, id)
// order. A server that ignored the WHERE would otherwise hand back pages
// already read, and the pull would loop on them.
func inWindow(rows []map[string]string, cur cursor, upper string) error {
	prevT, prevID := cur.T, crmid(cur.ID)
	for _, r := range rows {
		t, id := r["modifiedtime"], crmid(r["id"])
		after := cur.T == "" || t > prevT || t == prevT && id > prevID
		if !after || t > upper {
			return &crmerr.Error{Class: crmerr.Permanent, Message: fmt.Sprintf(
				"vtenext answered row %s (modifiedtime %s) outside the requested window after %s %s: the query's WHERE was not applied", r["id"], t, cur.T, cur.ID)}
		}
		prevT, prevID = t, id
	}
	return nil
}

// crmid is the number after the x of a webservice id (0 if none).
func crmid(wsid string) int64 {
	_, n, _ := strings.Cut(wsid, "x")
	v, _ := strconv.ParseInt(n, 10, 64)
	return v
}

// description is what describe says of a module.
type description struct {
	IDPrefix string `json:"idPrefix"`
	Fields   []struct {
		Name      string `json:"name"`
		Label     string `json:"label"`
		Mandatory bool   `json:"mandatory"`
		Editable  bool   `json:"editable"`
		Type      struct {
			Name           string `json:"name"`
			Format         string `json:"format"`
			PicklistValues []struct {
				Value string `json:"value"`
			} `json:"picklistValues"`
		} `json:"type"`
	} `json:"fields"`
}

func (c *Connector) describe(ctx context.Context, module string) (*description, error) {
	var d description
	if err := c.call(ctx, opDescribe, url.Values{"elementType": {module}}, false, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// prepare checks, once per connector, that a source's module has the
// fields the config names and that its dates use the configured format,
// and learns the object's id prefix: §3.3 says never hard-code prefixes.
func (c *Connector) prepare(ctx context.Context, source string) error {
	def := sourceDefs[source]
	c.mu.Lock()
	done := c.checked[def.module] && c.prefixes[c.o.Object] != ""
	c.mu.Unlock()
	if done {
		return nil
	}
	obj, err := c.describe(ctx, c.o.Object)
	if err != nil {
		return err
	}
	d, err := c.describe(ctx, def.module)
	if err != nil {
		return err
	}
	types := map[string]string{}
	for _, f := range d.Fields {
		types[f.Name] = f.Type.Name
		if f.Type.Name == "date" && f.Type.Format != "" && f.Type.Format != c.o.DateFormat {
			return &crmerr.Error{Class: crmerr.Validation, Message: fmt.Sprintf(
				"the API user's date format is %s, not %s: set %s to %s", f.Type.Format, c.o.DateFormat, c.o.key("date_format"), f.Type.Format)}
		}
	}
	so := c.o.source(source)
	need := slices.Clone(so.CustomerFields)
	if source != SourcePotentials {
		need = append(need, so.DateField)
		if t := types[so.DateField]; t != "" && t != "date" && t != "datetime" {
			return &crmerr.Error{Class: crmerr.Validation, Message: fmt.Sprintf("%s.%s is a %s field, not a date: fix %s", def.module, so.DateField, t, c.o.key(source+".date_field"))}
		}
	}
	for _, f := range append(need, c.selectList(source)...) {
		if _, ok := types[f]; !ok {
			return &crmerr.Error{Class: crmerr.Validation, Message: fmt.Sprintf("%s has no field %s visible to user %s: fix %s or the user's profile", def.module, f, c.o.Username, c.o.key(source))}
		}
	}
	c.mu.Lock()
	c.prefixes[c.o.Object] = obj.IDPrefix
	c.prefixes[def.module] = d.IDPrefix
	c.types(def.module, types)
	c.checked[def.module] = true
	c.mu.Unlock()
	return nil
}

// types caches a module's field types; the caller holds c.mu.
func (c *Connector) types(module string, t map[string]string) {
	if c.fieldTypes == nil {
		c.fieldTypes = map[string]map[string]string{}
	}
	c.fieldTypes[module] = t
}

func (c *Connector) fieldType(module, field string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fieldTypes[module][field]
}

func (c *Connector) prefix(module string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prefixes[module]
}
