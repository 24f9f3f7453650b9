package conformance

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/hostile"
)

// HostileFake is implemented by fakes served over HTTP, so the suite can
// put core/hostile between the connector and the fake: truncated, null
// and mistyped bodies, oversized pages, stalls, resets and odd Retry-After
// values, on the requests a pull's pages make.
type HostileFake interface {
	// Spoil routes the fake's traffic through h (nil: straight to the
	// fake) for connectors built from now on. h wraps the fake's own
	// handler, which Spoil passes to build.
	Spoil(build func(fake http.Handler) *hostile.Handler)
	// PageReads selects the requests that read a page of orders.
	PageReads() func(*http.Request) bool
}

// CursorRewinder is implemented by hostile fakes whose page answers carry
// no server-side cursor to rewrite (vtenext's keyset is built by the
// client): the "cursor goes back" case then serves the fake's own way of
// going back, such as answering a later page with an earlier page's rows.
type CursorRewinder interface {
	CursorBack() hostile.Spoil
}

// RunHostile runs every standard hostile case on the second page read of
// a first pull. A case that heals within the call must end like a clean
// run; one that does not must fail the run with a classified, non-empty
// error that pauses nothing, so the next run against the healthy fake
// leaves state and CRM as an uninterrupted run would. Nothing may hang:
// the fake's connector is built with short timeouts (its business).
func RunHostile(t *testing.T, newFake func(t *testing.T) Fake) {
	probe, ok := newFake(t).(HostileFake)
	if !ok {
		return // not served over HTTP: nothing to spoil
	}
	for _, tc := range hostile.Cases(probe.PageReads()) {
		if cr, ok := probe.(CursorRewinder); ok && tc.Name == "cursor goes back" {
			tc.Scenario.Spoil = cr.CursorBack()
		}
		t.Run(tc.Name, func(t *testing.T) {
			w := newWorld(t, newFake(t))
			hf := w.fake.(HostileFake)
			keys := w.seed(10, 60)
			w.settle()
			asof := w.fake.Now()
			var h *hostile.Handler
			sc := tc.Scenario
			sc.After = 1
			hf.Spoil(func(fake http.Handler) *hostile.Handler { h = hostile.Wrap(fake, sc); return h })
			start := time.Now()
			rep, err := w.sync(false)
			if real := time.Since(start); real > 20*time.Second {
				t.Errorf("the hostile run took %v of real time", real)
			}
			h.Release()
			hf.Spoil(nil)
			if h.Spoiled(tc.Name) == 0 {
				t.Fatal("the case spoiled nothing: the fake's PageReads matched no second page")
			}
			if tc.Heals {
				if err != nil {
					t.Fatalf("a case that heals within the call failed the run: %v", err)
				}
			} else {
				if err == nil {
					t.Fatalf("a page spoilt every time was accepted (report %+v)", rep)
				}
				if crmerr.ClassOf(err) == crmerr.None || rep.Stopped == "" || strings.TrimSpace(err.Error()) == "" {
					t.Errorf("unclear error %v (stopped %q)", err, rep.Stopped)
				}
				if _, pause := crmerr.PauseUntil(err, w.fake.Now()); pause {
					t.Errorf("a hostile answer pauses later runs: %v", err)
				}
			}
			w.mustSync(false)
			w.checkAggregates()
			w.checkFields(keys, asof)
		})
	}
}
