package vtenext

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// writeWorld is a fake with an R score and a segment field on Accounts.
type writeWorld struct {
	s          *vtenexttest.Server
	url        string
	rField     string
	segField   string
	specs      []outputs.FieldSpec
	accounts   []connector.CustomerKey
	championLb string
}

func newWriteWorld(t *testing.T, accounts int) *writeWorld {
	s, url := newFake(t, vtenexttest.Options{})
	w := &writeWorld{s: s, url: url}
	specs := syncloop.FieldSpecs(outputs.FieldMap{outputs.Segment: outputs.Named("x")}, rfm.DefaultParams(), 730, syncloop.Inactive{})
	var labels []string
	for _, o := range specs[0].Options {
		labels = append(labels, o.Label)
		if o.Value == "champions" {
			w.championLb = o.Label
		}
	}
	w.rField = s.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM R score", Type: vtenexttest.TypeDouble, Decimals: 3})
	w.segField = s.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM segment", Type: vtenexttest.TypePicklist, Values: labels})
	w.specs = syncloop.FieldSpecs(outputs.FieldMap{outputs.R: outputs.Named(w.rField), outputs.Segment: outputs.Named(w.segField)},
		rfm.DefaultParams(), 730, syncloop.Inactive{})
	for i := 0; i < accounts; i++ {
		w.accounts = append(w.accounts, connector.CustomerKey{Type: "Accounts",
			ID: s.Create(vtenexttest.Accounts, map[string]string{"accountname": fmt.Sprintf("A%d", i)})})
	}
	return w
}

func (w *writeWorld) updates() []connector.Update {
	var ups []connector.Update
	for _, k := range w.accounts {
		ups = append(ups, connector.Update{Key: k, Fields: map[string]string{w.rField: "4", w.segField: "champions"}})
	}
	return ups
}

func TestWriteOneReviseWithOnlyMappedFields(t *testing.T) {
	w := newWriteWorld(t, 3)
	c := build(t, options(t, w.s, w.url, nil), w.specs)
	res, err := c.WriteBatch(context.Background(), w.updates())
	if err != nil || len(res.Accepted) != 3 || res.Calls != 3 {
		t.Fatalf("write: %+v %v", res, err)
	}
	if n := w.s.Count("revise"); n != 3 || c.WriteCalls(3) != 3 {
		t.Errorf("%d revise calls for 3 records", n)
	}
	for _, call := range w.s.Calls() {
		if call.Route != "revise" {
			continue
		}
		form, _ := url.ParseQuery(string(call.Body))
		var el map[string]string
		if err := json.Unmarshal([]byte(form.Get("element")), &el); err != nil {
			t.Fatal(err)
		}
		if len(el) != 3 || el[w.rField] != "4" || el[w.segField] != w.championLb || el["id"] == "" {
			t.Errorf("element %v: want id and the two mapped fields, the segment as its picklist label", el)
		}
	}
	// "4" came back as "4.000": equal canonically, so accepted.
	if got := w.s.Get(w.accounts[0].ID)[w.rField]; got != "4.000" {
		t.Errorf("stored %q", got)
	}
}

func TestWriteIgnoredFieldIsAMappingError(t *testing.T) {
	w := newWriteWorld(t, 2)
	w.s.HideField(vtenexttest.Accounts, w.rField)
	c := build(t, options(t, w.s, w.url, nil), w.specs)
	res, err := c.WriteBatch(context.Background(), w.updates()[:1])
	if err == nil || !strings.Contains(err.Error(), w.rField) || !strings.Contains(err.Error(), "fields.r") {
		t.Fatalf("a silently ignored field must stop the run naming it: %v", err)
	}
	if len(res.Accepted) != 0 || len(res.Rejected) != 1 {
		t.Errorf("result %+v", res)
	}
}

func TestWriteDeletedDeniedAndRejected(t *testing.T) {
	w := newWriteWorld(t, 3)
	w.s.Delete(w.accounts[0].ID)
	w.s.RejectRevise(w.accounts[1].ID)
	c := build(t, options(t, w.s, w.url, nil), w.specs)
	res, err := c.WriteBatch(context.Background(), w.updates())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NotFound) != 1 || res.NotFound[0] != w.accounts[0] || len(res.Rejected) != 1 || len(res.Accepted) != 1 {
		t.Errorf("result %+v", res)
	}
	w.s.DenyWrite(w.accounts[2].ID, "Permission to write is denied")
	_, err = c.WriteBatch(context.Background(), w.updates()[2:])
	if !errors.Is(err, crmerr.ErrAuth) || !strings.Contains(err.Error(), "Profiles") {
		t.Errorf("no edit permission: %v", err)
	}
}

