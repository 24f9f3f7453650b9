package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// Layouts: SOQL datetime literals are unquoted and take the Z form (a
// literal + would need %2B, §2.5); JSON datetimes carry +0000 (§0).
const (
	soqlTime = "2006-01-02T15:04:05Z"
	jsonTime = "2006-01-02T15:04:05.000-0700"
)

// cursor is a source's position: the (SystemModstamp, Id) keyset of the
// last row delivered, and while a window is open its end and the
// nextRecordsUrl of its next page. The keyset, never the locator, is the
// truth: a locator dies with its session (§1.6) or expires (§2.4), and the
// query is then run again from the keyset inside the same window.
type cursor struct {
	TS   string `json:"ts,omitempty"`
	ID   string `json:"id,omitempty"`
	Hi   string `json:"hi,omitempty"`
	Next string `json:"next,omitempty"`
	// Job and Loc are an open Bulk query job and the locator of its next
	// results set ("" before the first); NoBulk, once a job was given up,
	// keeps this window on REST.
	Job    string `json:"job,omitempty"`
	Loc    string `json:"loc,omitempty"`
	NoBulk bool   `json:"no_bulk,omitempty"`
}

func parseCursor(b []byte) (cursor, error) {
	var c cursor
	if len(b) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("salesforce cursor: %w", err)
	}
	for _, t := range []string{c.TS, c.Hi} {
		if t != "" {
			if _, err := time.Parse(soqlTime, t); err != nil {
				return c, fmt.Errorf("salesforce cursor: bad time %q", t)
			}
		}
	}
	if (c.ID != "" && !idRe.MatchString(c.ID)) || (c.Job != "" && !idRe.MatchString(c.Job)) {
		return c, fmt.Errorf("salesforce cursor: bad id %q", c.ID)
	}
	return c, nil
}

func (c cursor) bytes() []byte { b, _ := json.Marshal(c); return b }

// idRe is a Salesforce record id (15 or 18 characters, §0): nothing else
// is ever put into a SOQL literal.
var idRe = regexp.MustCompile(`^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$`)

