package vtenext

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
	"github.com/rfmsync/rfmsync/core/connector"
)

func order(s *vtenexttest.Server, acc, status, total, rate string) string {
	return s.Create(vtenexttest.SalesOrder, map[string]string{"subject": "SO", "account_id": acc, "sostatus": status,
		"invoicestatus": "Created", "hdnGrandTotal": total, "conversion_rate": rate})
}

func TestKeysetPullThroughTiesWithExplicitLimits(t *testing.T) {
	s, url := newFake(t, vtenexttest.Options{})
	acc := s.Create(vtenexttest.Accounts, map[string]string{"accountname": "A"})
	stamp := s.Wall(s.Now().Add(-time.Hour))
	ids := map[string]bool{}
	for i := 0; i < 57; i++ {
		id := order(s, acc, "Delivered", "10", "1")
		s.SetRaw(id, map[string]string{"modifiedtime": stamp}) // one bulk update: a single timestamp
		ids[id] = true
	}
	c := build(t, options(t, s, url, map[string]any{"page_size": 10}), nil)
	recs, cursor := readAll(t, c, SourceSalesOrder, nil, s.Now())
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.OrderID]++
	}
	if len(seen) != 57 || len(recs) != 57 {
		t.Errorf("read %d records (%d distinct) of 57", len(recs), len(seen))
	}
	for _, call := range s.Calls() {
		if call.Route == "sync" {
			t.Error("the sync operation was called")
		}
		if call.Route == "query" && !strings.Contains(call.Query, "LIMIT") {
			t.Errorf("a query without LIMIT: %s", call.Query)
		}
	}
	// Nothing changed: the next pull is one empty page.
	if n := s.Count("query"); n != 57/10+2 {
		t.Errorf("%d queries for 57 rows in pages of 10 (six pages and the empty one)", n)
	}
	s.Advance(time.Hour)
	s.ResetCalls()
	recs, cursor = readAll(t, c, SourceSalesOrder, cursor, s.Now())
	if len(recs) != 0 || s.Count("query") != 1 {
		t.Errorf("no-change pull: %d records, %d queries", len(recs), s.Count("query"))
	}
	// A change shows once the query lag has passed, not before.
	var changed string
	for id := range ids {
		changed = id
		break
	}
	s.Update(changed, map[string]string{"sostatus": "Cancelled"})
	if recs, _ := readAll(t, c, SourceSalesOrder, cursor, s.Now()); len(recs) != 0 {
		t.Errorf("a change inside the query lag was read: %v", recs)
	}
	s.Advance(time.Minute)
	recs, _ = readAll(t, c, SourceSalesOrder, cursor, s.Now())
	if len(recs) != 1 || recs[0].OrderID != changed || recs[0].Status == "won" {
		t.Errorf("after the lag: %+v", recs)
	}
}

func TestShortPageIsNotTheEnd(t *testing.T) {
	s, url := newFake(t, vtenexttest.Options{})
	acc := s.Create(vtenexttest.Accounts, map[string]string{"accountname": "A"})
	var ids []string
	for i := 0; i < 25; i++ {
		ids = append(ids, order(s, acc, "Delivered", "10", "1"))
		s.Advance(time.Second)
	}
	s.Unreadable(ids[3]) // dropped from the first page after its LIMIT
	s.Advance(time.Hour)
	c := build(t, options(t, s, url, map[string]any{"page_size": 10}), nil)
	if recs, _ := readAll(t, c, SourceSalesOrder, nil, s.Now()); len(recs) != 24 {
		t.Errorf("one pull read %d of the 24 readable orders", len(recs))
	}
}

