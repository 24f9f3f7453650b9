package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"sync"
	"testing"

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
	if len(rows)-1 != real.Report.Written || rows[0][0] != "customer_type" || !strings.Contains(strings.Join(rows[0], ","), "segment") {
		t.Errorf("export csv: %d rows for %d written; header %v", len(rows)-1, real.Report.Written, rows[0])
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