// ReadPage implements connector.Reader: one page of queryAll (deleted rows
// included, so deletions and merged losers arrive as IsDeleted rows) over
// the keyset after the cursor, inside a window that closes query_lag
// before the server's now. Won-ness and order status are judged here, not
// in the query, so a deal that leaves won or an order deactivated is seen
// and its revenue removed (§2.6).
func (c *Connector) ReadPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	if !slices.Contains(c.o.Sources, req.Source) {
		return connector.Page{}, fmt.Errorf("salesforce: unknown source %q", req.Source)
	}
	cur, err := parseCursor(req.Cursor)
	if err != nil {
		return connector.Page{}, err
	}
	org, err := c.orgDescribe(ctx)
	if err != nil {
		return connector.Page{}, err
	}
	if cur.Hi == "" {
		hi := c.serverNow(ctx, req.Now).Add(-c.o.QueryLag).Truncate(time.Second)
		if lo, _ := time.Parse(soqlTime, cur.TS); cur.TS != "" && !hi.After(lo) {
			return connector.Page{Cursor: cur.bytes(), Done: true}, nil
		}
		cur.Hi, cur.Next = hi.Format(soqlTime), ""
		c.setRates(nil) // a new window reads the rates afresh
		c.mu.Lock()
		c.opened[req.Source] = cur.Hi
		c.mu.Unlock()
	}
	var rt *rates
	if org.multiCurrency && c.o.Currency == CurrencyRates {
		if rt, err = c.currentRates(ctx); err != nil {
			return connector.Page{}, err
		}
	}
	if cur.Job != "" {
		return c.bulkPage(ctx, req.Source, org, rt, cur)
	}
	firstQuery := cur.TS == "" && cur.Next == ""
	q, err := c.page(ctx, req.Source, org, cur)
	if err != nil {
		return connector.Page{}, err
	}
	if firstQuery && c.bigFirstPull(req.Source, cur, q) {
		// totalSize counts the whole window: a large first pull goes
		// through a Bulk query job instead (this page is read again there).
		return c.bulkPage(ctx, req.Source, org, rt, cur)
	}
	lo, _ := time.Parse(soqlTime, cur.TS)
	hi, _ := time.Parse(soqlTime, cur.Hi)
	var recs []connector.Record
	for _, r := range q.Records {
		id := r.str("Id")
		ts, err := time.Parse(jsonTime, r.str("SystemModstamp"))
		if err != nil {
			ts, err = time.Parse(time.RFC3339, r.str("SystemModstamp"))
		}
		if err != nil || !idRe.MatchString(id) {
			return connector.Page{}, &crmerr.Error{Class: crmerr.Permanent, Message: fmt.Sprintf("query %s: a row without a valid Id and SystemModstamp", req.Source)}
		}
		ts = ts.UTC().Truncate(time.Second)
		// A row past the window's end comes again in the next window: it
		// never moves the keyset (singer-io/tap-salesforce #10). A row at
		// or before the keyset breaks the query's WHERE and ORDER BY (a
		// repeated page, a locator that went back): nothing of such an
		// answer is committed.
		if ts.After(hi) {
			continue
		}
		if cur.TS != "" && (ts.Before(lo) || ts.Equal(lo) && (id <= cur.ID || cur.ID == "")) {
			return connector.Page{}, &crmerr.Error{Class: crmerr.Permanent,
				Message: fmt.Sprintf("query %s: the answer repeats or reorders rows (row %s at or before the last one delivered)", req.Source, id)}
		}
		lo = ts
		rec, err := c.record(req.Source, r, org, rt)
		if err != nil {
			return connector.Page{}, err
		}
		recs = append(recs, rec)
		cur.TS, cur.ID = ts.Format(soqlTime), id
	}
	done := *q.Done
	if done {
		c.mu.Lock()
		leftover := c.opened[req.Source] != cur.Hi
		c.mu.Unlock()
		// A window an interrupted run opened is finished; this run goes on
		// with a window of its own, up to the server's now − query_lag.
		done = !leftover
		cur.Hi, cur.Next, cur.NoBulk = "", "", false
	} else {
		cur.Next = q.NextRecordsURL
		c.mu.Lock()
		_, seen := c.locators[q.NextRecordsURL]
		c.locators[q.NextRecordsURL] = true
		c.mu.Unlock()
		if seen {
			// A locator goes forward only: one handed out again would read a
			// page twice (A→B→A) and never end.
			return connector.Page{}, &crmerr.Error{Class: crmerr.Permanent,
				Message: fmt.Sprintf("query %s: the answer's nextRecordsUrl points back to a page already read", req.Source)}
		}
	}
	return connector.Page{Records: recs, Cursor: cur.bytes(), Done: done}, nil
}

// page fetches the next page: the open window's locator when this
// process received it, else the query from the keyset. A locator refused
// because the session was renewed, or dead (INVALID_QUERY_LOCATOR), is
// replaced by the query, never replayed (§1.6, §2.4).
func (c *Connector) page(ctx context.Context, source string, org *orgInfo, cur cursor) (*queryResult, error) {
	hdr := http.Header{"Sforce-Query-Options": {"batchSize=" + strconv.Itoa(c.o.PageSize)}}
	c.mu.Lock()
	live := cur.Next != "" && c.locators[cur.Next]
	if live {
		c.locators[cur.Next] = false // used: kept to spot one handed out again
	}
	c.mu.Unlock()
	var resp *crmhttp.Response
	var err error
	if live {
		resp, err = c.do(ctx, &crmhttp.Request{Method: http.MethodGet, Path: cur.Next, NoReplay: true, Header: hdr})
		if err != nil && (errors.Is(err, crmhttp.ErrSessionRenewed) || errorCode(resp) == codeInvalidLocator) {
			c.log.Info("query locator no longer valid; querying again from the keyset", "source", source, "code", errorCode(resp))
			resp, err = nil, nil
		}
	}
	if resp == nil && err == nil {
		soql := c.soql(source, org) + " WHERE " + keyset(cur) + " ORDER BY SystemModstamp ASC, Id ASC"
		resp, err = c.do(ctx, &crmhttp.Request{Method: http.MethodGet, Path: c.root + "/queryAll",
			Query: url.Values{"q": {soql}}, Header: hdr, Op: KindQuery})
	}
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", source, err)
	}
	var q queryResult
	if err := json.Unmarshal(resp.Body, &q); err != nil || q.Done == nil || (!*q.Done && q.NextRecordsURL == "") {
		return nil, &crmerr.Error{Class: crmerr.Permanent, Message: fmt.Sprintf("query %s: the answer is not a query result", source)}
	}
	return &q, nil
}