func TestRepeatedAutumnHourIsReadAgain(t *testing.T) {
	// Rome falls back from 03:00 CEST to 02:00 CET at 01:00 UTC on 2024-10-27.
	s, url := newFake(t, vtenexttest.Options{Start: time.Date(2024, 10, 27, 0, 20, 0, 0, time.UTC)})
	acc := s.Create(vtenexttest.Accounts, map[string]string{"accountname": "A"})
	c := build(t, options(t, s, url, nil), nil)
	early := order(s, acc, "Delivered", "1", "1") // 02:20 CEST
	s.Advance(25 * time.Minute)
	order(s, acc, "Delivered", "2", "1") // 02:45 CEST
	s.Advance(5 * time.Minute)
	recs, cursor := readAll(t, c, SourceSalesOrder, nil, s.Now()) // window to 02:49:30 CEST
	if len(recs) != 2 {
		t.Fatalf("first pull read %d", len(recs))
	}
	s.Advance(20 * time.Minute) // 01:10 UTC = 02:10 CET
	s.Update(early, map[string]string{"hdnGrandTotal": "100"})
	if got := s.Raw(early, "modifiedtime"); got != "2024-10-27 02:10:00" {
		t.Fatalf("second-pass stamp %s", got)
	}
	s.Advance(20 * time.Minute)
	recs, cursor = readAll(t, c, SourceSalesOrder, cursor, s.Now())
	found := false
	for _, r := range recs {
		if r.OrderID == early && r.Amount == "100.000000" {
			found = true
		}
	}
	if !found {
		t.Fatalf("the change saved in the repeated hour (wall time below the cursor) was missed: %+v", recs)
	}
	// Handled once: the next pull does not rewind again.
	s.Advance(10 * time.Minute)
	if recs, _ = readAll(t, c, SourceSalesOrder, cursor, s.Now()); len(recs) != 0 {
		t.Errorf("pull after the rewind re-read %d records", len(recs))
	}
}

func TestRecordValues(t *testing.T) {
	s, url := newFake(t, vtenexttest.Options{Start: time.Date(2024, 7, 1, 10, 0, 0, 0, time.UTC)})
	acc := s.Create(vtenexttest.Accounts, map[string]string{"accountname": "A"})
	con := s.Create(vtenexttest.Contacts, map[string]string{"lastname": "Rossi", "account_id": acc})
	so := order(s, acc, "Approved", "1830.5", "1.1")
	s.SetRaw(so, map[string]string{"createdtime": "2024-03-31 02:30:00"}) // in the spring gap: 03:30 CEST
	cancelled := order(s, acc, "Cancelled", "5", "1")
	badRate := order(s, acc, "Delivered", "5", "0")
	inv := s.Create(vtenexttest.Invoice, map[string]string{"subject": "F", "account_id": acc, "contact_id": con,
		"invoicestatus": "Credit Invoice", "hdnGrandTotal": "50", "conversion_rate": "1", "invoicedate": "2024-03-15"})
	wonEff := s.Create(vtenexttest.Potentials, map[string]string{"potentialname": "P", "amount": "1500", "related_to": acc,
		"closingdate": "2024-02-01", "eff_closingdate": "2024-02-29", "sales_stage": "Closed Won"})
	wonCon := s.Create(vtenexttest.Potentials, map[string]string{"potentialname": "Q", "amount": "20", "related_to": con,
		"closingdate": "2024-01-10", "sales_stage": "Closed Won"})
	s.Advance(time.Minute) // past the query lag
	c := build(t, options(t, s, url, map[string]any{"sources": []any{"salesorder", "invoice", "potentials"}}), nil)
	got := map[string]connector.Record{}
	for _, src := range c.Sources() {
		recs, _ := readAll(t, c, src, nil, s.Now())
		for _, r := range recs {
			got[r.OrderID] = r
		}
	}
	accKey := connector.CustomerKey{Type: "Accounts", ID: acc}
	check := func(id string, want connector.Record) {
		t.Helper()
		want.OrderID = id
		if got[id] != want {
			t.Errorf("%s: %+v, want %+v", id, got[id], want)
		}
	}
	check(so, connector.Record{Customer: accKey, Status: "won", Amount: "1664.090909", ClosedAt: "2024-03-31T01:30:00Z"})
	check(cancelled, connector.Record{Customer: accKey, Status: "not_won", Amount: "5.000000", ClosedAt: got[cancelled].ClosedAt})
	check(badRate, connector.Record{Customer: accKey, Status: "won", Amount: "5.000", ClosedAt: got[badRate].ClosedAt, Problem: string(SkipBadRate)})
	check(inv, connector.Record{Customer: accKey, Status: "won", Amount: "-50.000000", ClosedAt: "2024-03-15"})
	check(wonEff, connector.Record{Customer: accKey, Status: "won", Amount: "1500.00", ClosedAt: "2024-02-29"})
	// Related to a contact while the object is Accounts: nobody.
	check(wonCon, connector.Record{Customer: connector.CustomerKey{Type: "Accounts"}, Status: "won", Amount: "20.00", ClosedAt: "2024-01-10"})

	// With object Contacts, the invoice counts for its contact.
	c2 := build(t, options(t, s, url, map[string]any{"object": "Contacts", "sources": []any{"invoice"}}), nil)
	recs, _ := readAll(t, c2, SourceInvoice, nil, s.Now())
	if len(recs) != 1 || recs[0].Customer.ID != con || recs[0].Customer.Type != "Contacts" {
		t.Errorf("invoice for a contact: %+v", recs)
	}
}

