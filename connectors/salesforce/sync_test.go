package salesforce

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
)

// TestSyncCallsAtTheFloor runs the real sync loop: a first sync of 600
// accounts and 4,500 opportunities, one after 1 % changed, and one without
// a change each make exactly the floor of calls — ⌈rows/2,000⌉ query pages
// (at least one) + ⌈changed customers/200⌉ writes + token, server time and
// describe — and the last writes nothing.
func TestSyncCallsAtTheFloor(t *testing.T) {
	const accounts, opps, fixed = 600, 4_500, 3
	s := newFake(t, sf.Options{})
	c := connect(t, s, map[string]any{"permission_set": "RFM_Sync"})
	if _, err := c.EnsureFields(context.Background(), specs(rfmFields()), true); err != nil {
		t.Fatal(err)
	}
	_, ids := seedBook(s, accounts, opps)
	path := filepath.Join(t.TempDir(), "state.db")
	run := func() (calls int64, changed, writes int) {
		rep := syncRun(t, s, connect(t, s, map[string]any{"repair_every": "0s"}), path)
		return sumCalls(rep.APICalls), rep.Changed, rep.WriteCalls
	}
	floor := func(rows, changed int) int64 {
		return int64(max(1, ceilDiv(rows, MaxPageSize)) + ceilDiv(changed, MaxWriteBatch) + fixed)
	}
	calls, changed, _ := run()
	if changed != accounts || calls != floor(opps, changed) {
		t.Errorf("first sync: %d calls for %d changed customers, floor %d", calls, changed, floor(opps, changed))
	}
	for j := range opps / 100 {
		s.Update(ids[j], sf.F{"Amount": sf.Money(benchAmount(j, 25))})
	}
	s.Advance(time.Hour)
	calls, changed, _ = run()
	if changed == 0 || calls != floor(opps/100, changed) {
		t.Errorf("after 1 %%: %d calls for %d changed customers, floor %d", calls, changed, floor(opps/100, changed))
	}
	s.Advance(time.Hour)
	calls, changed, writes := run()
	if writes != 0 || changed != 0 || calls != floor(0, 0) {
		t.Errorf("no change: %d calls, %d writes, floor %d", calls, writes, floor(0, 0))
	}
}
