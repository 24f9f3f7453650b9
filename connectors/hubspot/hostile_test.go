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

// hostileLimits makes a stalled attempt cost a fraction of a second of
// real time; retry waits run on the fake's clock and cost none.
var hostileLimits = map[string]any{"limits": map[string]any{
	"retry_budget": "3m",
	"timeouts": map[string]any{"connect": "1s", "response_header": "300ms", "idle_read": "200ms",
		"attempt": "5s", "stalled": "1s"},
}}

// listPages are the first pull's list reads of deals.
var listPages = hostile.Method(http.MethodGet, hostile.PathContains("/objects/deals"))

// TestHostileServer runs the sync loop through every standard hostile case
// on the second list page of the first pull. A case that heals within the
// call ends like a clean run; one that does not fails the run with a
// classified error and leaves no pause, so the next run against the
// healthy fake writes every customer. Nothing hangs: each stall costs the
// configured timeouts.
func TestHostileServer(t *testing.T) {
	portal := func(t *testing.T) (*hubspottest.Server, map[string]string) {
		s := newFake(t, hubspottest.Options{})
		fields := rfmFields()
		ensureFields(t, connect(t, s, nil), fields)
		seedPortal(s, 300) // 30 contacts, 3 list pages
		return s, fields
	}
	ref, fields := portal(t)
	if _, err := hostileSync(t, ref, connect(t, ref, nil), filepath.Join(t.TempDir(), "ref.db"), fields); err != nil {
		t.Fatal(err)
	}
	want := scores(ref)
	if len(want) != 30 {
		t.Fatalf("the clean run scored %d contacts", len(want))
	}
	for _, tc := range hostile.Cases(listPages) {
		t.Run(tc.Name, func(t *testing.T) {
			s, fields := portal(t)
			tc.After = 1
			h := hostile.Wrap(s, tc.Scenario)
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			t.Cleanup(h.Release)
			path := filepath.Join(t.TempDir(), "state.db")

			start := time.Now()
			rep, err := hostileSync(t, s, build(t, connectOpts(t, s, srv.URL, hostileLimits), nil), path, fields)
			if real := time.Since(start); real > 10*time.Second {
				t.Errorf("the hostile run took %v of real time", real)
			}
			if h.Spoiled(tc.Name) == 0 {
				t.Fatal("the case spoiled nothing")
			}
			if tc.Heals {
				if err != nil || rep.Written != 30 {
					t.Fatalf("a healing case: err %v, written %d of 30", err, rep.Written)
				}
			} else {
				if err == nil {
					t.Fatalf("a spoilt page every time was accepted: written %d (report %+v)", rep.Written, rep)
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
		})
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
