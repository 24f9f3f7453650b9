package syncloop_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/core/conformance/memcrm"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// scripted serves ReadPage from a function of the request.
type scripted struct {
	*memcrm.Connector
	calls int
	page  func(n int, req connector.ReadRequest) connector.Page
}

func (s *scripted) ReadPage(_ context.Context, req connector.ReadRequest) (connector.Page, error) {
	s.calls++
	return s.page(s.calls, req), nil
}

func TestCursorGoingBackStopsThePull(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cursors []string // page n returns cursors[(n-1) % len]
	}{
		{"A→B→A", []string{"A", "B"}},
		{"A→B→C→B", []string{"A", "B", "C"}},
		{"A→A with records", []string{"A", "A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			conn := &scripted{Connector: e.crm.Connector(), page: func(n int, req connector.ReadRequest) connector.Page {
				cur := tc.cursors[(n-1)%len(tc.cursors)]
				if tc.name == "A→B→C→B" && n > 3 {
					cur = "B"
				}
				return connector.Page{Cursor: []byte(cur), Records: []connector.Record{{OrderID: "o" + cur, Status: "lost"}}}
			}}
			_, err := e.run(func(o *syncloop.Options) { o.Connector = conn })
			if err == nil || !strings.Contains(err.Error(), "repeats") {
				t.Fatalf("err = %v, want a repeated cursor", err)
			}
			if conn.calls > len(tc.cursors)+1 {
				t.Errorf("%d reads before the loop was stopped", conn.calls)
			}
		})
	}
}

func TestBadIDsAndHugeAmountsAreSkippedAndCounted(t *testing.T) {
	e := newEnv(t)
	c := func(id string) connector.CustomerKey { return connector.CustomerKey{Type: "contacts", ID: id} }
	at := "2025-05-01T00:00:00Z"
	huge := "1" + strings.Repeat("0", 400)
	conn := &scripted{Connector: e.crm.Connector(), page: func(int, connector.ReadRequest) connector.Page {
		return connector.Page{Done: true, Cursor: []byte("end"), Records: []connector.Record{
			{OrderID: "\xff\xfe", Customer: c("A"), ClosedAt: at, Amount: "1", Status: "won"},
			{OrderID: "a\ufffd", Customer: c("A"), ClosedAt: at, Amount: "1", Status: "won"},
			{OrderID: "line\nbreak", Customer: c("A"), ClosedAt: at, Amount: "1", Status: "won"},
			{OrderID: "", Customer: c("A"), ClosedAt: at, Amount: "1", Status: "won"},
			{OrderID: "bad-customer", Customer: c("B\xff"), ClosedAt: at, Amount: "1", Status: "won"},
			{OrderID: "huge", Customer: c("A"), ClosedAt: at, Amount: huge, Status: "won"},
			{OrderID: "at-bound", Customer: c("A"), ClosedAt: at, Amount: "-1000000000000000", Status: "won"},
			{OrderID: "below-bound", Customer: c("Z"), ClosedAt: at, Amount: "999999999999999.999999", Status: "won"},
		}}
	}}
	rep, err := e.run(func(o *syncloop.Options) { o.Connector = conn })
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Skipped[syncloop.SkipBadID]; got != 5 {
		t.Errorf("bad_id skipped %d, want 5 (skipped: %v)", got, rep.Skipped)
	}
	if got := rep.Skipped[syncloop.SkipAmountOutOfRange]; got != 2 {
		t.Errorf("amount_out_of_range skipped %d, want 2 (skipped: %v)", got, rep.Skipped)
	}
	if rep.Scored != 1 {
		t.Errorf("scored %d customers, want only Z", rep.Scored)
	}
}
