package hubspot

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/hostile"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// hostileLimits makes a stalled attempt cost a second or two of real
// time; retry waits run on the fake's clock and cost none.
var hostileLimits = map[string]any{"limits": map[string]any{
	"retry_budget": "3m",
	"timeouts": map[string]any{"connect": "5s", "response_header": "2s", "idle_read": "1s",
		"attempt": "20s", "stalled": "5s"},
}}

// hostileTargets are the requests the cases spoil: the first pull's list
// reads of deals (from the second page on) and the batch writes of scores.
var hostileTargets = []struct {
	name  string
	match func(*http.Request) bool
	after int
}{
	{"list", hostile.Method(http.MethodGet, hostile.PathContains("/objects/deals")), 1},
	{"batch update", hostile.PathSuffix("/batch/update"), 0},
}

// TestHostileServer runs the sync loop through every standard hostile case,
// on the first pull's list pages (from the second on) and on the batch
// writes. A case that heals within the
// call ends like a clean run; one that does not fails the run with a
// classified error and leaves no pause, so the next run against the
// healthy fake writes what a clean run writes. Nothing hangs: each stall
// costs the configured timeouts.
func TestHostileServer(t *testing.T) {
	portal := func(t *testing.T) (*hubspottest.Server, map[string]string) {
		s := newFake(t, hubspottest.Options{})
		fields := rfmFields()
		ensureFields(t, connect(t, s, nil), fields)
		seedPortal(s, 400) // 40 contacts, 4 list pages: a cursor can go back and forth
		return s, fields
	}
	ref, fields := portal(t)
	if _, err := hostileSync(t, ref, connect(t, ref, nil), filepath.Join(t.TempDir(), "ref.db"), fields); err != nil {
		t.Fatal(err)
	}
	want := scores(ref)
	if len(want) != 40 {
		t.Fatalf("the clean run scored %d contacts", len(want))
	}
	for _, target := range hostileTargets {
		for _, tc := range hostile.Cases(target.match) {
			if target.name == "batch update" && tc.Name == "cursor goes back" {
				continue // a write's answer carries no cursor: the case would change nothing
			}
			t.Run(target.name+"/"+tc.Name, func(t *testing.T) { hostileCase(t, portal, target.after, tc, want) })
		}
	}
}

// hostileCase runs one case on a fresh portal (see TestHostileServer).
func hostileCase(t *testing.T, portal func(*testing.T) (*hubspottest.Server, map[string]string), after int,
	tc hostile.Case, want map[string]string) {
	s, fields := portal(t)
	tc.After = after
	h := hostile.Wrap(s, tc.Scenario)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(h.Release)
	path := filepath.Join(t.TempDir(), "state.db")

	rep, err := hostileSync(t, s, build(t, connectOpts(t, s, srv.URL, hostileLimits), nil), path, fields)
	if h.Spoiled(tc.Name) == 0 {
		t.Fatal("the case spoiled nothing")
	}
	if tc.Heals {
		if err != nil || rep.Written != len(want) {
			t.Fatalf("a healing case: err %v, written %d of %d", err, rep.Written, len(want))
		}
	} else {
		if err == nil {
			t.Fatalf("a spoilt answer every time was accepted: written %d", rep.Written)
		}
		if crmerr.ClassOf(err) == crmerr.None || rep.Stopped == "" || strings.TrimSpace(err.Error()) == "" {
			t.Errorf("unclear error %v (stopped %q)", err, rep.Stopped)
		}
		if _, pause := crmerr.PauseUntil(err, s.Now()); pause {
			t.Errorf("a hostile answer pauses later runs: %v", err)
		}
	}
	// The next run, against the healthy fake, ends where a clean run does.
	rep, err = hostileSync(t, s, connect(t, s, nil), path, fields)
	if err != nil {
		t.Fatalf("next run against the healthy fake: %v", err)
	}
	if got := scores(s); !maps.Equal(got, want) {
		t.Errorf("after the healthy run the CRM holds %v, the clean run wrote %v", got, want)
	}
}

// scores is every contact's written RFM code and segment.
func scores(s *hubspottest.Server) map[string]string {
	out := map[string]string{}
	for _, id := range s.IDs(hubspottest.Contacts) {
		code, _ := s.Value(hubspottest.Contacts, id, "rfm_rfm")
		seg, _ := s.Value(hubspottest.Contacts, id, "rfm_segment")
		if code != "" {
			out[id] = code + " " + seg
		}
	}
	return out
}

// hostileSync runs the sync loop once and returns its error instead of failing.
func hostileSync(t *testing.T, s *hubspottest.Server, c *Connector, path string, fields map[string]string) (*syncloop.Report, error) {
	t.Helper()
	db, err := state.Open(path, state.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return syncloop.Run(context.Background(), syncloop.Options{
		Connector: c, State: db, Params: rfm.DefaultParams(), WindowDays: syncWindowDays,
		Fields: outputs.Single(fields), PullFingerprint: "test", ScoreFingerprint: "test", Now: s.Now,
	})
}

// Issue 7 item 9: a first sync of 20,000 deals against a HubSpot that
// answers every 20th call with a 5xx and meets a burst of six 429s every
// 150 calls ends like a clean one. Retries are bounded by time (limits.retry_budget), so a burst
// longer than the old five retries is waited out.
func TestFirstSyncThroughTransientFaults(t *testing.T) {
	s := newFake(t, hubspottest.Options{})
	fields := rfmFields()
	ensureFields(t, connect(t, s, nil), fields)
	seedPortal(s, 20000)
	base := s.Calls(hubspottest.AnyRoute)
	for call := base + 20; call < base+400; call += 20 {
		s.InjectFaultAt(hubspottest.AnyRoute, call, hubspottest.Fault{Status: []int{500, 502, 503, 504}[call%4]})
	}
	for burst := base + 75; burst < base+400; burst += 150 {
		for i := range 6 {
			s.InjectFaultAt(hubspottest.AnyRoute, burst+i, hubspottest.Fault{Status: http.StatusTooManyRequests})
		}
	}
	c := connect(t, s, nil)
	rep := syncOnce(t, s, c, filepath.Join(t.TempDir(), "state.db"), fields)
	if rep.Written != 2000 {
		t.Fatalf("wrote %d of 2000 customers", rep.Written)
	}
	st := c.Stats()
	if st.Retries < 20 || st.RateLimited < 12 {
		t.Errorf("retries %d, rate limited %d: the faults did not bite", st.Retries, st.RateLimited)
	}
	t.Logf("%d calls, %d retries, %d rate limited", st.Calls, st.Retries, st.RateLimited)
}