// keyset is the window's filter: rows after (SystemModstamp, Id) of the
// last delivered row, up to the window's end. Never >= ts with LIMIT
// alone: bulk loads stamp thousands of rows with one second (§2.6).
func keyset(cur cursor) string {
	hi := "SystemModstamp <= " + cur.Hi
	switch {
	case cur.TS == "":
		return hi
	case cur.ID == "":
		// After a Bulk job: every row at or before TS is read.
		return "SystemModstamp > " + cur.TS + " AND " + hi
	}
	return fmt.Sprintf("(SystemModstamp > %s OR (SystemModstamp = %s AND Id > '%s')) AND %s", cur.TS, cur.TS, cur.ID, hi)
}

// soql is a source's SELECT … FROM: only fields that exist in this org.
func (c *Connector) soql(source string, org *orgInfo) string {
	var f []string
	contact := c.o.Object == "Contact"
	if source == SourceOpportunities {
		f = []string{"Id", "AccountId", c.o.Opportunities.AmountField, c.o.Opportunities.DateField, "IsWon", "StageName", "IsDeleted", "SystemModstamp"}
		if contact {
			f = append(f, "ContactId")
		}
	} else {
		f = []string{"Id", "AccountId", c.o.Orders.AmountField, c.o.Orders.DateField, "StatusCode", "IsDeleted", "SystemModstamp"}
		if contact {
			f = append(f, c.o.Orders.ContactField)
		}
	}
	if org.multiCurrency && c.o.Currency == CurrencyRates {
		f = append(f, "CurrencyIsoCode")
	}
	if contact && org.personAccounts {
		f = append(f, "Account.PersonContactId")
	}
	if c.needsRoles(source) {
		f = append(f, "(SELECT ContactId, IsPrimary, IsDeleted FROM OpportunityContactRoles)")
	}
	return "SELECT " + strings.Join(dedupe(f), ", ") + " FROM " + objectOf(source)
}

