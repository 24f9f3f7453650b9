package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/state"
)

func TestReadFields(t *testing.T) {
	const n = 250
	s, keys := writeFixture(t, n)
	s.DefineProperty(hubspottest.Contacts, hubspottest.Property{Name: "rfm_last", Label: "RFM last", Type: "datetime", FieldType: "date", GroupName: "rfm"})
	s.Update(hubspottest.Contacts, keys[7].ID, hubspottest.Props{"rfm_code": "545", "rfm_monetary": "1500.50",
		"rfm_segment": "champions", "rfm_last": "2024-05-31T10:00:00.000Z"})
	s.Update(hubspottest.Contacts, keys[8].ID, hubspottest.Props{"rfm_last": "2024-05-31T10:00:00.123Z", "rfm_segment": nil})
	if v, _ := s.Value(hubspottest.Contacts, keys[7].ID, "rfm_last"); v != "2024-05-31T10:00:00Z" {
		t.Fatalf("the fake stores %q: the datetime case below tests nothing", v)
	}
	s.DeleteContact(keys[1].ID)
	s.MergeContacts(keys[2].ID, keys[3].ID)
	unknown := connector.CustomerKey{Type: "contacts", ID: "99999999999"}
	c := connect(t, s, nil)
	if c.ReadBatch() != 100 {
		t.Errorf("ReadBatch %d, want HubSpot's batch/read cap 100", c.ReadBatch())
	}

	fields := []string{"rfm_code", "rfm_monetary", "rfm_segment", "rfm_last"}
	in := append(append([]connector.CustomerKey{}, keys...), unknown, keys[7]) // one twice
	got, err := c.ReadFields(context.Background(), in, fields)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []connector.CustomerKey{keys[1], keys[3], unknown} {
		if _, ok := got[gone]; ok {
			t.Errorf("%s (deleted, merged away or unknown) is in the result", gone)
		}
	}
	if len(got) != n-2 {
		t.Errorf("%d records read, want %d", len(got), n-2)
	}
	// Values come back as HubSpot stores them: the datetime written with
	// .000 reads back without it, and core compares it canonically.
	want := map[string]string{"rfm_code": "545", "rfm_monetary": "1500.50", "rfm_segment": "champions", "rfm_last": "2024-05-31T10:00:00Z"}
	for f, v := range want {
		if got[keys[7]][f] != v {
			t.Errorf("%s = %q, want %q", f, got[keys[7]][f], v)
		}
	}
	empty, ok := got[keys[9]]["rfm_segment"]
	if !ok || empty != "" || len(got[keys[9]]) != len(fields) {
		t.Errorf("unset fields read %v, want every field present and empty", got[keys[9]])
	}
	if got[keys[8]]["rfm_last"] != "2024-05-31T10:00:00.123Z" || got[keys[8]]["rfm_segment"] != "" {
		t.Errorf("record 8 read %v", got[keys[8]])
	}
	// 250 distinct keys: three calls, none above HubSpot's 100 (the fake
	// answers 400 to a larger one, which would fail the read).
	if calls := c.Calls()[KindRead]; calls != 3 || s.Calls(hubspottest.RouteRead) != 3 {
		t.Errorf("%d read calls (fake saw %d), want 3", calls, s.Calls(hubspottest.RouteRead))
	}
}

func TestReadFieldsGuards(t *testing.T) {
	s, keys := writeFixture(t, 3)
	c := connect(t, s, nil)
	if _, err := c.ReadFields(context.Background(), []connector.CustomerKey{{Type: "deals", ID: "1"}}, []string{"rfm_code"}); err == nil {
		t.Error("read from deals was accepted")
	}
	got, err := c.ReadFields(context.Background(), nil, []string{"rfm_code"})
	if err != nil || len(got) != 0 || s.Calls(hubspottest.RouteRead) != 0 {
		t.Errorf("no keys: %v, %v, %d calls", got, err, s.Calls(hubspottest.RouteRead))
	}
	// An error other than OBJECT_NOT_FOUND must not make records look
	// deleted: the sync loop would never write to them again.
	s.InjectFault(hubspottest.RouteRead, 1, hubspottest.Fault{Status: http.StatusMultiStatus, Body: fmt.Sprintf(
		`{"status":"COMPLETE","results":[],"numErrors":1,"errors":[{"status":"error","category":"INTERNAL_ERROR","message":"try again","context":{"ids":[%q]}}]}`,
		keys[0].ID)})
	if got, err := c.ReadFields(context.Background(), keys, []string{"rfm_code"}); err == nil {
		t.Errorf("an unexplained per-record error read as %v", got)
	}
}

