package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// orgInfo is what describe says about the org, read once per connector:
// CurrencyIsoCode exists only in multi-currency orgs (selecting it
// elsewhere fails, §2.8), PersonContactId only with person accounts.
type orgInfo struct {
	multiCurrency  bool
	personAccounts bool
}

// orgDescribe describes Opportunity (or Order) and Account once.
func (c *Connector) orgDescribe(ctx context.Context) (*orgInfo, error) {
	c.mu.Lock()
	org := c.org
	c.mu.Unlock()
	if org != nil {
		return org, nil
	}
	obj := "Opportunity"
	if !containsStr(c.o.Sources, SourceOpportunities) {
		obj = "Order"
	}
	d, err := c.describe(ctx, obj)
	if err != nil {
		return nil, err
	}
	if err := c.checkSourceFields(obj, d); err != nil {
		return nil, err
	}
	if len(c.o.Sources) == 2 {
		o, err := c.describe(ctx, "Order")
		if err != nil {
			return nil, err
		}
		if err := c.checkSourceFields("Order", o); err != nil {
			return nil, err
		}
	}
	org = &orgInfo{multiCurrency: d.has("CurrencyIsoCode")}
	if c.o.Object == "Contact" {
		a, err := c.describe(ctx, "Account")
		if err != nil {
			return nil, err
		}
		org.personAccounts = a.has("PersonContactId")
	}
	c.mu.Lock()
	c.org = org
	c.mu.Unlock()
	return org, nil
}

func (d *describeResult) has(name string) bool { return d.field(name) != nil }

func (d *describeResult) field(name string) *describeField {
	for i := range d.Fields {
		if equalFold(d.Fields[i].Name, name) {
			return &d.Fields[i]
		}
	}
	return nil
}

// describe reads sobjects/{object}/describe.
func (c *Connector) describe(ctx context.Context, object string) (*describeResult, error) {
	resp, err := c.do(ctx, &crmhttp.Request{Method: http.MethodGet, Path: c.root + "/sobjects/" + object + "/describe"})
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", object, err)
	}
	var d describeResult
	if err := json.Unmarshal(resp.Body, &d); err != nil || d.Name == "" {
		return nil, fmt.Errorf("describe %s: the answer is not a describe result", object)
	}
	return &d, nil
}

// serverNow reads the server's clock from the Date header of the
// unauthenticated version list (§0), so a window closes at the org's now,
// not at this host's. The version list needs no session; that it is not
// counted against the API allocation is unverified, so it is asked once
// per window only.
func (c *Connector) serverNow(ctx context.Context, fallback time.Time) time.Time {
	resp, err := c.http.Do(ctx, &crmhttp.Request{Method: http.MethodGet, Path: "/services/data/", NoAuth: true,
		Header: http.Header{"Accept": {"application/json"}}, Op: KindVersions})
	if err != nil || resp == nil {
		return fallback
	}
	t, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return fallback
	}
	return t.UTC()
}

// rates are an org's conversion rates: ConversionRate is units of the
// currency per one unit of the corporate currency, so home = amount ÷ rate.
type rates struct {
	corporate string
	static    map[string]string
	dated     map[string][]datedRate // by IsoCode, sorted by start
}

type datedRate struct {
	start string // a date
	rate  string
}

// rate returns the rate for iso on day (a yyyy-mm-dd date; "" for static).
func (r *rates) rate(iso, day string) (string, bool) {
	if iso == r.corporate {
		return "1", true
	}
	if r.dated != nil && day != "" {
		// The period holding day is the one with the latest start at or
		// before it (NextStartDate is derived from the next one's start).
		rate, ok := "", false
		for _, d := range r.dated[iso] {
			if d.start <= day {
				rate, ok = d.rate, true
			}
		}
		return rate, ok
	}
	v, ok := r.static[iso]
	return v, ok
}

// loadRates reads CurrencyType (and DatedConversionRate with dated_rates).
func (c *Connector) loadRates(ctx context.Context) (*rates, error) {
	r := &rates{static: map[string]string{}}
	rows, err := c.queryRows(ctx, "SELECT IsoCode, ConversionRate, IsCorporate, IsActive FROM CurrencyType")
	if err != nil {
		return nil, fmt.Errorf("read currency rates: %w", err)
	}
	for _, row := range rows {
		iso := row.str("IsoCode")
		rate, err := row.number("ConversionRate")
		if err != nil || iso == "" {
			continue
		}
		if row.bool("IsCorporate") {
			r.corporate = iso
		}
		r.static[iso] = rate
	}
	if c.o.DatedRates {
		rows, err := c.queryRows(ctx, "SELECT IsoCode, ConversionRate, StartDate FROM DatedConversionRate ORDER BY IsoCode, StartDate")
		if err != nil {
			return nil, fmt.Errorf("read dated currency rates: %w", err)
		}
		r.dated = map[string][]datedRate{}
		for _, row := range rows {
			rate, err := row.number("ConversionRate")
			if err != nil || rate == "" {
				continue
			}
			iso := row.str("IsoCode")
			r.dated[iso] = append(r.dated[iso], datedRate{start: row.str("StartDate"), rate: rate})
		}
		for _, ds := range r.dated {
			sort.Slice(ds, func(i, j int) bool { return ds[i].start < ds[j].start })
		}
	}
	return r, nil
}

// queryRows runs a small query (not queryAll: live rows only) to its end.
func (c *Connector) queryRows(ctx context.Context, soql string) ([]row, error) {
	var out []row
	resp, err := c.do(ctx, &crmhttp.Request{Method: http.MethodGet, Path: c.root + "/query", Query: url.Values{"q": {soql}}})
	for {
		if err != nil {
			return nil, err
		}
		var q queryResult
		if err := json.Unmarshal(resp.Body, &q); err != nil || q.Done == nil {
			return nil, fmt.Errorf("query: the answer is not a query result")
		}
		out = append(out, q.Records...)
		if *q.Done || q.NextRecordsURL == "" {
			return out, nil
		}
		resp, err = c.do(ctx, &crmhttp.Request{Method: http.MethodGet, Path: q.NextRecordsURL, NoReplay: true})
	}
}

func containsStr(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// checkSourceFields fails before any query when a configured field is not
// there for the integration user, or SystemModstamp cannot be filtered on
// (§2.6: some objects refuse it), naming the config key.
func (c *Connector) checkSourceFields(obj string, d *describeResult) error {
	if f := d.field("SystemModstamp"); f == nil || !f.Filterable {
		return &crmerr.Error{Class: crmerr.Permanent, Message: obj + ".SystemModstamp cannot be filtered on in this org, so it cannot be read incrementally"}
	}
	keys := map[string]string{"opportunities.amount_field": c.o.Opportunities.AmountField, "opportunities.date_field": c.o.Opportunities.DateField}
	if obj == "Order" {
		keys = map[string]string{"orders.amount_field": c.o.Orders.AmountField, "orders.date_field": c.o.Orders.DateField}
		if c.o.Object == "Contact" {
			keys["orders.contact_field"] = c.o.Orders.ContactField
		}
	}
	for key, name := range keys {
		if !d.has(name) {
			return &crmerr.Error{Class: crmerr.Validation, Message: fmt.Sprintf("%s: %s has no field %s visible to the integration user (check the name and its field-level security)",
				c.o.key(key), obj, name)}
		}
	}
	return nil
}