func TestDateFormatMustMatchDescribe(t *testing.T) {
	s, url := newFake(t, vtenexttest.Options{DateFormat: "mm-dd-yyyy"})
	c := build(t, options(t, s, url, map[string]any{"sources": []any{"invoice"}}), nil)
	_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceInvoice, Now: s.Now()})
	if err == nil || !strings.Contains(err.Error(), "crm.vtenext.date_format") || !strings.Contains(err.Error(), "mm-dd-yyyy") {
		t.Errorf("mismatched date format: %v", err)
	}
}

func TestRereadFindsDeletions(t *testing.T) {
	s, url := newFake(t, vtenexttest.Options{})
	acc := s.Create(vtenexttest.Accounts, map[string]string{"accountname": "A"})
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, order(s, acc, "Delivered", "10", "1"))
	}
	s.Advance(time.Hour)
	c := build(t, options(t, s, url, map[string]any{"page_size": 3}), nil)
	_, cursor := readAll(t, c, SourceSalesOrder, nil, s.Now())
	s.Delete(ids[1])
	s.Delete(ids[5])
	// The pull never sees a deletion.
	if recs, _ := readAll(t, c, SourceSalesOrder, cursor, s.Now().Add(time.Hour)); len(recs) != 0 {
		t.Errorf("pull after deletions: %+v", recs)
	}
	s.ResetCalls()
	recs, err := c.RereadOrders(context.Background(), SourceSalesOrder, ids)
	if err != nil {
		t.Fatal(err)
	}
	back := map[string]bool{}
	for _, r := range recs {
		back[r.OrderID] = true
		if r.CustomerOnly || r.Amount != "10.000000" {
			t.Errorf("re-read must return full records: %+v", r)
		}
	}
	if len(back) != 5 || back[ids[1]] || back[ids[5]] {
		t.Errorf("re-read returned %v", back)
	}
	if n := s.Count("query"); n != 3 {
		t.Errorf("%d queries for 7 ids in batches of 3", n)
	}
	// Restored from the recycle bin: back with a fresh modifiedtime, so the
	// pull delivers it again.
	s.Advance(time.Hour)
	s.Restore(ids[5])
	s.Advance(time.Minute)
	recs, _ = readAll(t, c, SourceSalesOrder, cursor, s.Now())
	if len(recs) != 1 || recs[0].OrderID != ids[5] {
		t.Errorf("pull after a restore: %+v", recs)
	}
}

func TestRowsOutsideTheKeysetWindowAreRefused(t *testing.T) {
	cur := cursor{T: "2024-06-01 10:00:00", ID: "15x50"}
	row := func(t, id string) map[string]string { return map[string]string{"modifiedtime": t, "id": id} }
	for name, c := range map[string]struct {
		rows []map[string]string
		ok   bool
	}{
		"after":              {[]map[string]string{row("2024-06-01 10:00:00", "15x51"), row("2024-06-01 10:00:01", "15x2")}, true},
		"tie before the id":  {[]map[string]string{row("2024-06-01 10:00:00", "15x49")}, false},
		"before the cursor":  {[]map[string]string{row("2024-06-01 09:59:59", "15x90")}, false},
		"past the window":    {[]map[string]string{row("2024-06-01 12:00:01", "15x90")}, false},
		"out of order":       {[]map[string]string{row("2024-06-01 11:00:00", "15x60"), row("2024-06-01 10:30:00", "15x61")}, false},
		"id order is number": {[]map[string]string{row("2024-06-01 10:00:00", "15x100")}, true},
	} {
		err := inWindow(c.rows, cur, "2024-06-01 12:00:00")
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
}
