package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestScoreCSV(t *testing.T) {
	dir := t.TempDir()
	orders := filepath.Join(dir, "orders.csv")
	data := "order_id,customer_id,closed_at,amount,status,note\n" +
		"1,b,2024-12-30T00:00:00Z,10.10,won,x\n" +
		"2,b,2024-12-31,20.20,won,x\n" +
		"3,a,2024-06-01,5,won,x\n" +
		"4,a,2024-06-02,-7.5,won,x\n" +
		"5,c,2024-06-02,100,lost,x\n" +
		"6,c,,100,won,x\n"
	if err := os.WriteFile(orders, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "score", "--orders", orders, "--asof", "2025-01-01T00:00:00Z")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "customer_id,recency_days,frequency,monetary,r,f,m,rfm,segment\n" +
		"a,214,1,-2.50,1,1,1,111,Lost\n" +
		"b,1,2,30.30,3,3,3,333,Need Attention\n"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	for _, s := range []string{"not_won=1", "bad_closed_at=1", "2 customers scored"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}
	// --out writes a file; --window-days drops a's June orders.
	outFile := filepath.Join(dir, "scores.csv")
	code, _, errOut = runCLI(t, "score", "--orders", orders, "--asof", "2025-01-01T00:00:00Z", "--window-days", "30", "--out", outFile)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, _ := os.ReadFile(outFile)
	if !strings.HasSuffix(string(got), "b,1,2,30.30,1,1,1,111,Lost\n") || strings.Contains(string(got), "\na,") {
		t.Fatalf("windowed scores:\n%s", got)
	}
}