func TestWriteSessionsShareOnePace(t *testing.T) {
	w := newWriteWorld(t, 40)
	c := build(t, options(t, w.s, w.url, map[string]any{"write_concurrency": 4, "write_batch": 40}), w.specs)
	start := w.s.Now()
	res, err := c.WriteBatch(context.Background(), w.updates())
	if err != nil || len(res.Accepted) != 40 {
		t.Fatalf("%+v %v", res, err)
	}
	if w.s.Logins() != 4 {
		t.Errorf("%d logins, want one session per worker (4)", w.s.Logins())
	}
	// 40 revises at 5 per rolling second, shared: the last five start 7 s
	// after the first, on the fake clock.
	if d := w.s.Now().Sub(start); d != 7*time.Second {
		t.Errorf("40 writes took %v of fake time, want 7 s at the shared 5/s", d)
	}
}

func TestSlowWriteIsRetriedLater(t *testing.T) {
	w := newWriteWorld(t, 1)
	o := options(t, w.s, w.url, nil)
	// A save slower than the client waits: one timed-out attempt spends
	// the stall budget.
	o.hooks.timeouts = crmhttp.Timeouts{ResponseHeader: 300 * time.Millisecond, Attempt: time.Second}
	o.hooks.stallBudget = 100 * time.Millisecond
	w.s.Inject("revise", 1000, vtenexttest.Fault{Slow: true})
	c := build(t, o, w.specs)
	// Log in first, so the short timeout meets only the writes.
	if _, err := c.describe(context.Background(), "Accounts"); err != nil {
		t.Fatal(err)
	}
	res, err := c.WriteBatch(context.Background(), w.updates())
	if err != nil || len(res.RetryLater) != 1 {
		t.Fatalf("a write that timed out must be retried next run: %+v %v", res, err)
	}
	if got := w.s.Raw(w.accounts[0].ID, w.rField); got != "4" {
		t.Errorf("the slow save landed anyway (as on a real server): %q", got)
	}
}

func TestWriteDatesAndDecimalsReadBack(t *testing.T) {
	s, url := newFake(t, vtenexttest.Options{})
	day := s.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM last purchase date", Type: vtenexttest.TypeDate})
	money := s.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM monetary value", Type: vtenexttest.TypeDouble}) // 0 decimals: wrong
	acc := connector.CustomerKey{Type: "Accounts", ID: s.Create(vtenexttest.Accounts, map[string]string{"accountname": "A"})}
	specs := syncloop.FieldSpecs(outputs.FieldMap{outputs.LastPurchaseDate: outputs.Named(day), outputs.Monetary: outputs.Named(money)},
		rfm.DefaultParams(), 730, syncloop.Inactive{})
	c := build(t, options(t, s, url, nil), specs)
	res, err := c.WriteBatch(context.Background(), []connector.Update{{Key: acc, Fields: map[string]string{day: "2024-03-15"}}})
	if err != nil || len(res.Accepted) != 1 {
		t.Fatalf("date write: %+v %v", res, err)
	}
	if got := s.Get(acc.ID)[day]; got != "15-03-2024" {
		t.Errorf("stored date shows as %q", got)
	}
	back, err := c.ReadFields(context.Background(), []connector.CustomerKey{acc}, []string{day, money})
	if err != nil || back[acc][day] != "2024-03-15" {
		t.Errorf("read back %v %v: want the date in rfmsync's form", back, err)
	}
	// 123.45 in a field the admin made without decimals comes back 123.
	_, err = c.WriteBatch(context.Background(), []connector.Update{{Key: acc, Fields: map[string]string{money: "123.45"}}})
	if err == nil || !strings.Contains(err.Error(), "fields.monetary") || !strings.Contains(err.Error(), "decimals") {
		t.Errorf("a value the field cannot hold must stop the run naming it: %v", err)
	}
}
