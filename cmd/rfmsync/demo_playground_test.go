package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rfmsync/rfmsync/core/state"
)

// TestPlaygroundRunsTheRealCommands starts demo --serve's fake and drives
// check, fields ensure, once (dry and real), history and export against the
// config it prints, all with --json where they have it.
func TestPlaygroundRunsTheRealCommands(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- servePlayground(ctx, playgroundSpec{contacts: 40, deals: 120, dir: t.TempDir(), listen: "127.0.0.1:0"}, &out, func(p string) { ready <- p })
	}()
	var cfg string
	select {
	case cfg = <-ready:
	case err := <-done:
		t.Fatalf("playground ended: %v", err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for _, want := range []string{"config written to", "rfmsync once --config " + cfg + " --dry-run"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("playground output lacks %q:\n%s", want, out.String())
		}
	}
	decode := func(args []string, v any) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if v != nil {
			if err := json.Unmarshal([]byte(stdout), v); err != nil {
				t.Fatalf("%v: not JSON: %v\n%s", args, err, stdout)
			}
		}
		return stdout
	}
	var check checkResult
	decode([]string{"check", "--config", cfg, "--json"}, &check)
	if !check.Valid || check.CRM != "hubspot" || len(check.FieldPlan) == 0 || check.FieldPlan[0].Action != "create" {
		t.Errorf("check --json = %+v", check)
	}
	var fields fieldsResult
	decode([]string{"fields", "ensure", "--config", cfg, "--json"}, &fields)
	if fields.DryRun || len(fields.Actions) != len(check.FieldPlan) {
		t.Errorf("fields ensure --json = %+v", fields)
	}
	var dry onceResult
	decode([]string{"once", "--config", cfg, "--dry-run", "--json"}, &dry)
	if dry.Result != "success" || dry.Report == nil || !dry.Report.DryRun || dry.Report.Scored == 0 || dry.Report.Written != 0 {
		t.Fatalf("once --dry-run --json = %+v", dry)
	}
	var real onceResult
	decode([]string{"once", "--config", cfg, "--json", "--log-format", "json", "--log-level", "debug"}, &real)
	if real.Result != "success" || real.Report.Written != dry.Report.Changed {
		t.Errorf("once --json wrote %d, the plan said %d", real.Report.Written, dry.Report.Changed)
	}
	var runs []state.RunRecord
	decode([]string{"history", "--config", cfg, "--json"}, &runs)
	if len(runs) != 1 || runs[0].Written != real.Report.Written || runs[0].Result != "success" {
		t.Errorf("history --json = %+v (the dry run must not be recorded)", runs)
	}
	if txt := decode([]string{"history", "--config", cfg}, nil); !strings.Contains(txt, "success") {
		t.Errorf("history text:\n%s", txt)
	}
	rows, err := csv.NewReader(strings.NewReader(decode([]string{"export", "--config", cfg}, nil))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != real.Report.Written || rows[0][0] != "customer_type" || !slices.Contains(rows[0], "segment") || !slices.Contains(rows[0], "segment_id") {
		t.Errorf("export csv: %d rows for %d written; header %v", len(rows)-1, real.Report.Written, rows[0])
	}
	seen := map[string]bool{}
	for _, h := range rows[0] {
		if seen[h] {
			t.Errorf("export header repeats %s", h)
		}
		seen[h] = true
	}
	lines := strings.Split(strings.TrimSpace(decode([]string{"export", "--config", cfg, "--format", "json"}, nil)), "\n")
	var first map[string]string
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first["customer_id"] == "" || first["rfm"] == "" {
		t.Errorf("export json first line %q: %v", lines[0], err)
	}
	if len(lines) != len(rows)-1 {
		t.Errorf("json export has %d lines, csv %d rows", len(lines), len(rows)-1)
	}
}