func TestScoreEmbeddedSample(t *testing.T) {
	code, out, errOut := runCLI(t, "score")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.Contains(errOut, "Champions") || !strings.Contains(errOut, "avg order") {
		t.Errorf("the sample's segment table is missing from stderr:\n%s", errOut)
	}
	if len(lines) < 300 || !strings.Contains(errOut, "embedded sample") {
		t.Fatalf("sample scored %d rows; stderr %s", len(lines)-1, errOut)
	}
	if !strings.Contains(out, "12347,2,7,4310.00,5,5,5,555,Champions") {
		t.Errorf("customer 12347 not scored as in the UCI data")
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{"frobnicate"},
		{"score", "--asof", "yesterday"},
		{"score", "--orders", "/does/not/exist.csv"},
		{"score", "--no-such-flag"},
		{"score", "extra"},
	}
	for _, args := range cases {
		if code, _, errOut := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errOut)
		}
	}
	for _, args := range [][]string{{"--help"}, {"score", "--help"}, {"version"}} {
		code, out, _ := runCLI(t, args...)
		if code != exitOK || out == "" {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Setenv("RFMSYNC_LISTEN", "127.0.0.1:0") // the default port may be taken on a shared machine
	dir := t.TempDir()
	t.Setenv("RFMSYNC_STATE__PATH", filepath.Join(dir, "state.db"))
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("rfm:\n  segments:\n    preset: four\nfields:\n  segment: rfm_segment\n"), 0o600)
	code, out, errOut := runCLI(t, "check", "--config", good)
	if code != exitOK || !strings.Contains(out, "high_value") || !strings.Contains(out, "M=5") {
		t.Fatalf("check good: exit %d\n%s%s", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("rfm:\n  bins: 12\n  recency:\n    method: threshold\n    cuts: [30, 10]\n"), 0o600)
	code, _, errOut = runCLI(t, "check", "--config", bad)
	if code != exitUsage || !strings.Contains(errOut, "rfm.bins") {
		t.Fatalf("check bad: exit %d, stderr %s", code, errOut)
	}
	// score refuses a bad config before reading any order.
	code, _, errOut = runCLI(t, "score", "--config", bad)
	if code != exitUsage || !strings.Contains(errOut, "rfm.bins") {
		t.Fatalf("score with bad config: exit %d, stderr %s", code, errOut)
	}
	// score honours the config's scoring: a 2-bin threshold map.
	th := filepath.Join(dir, "th.yaml")
	os.WriteFile(th, []byte(`rfm:
  bins: 2
  frequency: {method: threshold, cuts: [8]}
  recency: {method: threshold, cuts: [3]}
  monetary: {method: threshold, cuts: [500]}
  segments:
    rules:
      - {id: vip, label: VIP, r: 2, f: 2, m: 2}
      - {id: other, label: Other}
`), 0o600)
	code, out, errOut = runCLI(t, "score", "--config", th)
	if code != exitOK || !strings.Contains(out, "12347,2,7,4310.00,2,1,2,212,Other") {
		t.Fatalf("threshold score: exit %d %s\n%s", code, errOut, out[:min(len(out), 400)])
	}
}

func TestDemo(t *testing.T) {
	code, out, errOut := runCLI(t, "demo", "--contacts", "150", "--deals", "900")
	if code != exitOK {
		t.Fatalf("demo exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range []string{
		"rfm_segment                  create (enumeration/select)",
		"== first sync: everything is new ==", "== second sync, after a week of CRM work ==",
		"Champions", "Can't Lose Them", "revenue", "customers moved (from → to):", "re-read deals:",
		"ran deletion scan of deals, order re-read of deals, repair pass", "API calls:", "demo finished",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// Labels, not ids; the first sync's moves are its segment table, not printed again.
	for _, unwanted := range []string{"loyal_customers", "cant_lose_them", "changes by segment"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("demo output shows %q", unwanted)
		}
	}
	if n := strings.Count(out, "customers moved (from → to)"); n != 1 {
		t.Errorf("moves printed %d times, want once (the second sync)", n)
	}
	// The week of CRM work is a week on the clock.
	var asof []time.Time
	for _, m := range regexp.MustCompile(`(?m)^as of (.+)$`).FindAllStringSubmatch(out, -1) {
		at, err := time.Parse("2006-01-02 15:04 MST", m[1])
		if err != nil {
			t.Fatal(err)
		}
		asof = append(asof, at)
	}
	if len(asof) != 2 || asof[1].Sub(asof[0]) < 7*24*time.Hour || asof[1].Sub(asof[0]) > 7*24*time.Hour+time.Hour {
		t.Errorf("syncs as of %v, want a week apart", asof)
	}
	// The second sync writes only what changed: fewer customers than the first.
	var written []int
	for _, m := range regexp.MustCompile(`written: ([\d,]+) customers`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
		written = append(written, n)
	}
	if len(written) != 2 || written[0] == 0 || written[1] >= written[0] {
		t.Errorf("written per sync = %v, want a full first sync and a smaller second one", written)
	}
}

// The example config must stay valid for the real connectors, not only for
// the config package's stubs.
func TestExampleConfigChecks(t *testing.T) {
	t.Setenv("HUBSPOT_TOKEN", "pat-na1-example")
	t.Setenv("RFMSYNC_LISTEN", "127.0.0.1:0") // the default port may be taken on a shared machine
	t.Setenv("RFMSYNC_STATE__PATH", filepath.Join(t.TempDir(), "state.db"))
	code, out, errOut := runCLI(t, "check", "--config", "../../config.example.yaml", "--offline")
	if code != exitOK || !strings.Contains(out, "crm: hubspot") {
		t.Fatalf("check of config.example.yaml: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "pat-na1-example") {
		t.Fatal("check printed the token")
	}
}

func TestDemoServesDashboardFlag(t *testing.T) {
	// An address that cannot be listened on is a usage error, before any work.
	code, _, errOut := runCLI(t, "demo", "--contacts", "20", "--deals", "40", "--listen", "256.0.0.1:1")
	if code != exitUsage || !strings.Contains(errOut, "--listen") {
		t.Fatalf("demo with a bad --listen: exit %d, %s", code, errOut)
	}
}

// score reads only the rfm section: the CRM's secrets need not be set.
func TestScoreWithExampleConfigNeedsNoSecrets(t *testing.T) {
	t.Setenv("HUBSPOT_TOKEN", "")
	os.Unsetenv("HUBSPOT_TOKEN")
	code, out, errOut := runCLI(t, "score", "--config", "../../config.example.yaml")
	if code != exitOK || !strings.Contains(out, "12347,") {
		t.Fatalf("score --config config.example.yaml without HUBSPOT_TOKEN: exit %d\n%s", code, errOut)
	}
}
