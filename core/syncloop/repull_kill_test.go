package syncloop_test

import (
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// A kill inside checkPullFingerprint, after a source's facts were reset,
// must not leave its currency pin (or scan positions) behind: the pins are
// cleared first, for every source held or configured, so the killed run
// ends like an uninterrupted one, which re-pins from the re-pulled data.
func TestRepullKilledMidResetLeavesNoStalePin(t *testing.T) {
	outcome := func(crash bool) (int, int) {
		e := newEnv(t)
		ids := []string{}
		for i := 0; i < 6; i++ {
			k := key(i)
			for j := 0; j <= i; j++ {
				ids = append(ids, k.ID+"-"+string(rune('a'+j)))
			}
		}
		at := func(id string) string {
			i := int(id[0] - 'A')
			j := int(id[2] - 'a')
			return t0.Add(-time.Duration(24*(i+j+1)) * time.Hour).UTC().Format(time.RFC3339Nano)
		}
		for _, id := range ids {
			e.crm.SetRaw(id, at(id), "EUR")
		}
		if _, err := e.run(nil); err != nil {
			t.Fatal(err)
		}
		// The config changes what is pulled (say another amount field), and
		// the amounts it now reads are in USD.
		for _, id := range ids {
			e.crm.SetRaw(id, at(id), "USD")
		}
		e.crm.Advance(time.Hour)
		if crash {
			// What a SIGKILL right after ResetSource leaves.
			db, err := state.Open(e.path, state.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.ResetSource("orders"); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}
		rep, err := e.run(func(o *syncloop.Options) { o.PullFingerprint = "p2" })
		if err != nil {
			t.Fatal(err)
		}
		return rep.Skipped[syncloop.SkipSecondCurrency], rep.Scored
	}
	skipClean, scoredClean := outcome(false)
	skipCrash, scoredCrash := outcome(true)
	if skipClean != skipCrash || scoredClean != scoredCrash {
		t.Fatalf("uninterrupted: %d second_currency skips, %d scored; killed after ResetSource: %d skips, %d scored",
			skipClean, scoredClean, skipCrash, scoredCrash)
	}
}