// TestRepairThroughTheSyncLoop runs the real loop: a person edits a value
// and a workflow clears one, the next due pass finds both and the run
// writes ours back; a merged and a deleted contact are marked gone; a
// clean CRM costs reads but no write; repair_every 0 turns the pass off.
func TestRepairThroughTheSyncLoop(t *testing.T) {
	const customers = 150
	s := newFake(t, hubspottest.Options{Seed: 11})
	fields := rfmFields()
	ensureFields(t, connect(t, s, nil), fields)
	ids := s.CreateMany(hubspottest.Contacts, customers, func(i int) hubspottest.Props {
		return hubspottest.Props{"email": fmt.Sprintf("r%d@example.com", i)}
	})
	now := s.Now()
	deals := s.CreateMany(hubspottest.Deals, 2*customers, func(i int) hubspottest.Props {
		return wonDeal(fmt.Sprintf("%d.50", 10+i*7%500), now.Add(-time.Duration(1+i*37%15000)*time.Hour))
	})
	for i, d := range deals {
		s.AssociateDealContact(d, ids[i%customers])
	}
	s.Advance(time.Hour)
	path := filepath.Join(t.TempDir(), "state.db")
	c := connect(t, s, map[string]any{"repair_every": "1h"})

	rep := syncOnce(t, s, c, path, fields)
	if rep.Written != customers || rep.APICalls[KindRead] != 0 {
		t.Fatalf("first sync wrote %d customers with %d reads; want %d and none (nothing was written before)",
			rep.Written, rep.APICalls[KindRead], customers)
	}

	edited, cleared, survivor, merged, deleted := ids[1], ids[2], ids[3], ids[4], ids[5]
	code, _ := s.Value(hubspottest.Contacts, edited, "rfm_rfm")
	last, _ := s.Value(hubspottest.Contacts, cleared, "rfm_last_purchase_at")
	if code == "" || last == "" {
		t.Fatalf("first sync left code %q, last purchase %q", code, last)
	}
	s.Update(hubspottest.Contacts, edited, hubspottest.Props{"rfm_rfm": "111"})             // a person
	s.Update(hubspottest.Contacts, cleared, hubspottest.Props{"rfm_last_purchase_at": nil}) // a workflow
	s.MergeContacts(survivor, merged)
	s.DeleteContact(deleted)
	s.Advance(2 * time.Hour)

	rep = syncOnce(t, s, c, path, fields)
	if rep.Repaired != 2 || rep.Written != 2 || rep.NotFound != 0 {
		t.Errorf("repair run: repaired %d, written %d, not found %d; want 2, 2, 0", rep.Repaired, rep.Written, rep.NotFound)
	}
	if v, _ := s.Value(hubspottest.Contacts, edited, "rfm_rfm"); v != code {
		t.Errorf("edited code is %q after the repair, want %q", v, code)
	}
	if v, _ := s.Value(hubspottest.Contacts, cleared, "rfm_last_purchase_at"); v != last {
		t.Errorf("cleared last purchase is %q after the repair, want %q", v, last)
	}
	if rep.APICalls[KindRead] != 2 {
		t.Errorf("%d read calls for %d customers, want 2", rep.APICalls[KindRead], customers)
	}
	checkGone(t, path, map[string]bool{merged: true, deleted: true})

	// A clean CRM: datetimes HubSpot stored without milliseconds read back
	// equal, so nothing is repaired or written; the gone are not read.
	s.Advance(2 * time.Hour)
	rep = syncOnce(t, s, c, path, fields)
	if rep.Repaired != 0 || rep.WriteCalls != 0 || rep.APICalls[KindRead] != 2 {
		t.Errorf("clean run: repaired %d, %d write calls, %d reads; want 0, 0, 2", rep.Repaired, rep.WriteCalls, rep.APICalls[KindRead])
	}

	off := connect(t, s, map[string]any{"repair_every": "0"})
	if off.RepairEvery() != 0 {
		t.Fatalf("repair_every 0 gives %v", off.RepairEvery())
	}
	s.Update(hubspottest.Contacts, edited, hubspottest.Props{"rfm_rfm": "222"})
	s.Advance(2 * time.Hour)
	rep = syncOnce(t, s, off, path, fields)
	if rep.Repaired != 0 || rep.APICalls[KindRead] != 0 {
		t.Errorf("disabled pass: repaired %d with %d reads", rep.Repaired, rep.APICalls[KindRead])
	}
	if v, _ := s.Value(hubspottest.Contacts, edited, "rfm_rfm"); v != "222" {
		t.Errorf("with the pass off the edit became %q", v)
	}
}

// checkGone asserts exactly the contacts in gone are marked gone in state.
func checkGone(t *testing.T, path string, gone map[string]bool) {
	t.Helper()
	db, err := state.Open(path, state.Options{LockTimeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	marked := map[string]bool{}
	err = db.ForEachPublished(func(k connector.CustomerKey, p state.Published) error {
		if p.GoneAt != 0 {
			marked[k.ID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range gone {
		if !marked[id] {
			t.Errorf("contact %s is not marked gone", id)
		}
	}
	for id := range marked {
		if !gone[id] {
			t.Errorf("contact %s is marked gone but exists", id)
		}
	}
}
