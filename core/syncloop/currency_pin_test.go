package syncloop_test

import (
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// A record skipped as bad_id (its customer id cannot be stored) must not pin
// the source's currency: one hostile record would make every good one
// second_currency. The currency is checked last.
func TestBadIDRecordDoesNotPinCurrency(t *testing.T) {
	e := newEnv(t)
	at := t0.Add(-48 * time.Hour)
	e.crm.PutOrder("bad", connector.CustomerKey{Type: "contacts", ID: "x\x01y"}, at, "10", true)
	e.crm.SetRaw("bad", at.UTC().Format(time.RFC3339Nano), "XYZ")
	for i := 0; i < 6; i++ {
		for j := 0; j <= i; j++ {
			id := key(i).ID + "-" + string(rune('a'+j))
			e.crm.SetRaw(id, t0.Add(-time.Duration(24*(i+j+1))*time.Hour).UTC().Format(time.RFC3339Nano), "EUR")
		}
	}
	rep, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped[syncloop.SkipBadID] != 1 || rep.Skipped[syncloop.SkipSecondCurrency] != 0 || rep.Scored != 6 {
		t.Fatalf("skipped %v, scored %d: the skipped bad_id record pinned its currency", rep.Skipped, rep.Scored)
	}
}
