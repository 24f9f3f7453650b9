package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/status"
)

func TestEveryRunIsRememberedInTheStateHistory(t *testing.T) {
	d, _ := testDaemon(t, func(n int32) {
		if n == 1 {
			panic("connector bug")
		}
	})
	job := d.job(context.Background())
	job.Run() // fails before scoring
	job.Run()
	h, err := d.db.History(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Result != status.ResultFailure || !strings.Contains(h[0].Error, "connector bug") ||
		h[1].Result != status.ResultSuccess || h[1].Scored != 1 {
		t.Fatalf("history = %+v", h)
	}
	if h[1].APICalls == nil && h[1].Pulled["orders"] == 0 && len(h[1].Pulled) == 0 {
		t.Errorf("successful run kept no figures: %+v", h[1])
	}
}

func TestHealthcheckExitsByReadiness(t *testing.T) {
	b := status.NewBoard()
	b.SetMaxFailures(1)
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	check := func(args ...string) int {
		var out, errw bytes.Buffer
		return run(append([]string{"healthcheck"}, args...), &out, &errw)
	}
	if code := check("--url", srv.URL+"/readyz"); code != exitOK {
		t.Fatalf("ready daemon: exit %d", code)
	}
	b.Record(status.Run{Started: time.Now(), Finished: time.Now(), Error: "crm down"})
	if code := check("--url", srv.URL+"/readyz"); code != exitFailed {
		t.Errorf("unready daemon: exit %d, want %d", code, exitFailed)
	}
	if code := check("--url", srv.URL+"/healthz"); code != exitOK {
		t.Errorf("liveness of an unready daemon: exit %d", code)
	}
	srv.Close()
	if code := check("--url", srv.URL+"/readyz", "--timeout", "2s"); code != exitFailed {
		t.Errorf("no daemon: exit %d", code)
	}
}

func TestLocalAddrAndLoopback(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0:9464": "127.0.0.1:9464", ":9464": "127.0.0.1:9464", "[::]:1": "[::1]:1", "10.0.0.5:80": "10.0.0.5:80"} {
		if got := localAddr(in); got != want {
			t.Errorf("localAddr(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]bool{"127.0.0.1:9464": true, "localhost:1": true, "[::1]:2": true, "0.0.0.0:9464": false, ":9464": false, "10.1.2.3:9": false} {
		if got := loopback(in); got != want {
			t.Errorf("loopback(%q) = %v", in, got)
		}
	}
}

func TestBoardAccessFromConfig(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("a-long-status-token\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	load := func(extra string) *config.Config {
		t.Helper()
		cfg, err := config.LoadBytes([]byte(extra), nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := newBoard(load("listen: 0.0.0.0:9464\n"), log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "without a token") {
		t.Errorf("no warning for an open non-loopback listen: %q", logs.String())
	}
	logs.Reset()
	b, err := newBoard(load("listen: 0.0.0.0:9464\nstatus: {token_file: "+tokenFile+"}\n"), log)
	if err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Errorf("warned although a token is set: %s", logs.String())
	}
	req := httptest.NewRequest("GET", "/status.json", nil)
	rec := httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("token from the file not enforced: %d", rec.Code)
	}
	req.Header.Set("Authorization", "Bearer a-long-status-token")
	rec = httptest.NewRecorder()
	b.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("the file's token refused: %d", rec.Code)
	}
	if _, err := newBoard(load("status: {token_file: "+empty+"}\n"), log); err == nil || !strings.Contains(err.Error(), "status.token_file") {
		t.Errorf("an empty token file must be a config error naming the key: %v", err)
	}
}

// TestHistoryAsksTheDaemonWhileItHoldsTheState: the daemon has the state
// file locked, so history reads its /status.json, token included.
func TestHistoryAsksTheDaemonWhileItHoldsTheState(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "s.db")
	db, err := state.Open(dbPath, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2025, 1, 1, 3, 0, 0, 0, time.UTC)
	db.AppendRun(status.RecordOf(t0, t0.Add(time.Minute), nil, errors.New("crm down")), 0)
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("tok-123456789"), 0o600)
	b := status.NewBoard()
	b.SetHistory(db.History)
	b.SetAccess(status.Access{Token: "tok-123456789"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: b.Handler()}
	go srv.Serve(ln)
	defer srv.Close()
	cfgPath := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("state: {path: %s, lock_timeout: 1s}\nlisten: %s\nstatus: {token_file: %s}\n", dbPath, ln.Addr(), tokenFile)), 0o600)
	code, out, stderr := runCLI(t, "history", "--config", cfgPath, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var runs []state.RunRecord
	if err := json.Unmarshal([]byte(out), &runs); err != nil || len(runs) != 1 || runs[0].ErrorClass != "internal" {
		t.Fatalf("history from the daemon = %s (%v)", out, err)
	}
}
