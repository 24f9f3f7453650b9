package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A breaker tripped for credentials the config no longer holds does not
// keep the daemon unready: it runs at once, logs in with the new
// credentials and clears the breaker; a blocked run's readiness reason is a
// fixed text, never the CRM's message (readiness is served without token).
func TestStaleBreakerIsCheckedAtStartAndReasonsStayFixed(t *testing.T) {
	d, _ := testDaemon(t, func(int32) {})
	if err := d.db.Trip("fingerprint-of-old-credentials", "refresh token of jane.doe@example.com revoked"); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 4)
	d.ran = ran
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.serve(ctx, "0 3 1 1 *", time.UTC, "", false) }()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("the start-up run with new credentials failed: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no run at start although a breaker was open")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if r := d.board.Readiness(); r.Paused || strings.Contains(strings.Join(r.Reasons, " "), "jane.doe") {
		t.Errorf("readiness after a successful start-up run: %+v", r)
	}
	if _, _, open, _ := d.db.Breaker(); open {
		t.Error("the breaker for old credentials is still open after a run that logged in")
	}
}