// TestDebugLogHasRequestIDs checks the summary line and per-call request ids.
func TestDebugLogHasRequestIDs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- servePlayground(ctx, playgroundSpec{contacts: 10, deals: 20, dir: t.TempDir(), listen: "127.0.0.1:0"}, &syncBuffer{}, func(p string) { ready <- p })
	}()
	cfg := <-ready
	defer func() { cancel(); <-done }()
	code, _, stderr := runCLI(t, "once", "--config", cfg, "--dry-run", "--log-format", "json", "--log-level", "debug")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	calls, summaries := 0, 0
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		switch rec["msg"] {
		case "crm call":
			if id, _ := rec["request_id"].(string); len(id) != 16 || rec["kind"] == "" {
				t.Errorf("call line without request id or kind: %s", l)
			}
			calls++
		case "sync finished":
			summaries++
			if rec["scored"] == nil || rec["api_calls"] == nil || rec["result"] != "success" {
				t.Errorf("summary line lacks figures: %s", l)
			}
		}
		if strings.Contains(l, "demo-token") {
			t.Errorf("token in the log: %s", l)
		}
	}
	if calls == 0 || summaries != 1 {
		t.Errorf("%d call lines, %d summary lines", calls, summaries)
	}
}

// syncBuffer is a bytes.Buffer safe for the playground's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDaemonMetricsAfterARealRun wires the daemon as run does and checks
// what /metrics and /status.json say after one sync against the fake.
func TestDaemonMetricsAfterARealRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- servePlayground(ctx, playgroundSpec{contacts: 30, deals: 90, dir: t.TempDir(), listen: "127.0.0.1:0"}, &syncBuffer{}, func(p string) { ready <- p })
	}()
	cfgPath := <-ready
	defer func() { cancel(); <-done }()
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDaemon(cfg, newLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }()
	if _, err := ensureFields(context.Background(), cfg, d.conn, true); err != nil {
		t.Fatal(err)
	}
	h := d.board.Handler()
	scrape := func() map[string]float64 {
		t.Helper()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for name, f := range fams {
			for _, m := range f.Metric {
				key := name
				for _, l := range m.Label {
					key += "," + l.GetName() + "=" + l.GetValue()
				}
				out[key] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
		return out
	}
	before := scrape()
	if _, ok := before["rfmsync_segment_customers,segment=champions"]; !ok {
		t.Error("configured segments are not declared before the first run")
	}
	d.job(context.Background()).Run()
	d.observeQuota()
	after := scrape()
	last, _ := d.board.Last()
	if last.Error != "" {
		t.Fatal(last.Error)
	}
	rep := last.Report
	if after["rfmsync_writes_total,outcome=accepted"] != float64(rep.Written) || rep.Written == 0 {
		t.Errorf("accepted writes %v, report %d", after["rfmsync_writes_total,outcome=accepted"], rep.Written)
	}
	var calls float64 // the run's, not those fields ensure made before it
	for k, v := range after {
		if strings.HasPrefix(k, "rfmsync_crm_api_calls_total,connector=hubspot,") {
			calls += v - before[k]
		}
	}
	if calls != float64(rep.TotalCalls()) {
		t.Errorf("observed %v calls, the run counted %d", calls, rep.TotalCalls())
	}
	if after["rfmsync_crm_daily_quota_limit"] != 625000 || after["rfmsync_crm_daily_quota_used"] < float64(rep.TotalCalls()) {
		t.Errorf("quota gauges: used %v limit %v", after["rfmsync_crm_daily_quota_used"], after["rfmsync_crm_daily_quota_limit"])
	}
	if after["rfmsync_last_success_timestamp_seconds"] == 0 || after["rfmsync_runs_total,result=success"] != 1 {
		t.Error("the run's success is not in the metrics")
	}
	if h, _ := d.db.History(0); len(h) != 1 || h[0].Written != rep.Written {
		t.Errorf("history = %+v", h)
	}
	// A restarted daemon declares the call kinds the history names.
	d.Close()
	d2, err := newDaemon(cfg, newLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	h = d2.board.Handler()
	restarted := scrape()
	for kind := range rep.APICalls {
		if _, ok := restarted["rfmsync_crm_api_calls_total,connector=hubspot,kind="+kind+",outcome=rate_limited"]; !ok {
			t.Errorf("after a restart, no counter for %s calls", kind)
		}
	}
	// The history's finish is taken a moment before the board's.
	if d := restarted["rfmsync_last_success_timestamp_seconds"] - after["rfmsync_last_success_timestamp_seconds"]; d > 0 || d < -1 {
		t.Errorf("last success across the restart moved by %vs", d)
	}
}