func dedupe(list []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// record turns one row into a connector.Record.
func (c *Connector) record(source string, r row, org *orgInfo, rt *rates) (connector.Record, error) {
	rec := connector.Record{OrderID: r.str("Id"), Deleted: r.bool("IsDeleted")}
	var amountField, day string
	if source == SourceOpportunities {
		amountField = c.o.Opportunities.AmountField
		rec.ClosedAt = r.str(c.o.Opportunities.DateField)
		day = rec.ClosedAt
		won := r.bool("IsWon")
		if len(c.o.Opportunities.WonStages) > 0 {
			won = slices.Contains(c.o.Opportunities.WonStages, r.str("StageName"))
		}
		if won {
			rec.Status = "won"
		}
	} else {
		amountField = c.o.Orders.AmountField
		rec.ClosedAt = r.str(c.o.Orders.DateField)
		day = rec.ClosedAt
		if r.str("StatusCode") == "Activated" {
			rec.Status = "won"
		}
	}
	if len(day) > 10 {
		day = day[:10] // the UTC day of a datetime, for dated rates
	}
	rec.Customer = c.customer(source, r, org)
	amount, err := r.number(amountField)
	if err != nil {
		rec.Problem = string(rfm.SkipBadAmount)
		return rec, nil
	}
	rec.Amount = amount
	if rt != nil && amount != "" {
		iso := r.str("CurrencyIsoCode")
		rate, ok := rt.rate(iso, day)
		if !ok {
			// Never sum a currency rfmsync cannot convert (§8.13).
			rec.Problem = "unknown_currency"
			return rec, nil
		}
		if rate != "1" {
			m, err := rfm.ParseAmount(amount)
			if err != nil {
				rec.Problem = string(rfm.SkipBadAmount)
				return rec, nil
			}
			home, err := rfm.ConvertRate(m, rate, rfm.Divide)
			if err != nil {
				rec.Problem = "bad_rate"
				return rec, nil
			}
			rec.Amount = home.String()
		}
	}
	return rec, nil
}

// customer attributes a row: the Account, or for object Contact the
// primary contact role (opportunities, primary_role), then ContactId (or
// orders' contact_field), then a person account's contact.
func (c *Connector) customer(source string, r row, org *orgInfo) connector.CustomerKey {
	if c.o.Object == "Account" {
		return connector.CustomerKey{Type: "Account", ID: r.str("AccountId")}
	}
	k := connector.CustomerKey{Type: "Contact"}
	if source == SourceOpportunities {
		if c.o.Opportunities.ContactAttribution == AttributionPrimaryRole {
			for _, role := range r.children("OpportunityContactRoles") {
				if role.bool("IsPrimary") && !role.bool("IsDeleted") && role.str("ContactId") != "" {
					k.ID = role.str("ContactId")
					return k
				}
			}
		}
		k.ID = r.str("ContactId")
	} else {
		k.ID = r.str(c.o.Orders.ContactField)
	}
	if k.ID == "" && org.personAccounts {
		if a := r.parent("Account"); a != nil {
			k.ID = a.str("PersonContactId")
		}
	}
	return k
}

func (c *Connector) setRates(r *rates) {
	c.mu.Lock()
	c.rates = r
	c.mu.Unlock()
}

func (c *Connector) currentRates(ctx context.Context) (*rates, error) {
	c.mu.Lock()
	r := c.rates
	c.mu.Unlock()
	if r != nil {
		return r, nil
	}
	r, err := c.loadRates(ctx)
	if err != nil {
		return nil, err
	}
	c.setRates(r)
	return r, nil
}

// RereadOrders implements connector.OrderRereader: contact roles change
// without touching the Opportunity, so held opportunities are read again
// (query, not queryAll: a deleted one is missing and so deleted) and
// answered as customer-only records. Orders are read again whole.
func (c *Connector) RereadOrders(ctx context.Context, source string, ids []string) ([]connector.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	org, err := c.orgDescribe(ctx)
	if err != nil {
		return nil, err
	}
	quoted := make([]string, 0, len(ids))
	for _, id := range ids {
		if !idRe.MatchString(id) {
			return nil, fmt.Errorf("re-read %s: %q is not a Salesforce id", source, id)
		}
		quoted = append(quoted, "'"+id+"'")
	}
	var rt *rates
	if source == SourceOrders && org.multiCurrency && c.o.Currency == CurrencyRates {
		if rt, err = c.currentRates(ctx); err != nil {
			return nil, err
		}
	}
	rows, err := c.queryRows(ctx, c.soql(source, org)+" WHERE Id IN ("+strings.Join(quoted, ",")+")")
	if err != nil {
		return nil, fmt.Errorf("re-read %s: %w", source, err)
	}
	out := make([]connector.Record, 0, len(rows))
	for _, r := range rows {
		if source == SourceOpportunities {
			out = append(out, connector.Record{OrderID: r.str("Id"), CustomerOnly: true, Customer: c.customer(source, r, org)})
			continue
		}
		rec, err := c.record(source, r, org, rt)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}
