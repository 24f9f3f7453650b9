package vtenext

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
	"github.com/rfmsync/rfmsync/internal/demo"
	"github.com/rfmsync/rfmsync/internal/synth"
)

// syncWorld is a seeded fake vtenext and a state file.
type syncWorld struct {
	s     *vtenexttest.Server
	url   string
	base  *demo.VtenextBase
	path  string
	extra map[string]any
	// latency, if set, is how long each revise takes on the fake clock.
	latency time.Duration
}

func newSyncWorld(tb testing.TB, customers, orders int, extra map[string]any) *syncWorld {
	s, url := newFake(tb, vtenexttest.Options{})
	base, err := demo.SeedVtenext(s, synth.Spec{Customers: customers, Orders: orders, End: s.Now().Add(-time.Hour), Years: 2, Seed: 4})
	if err != nil {
		tb.Fatal(err)
	}
	s.Advance(time.Hour)
	return &syncWorld{s: s, url: url, base: base, path: filepath.Join(tb.TempDir(), "state.db"), extra: extra}
}

func (w *syncWorld) fieldMap() outputs.FieldMap { return outputs.Single(w.base.Fields) }

// sync runs one sync as a fresh process would: new connector, state reopened.
func (w *syncWorld) sync(tb testing.TB) *syncloop.Report {
	tb.Helper()
	fm := w.fieldMap()
	o := options(tb, w.s, w.url, w.extra)
	clock := &fakeClock{s: w.s}
	o.hooks.sleep = clock.sleep
	if w.latency > 0 {
		o.hooks.transport = &slowRevise{base: http.DefaultTransport, clock: clock, d: w.latency}
	}
	c := build(tb, o, syncloop.FieldSpecs(fm, rfm.DefaultParams(), 730, syncloop.Inactive{}))
	db, err := state.Open(w.path, state.Options{LockTimeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rep, err := syncloop.Run(context.Background(), syncloop.Options{Connector: c, State: db, Params: rfm.DefaultParams(),
		WindowDays: 730, Fields: fm, PullFingerprint: "p", ScoreFingerprint: "s", Now: w.s.Now})
	if err != nil {
		tb.Fatalf("sync: %v", err)
	}
	return rep
}

// slowRevise stands in for a server whose saves take d: the answer to a
// revise arrives d after it was sent, on the fake clock.
type slowRevise struct {
	base  http.RoundTripper
	clock *fakeClock
	d     time.Duration
}

func (s *slowRevise) RoundTrip(r *http.Request) (*http.Response, error) {
	sent := s.clock.s.Now()
	resp, err := s.base.RoundTrip(r)
	if err == nil && isOp(opRevise)(r) {
		s.clock.advanceTo(sent.Add(s.d))
	}
	return resp, err
}

func TestWriteCallsPerChangedCustomerAndQuietRuns(t *testing.T) {
	w := newSyncWorld(t, 60, 400, map[string]any{"write_concurrency": 4})
	rep := w.sync(t)
	if rep.Changed == 0 || rep.WriteCalls != rep.Changed || rep.Written != rep.Changed {
		t.Errorf("first sync: %d changed, %d written in %d calls: want exactly one call per changed customer", rep.Changed, rep.Written, rep.WriteCalls)
	}
	if n := w.s.Count("revise"); n != rep.Changed {
		t.Errorf("the fake saw %d revises for %d changed customers", n, rep.Changed)
	}
	w.s.Advance(time.Hour)
	logins := w.s.Logins()
	w.s.ResetCalls()
	rep = w.sync(t)
	if rep.WriteCalls != 0 || w.s.Count("revise") != 0 {
		t.Errorf("no-change run made %d write calls", rep.WriteCalls)
	}
	// The first run's revises moved the accounts' modifiedtime; orders are
	// read from their own module, so nothing is pulled again.
	for src, n := range rep.Pulled {
		if n != 0 {
			t.Errorf("no-change run pulled %d %s records", n, src)
		}
	}
	if got := w.s.Logins() - logins; got != 1 {
		t.Errorf("no-change run logged in %d times, want once (the read session; write sessions stay idle)", got)
	}
}
