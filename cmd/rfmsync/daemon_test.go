package main

import (
	"context"
	"io"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/conformance/memcrm"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/status"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// hookConn runs a hook before each page read.
type hookConn struct {
	*memcrm.Connector
	reads atomic.Int32
	hook  func(n int32)
}

func (h *hookConn) ReadPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	h.hook(h.reads.Add(1))
	return h.Connector.ReadPage(ctx, req)
}

func testDaemon(t *testing.T, hook func(n int32)) (*daemon, *hookConn) {
	t.Helper()
	db, err := state.Open(filepath.Join(t.TempDir(), "s.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	crm := memcrm.New(time.Now())
	k := connector.CustomerKey{Type: "contacts", ID: "1"}
	crm.AddCustomer(k)
	crm.PutOrder("o1", k, time.Now().Add(-time.Hour), "10", true)
	conn := &hookConn{Connector: crm.Connector(), hook: hook}
	log := newLogger(io.Discard)
	s := &syncer{cfg: config.Default(), db: db, conn: conn, log: log, now: time.Now}
	return &daemon{syncer: s, board: status.NewBoard(), log: log}, conn
}

func TestDaemonSurvivesPanicAndRunsNextTick(t *testing.T) {
	d, _ := testDaemon(t, func(n int32) {
		if n == 1 {
			panic("connector bug")
		}
	})
	job := d.job(context.Background())
	job.Run() // must not crash the process
	last, ok := d.board.Last()
	if !ok || last.Error == "" {
		t.Fatalf("panicking run not recorded: %+v", last)
	}
	job.Run()
	last, _ = d.board.Last()
	if last.Error != "" || last.Report == nil || last.Report.Scored != 1 {
		t.Fatalf("next tick after a panic: %+v", last)
	}
}

func TestDaemonNeverOverlapsRuns(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	d, conn := testDaemon(t, func(n int32) {
		if n == 1 {
			close(entered)
			<-release
		}
	})
	job := d.job(context.Background())
	done := make(chan struct{})
	go func() { job.Run(); close(done) }()
	<-entered
	job.Run() // a tick while the first run is still going: skipped
	if got := conn.reads.Load(); got != 1 {
		t.Fatalf("overlapping tick read %d pages, want it skipped", got-1)
	}
	close(release)
	<-done
	if last, _ := d.board.Last(); last.Error != "" {
		t.Fatalf("first run failed: %s", last.Error)
	}
}

func TestDaemonStopsOnCancel(t *testing.T) {
	d, _ := testDaemon(t, func(int32) {})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.serve(ctx, "@every 1h", time.UTC, "127.0.0.1:0", true) }()
	// Wait for the immediate run to be recorded, then stop.
	select {
	case err := <-errc:
		t.Fatalf("serve returned early: %v", err)
	case <-d.board.Updates():
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("serve after cancel: %v", err)
	}
}

func TestDaemonResumesUnfinishedRunAtStart(t *testing.T) {
	d, conn := testDaemon(t, func(n int32) {
		if n == 1 {
			panic("killed mid-run")
		}
	})
	d.job(context.Background()).Run() // leaves the run unfinished
	if _, ok := syncloop.Interrupted(d.db); !ok {
		t.Fatal("an unfinished run left no marker")
	}
	first, _ := d.board.Last()
	<-d.board.Updates()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.serve(ctx, "@every 1h", time.UTC, "", false) }()
	<-d.board.Updates() // the resumed run, without --now or a tick
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	last, _ := d.board.Last()
	if last.Error != "" || last.Report == nil || !last.Report.Resumed || conn.reads.Load() < 2 {
		t.Fatalf("resumed run: %+v (first %+v)", last, first)
	}
	if _, ok := syncloop.Interrupted(d.db); ok {
		t.Fatal("the finished resume left its marker")
	}
}

// flakyConn fails its first reads with a transient error, as a CRM that is
// down for a while does.
type flakyConn struct {
	*memcrm.Connector
	failures int32
	reads    atomic.Int32
}

func (f *flakyConn) ReadPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	if n := f.reads.Add(1); n <= f.failures {
		return connector.Page{}, &crmerr.Error{Class: crmerr.Transient, Status: 503, Message: "down for maintenance"}
	}
	return f.Connector.ReadPage(ctx, req)
}

// A run that fails on transient errors is tried again after a backoff,
// not at the next tick (a day away here), until it succeeds.
func TestDaemonRetriesTransientFailureBeforeNextTick(t *testing.T) {
	d, _ := testDaemon(t, func(int32) {})
	crm := memcrm.New(time.Now())
	k := connector.CustomerKey{Type: "contacts", ID: "1"}
	crm.AddCustomer(k)
	crm.PutOrder("o1", k, time.Now().Add(-time.Hour), "10", true)
	flaky := &flakyConn{Connector: crm.Connector(), failures: 2}
	d.conn = flaky
	d.retryBase = time.Millisecond
	ran := make(chan error, 8)
	d.ran = ran
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.serve(ctx, "0 3 1 1 *", time.UTC, "", true) }()
	deadline := time.After(30 * time.Second)
	failed := 0
	for succeeded := false; !succeeded; {
		select {
		case err := <-ran:
			succeeded = err == nil
			if !succeeded && crmerr.ClassOf(err) != crmerr.Transient {
				t.Fatalf("run %d: %v", failed+1, err)
			}
			if !succeeded {
				failed++
			}
		case <-deadline:
			t.Fatalf("only %d reads: the failed run was not retried", flaky.reads.Load())
		}
	}
	if failed != 2 {
		t.Errorf("succeeded after %d failed runs, want 2", failed)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	last, _ := d.board.Last()
	if last.Error != "" || last.Report == nil || last.Report.Scored != 1 {
		t.Errorf("the retried run did not succeed: %+v", last)
	}
	if d.failures != 0 {
		t.Errorf("failures = %d after a success, want 0", d.failures)
	}
}
