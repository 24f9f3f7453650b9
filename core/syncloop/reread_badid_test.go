package syncloop_test

import (
	"time"

	"testing"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// A customer-only re-read answer gets the pull's id check: an id that
// cannot be a CRM id (bad_id) is skipped and the held attribution kept.
func TestRereadSkipsBadCustomerID(t *testing.T) {
	e := newEnv(t)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	bad := connector.CustomerKey{Type: "contacts", ID: "A\uFFFD"}
	e.crm.Reassign("A-a", bad) // HubSpot shape: found by the re-read only
	e.crm.Advance(time.Hour)
	if _, err := e.run(nil); err != nil {
		t.Fatal(err)
	}
	db, err := state.Open(e.path, state.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, held, _ := db.Aggregate(bad, rfm.Window{AsOf: rfm.InstantOf(t0), Days: 730}); held {
		t.Fatalf("state holds customer %q, an id the pull would skip as bad_id", bad.ID)
	}
}
