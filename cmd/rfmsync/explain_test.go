package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/state"
)

func TestExplainCustomerFromState(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "demo", "--contacts", "150", "--deals", "900", "--state-dir", dir)
	if code != exitOK {
		t.Fatalf("demo exit %d: %s", code, errOut)
	}
	// The contact whose segment a person overwrote: scored, written, repaired.
	m := regexp.MustCompile(`repaired 1 customer whose fields .*\((contacts/\d+)\)`).FindStringSubmatch(out)
	asofs := regexp.MustCompile(`(?m)^as of (.+)$`).FindAllStringSubmatch(out, -1)
	if m == nil || len(asofs) != 2 {
		t.Fatalf("demo output lacks the repaired contact or the run times:\n%s", out)
	}
	at, err := time.Parse("2006-01-02 15:04 MST", asofs[1][1])
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "explain.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, "state:\n  path: %s\ncrm:\n  type: hubspot\n  hubspot: {token: unused, object: contacts, sources: [deals]}\nfields: {segment: rfm_segment}\n",
		filepath.Join(dir, "rfmsync.db")), 0o600)
	code, out, errOut = runCLI(t, "explain", "--config", cfg, "--asof", at.Add(time.Minute).Format(time.RFC3339), m[1])
	if code != exitOK {
		t.Fatalf("explain exit %d: %s\n%s", code, errOut, out)
	}
	for _, re := range []string{
		`(?m)^  R [1-5]: \d+ days since the last order \(quantile; R [1-5] holds \d+ customers`,
		`(?m)^  F [1-5]: \d+ orders`, `(?m)^  M [1-5]: [\d,.]+ revenue`,
		`(?m)^  RFM [1-5]{3} \(FM = .* = [1-5]\) → [A-Z][^:]*: rule \d+, R [1-5]`,
		`(?m)^last written to the CRM: segment [A-Z]`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("explain output lacks %s:\n%s", re, out)
		}
	}
	// Scored at the last run's asof, it lands where that run put it.
	now := regexp.MustCompile(`→ ([^:]+): rule`).FindStringSubmatch(out)
	written := regexp.MustCompile(`segment ([^,\n]+)`).FindStringSubmatch(out)
	if now == nil || written == nil || now[1] != written[1] {
		t.Errorf("explained segment %v, last written %v", now, written)
	}
	// The status page's lookup tells the same story.
	loaded, err := loadOfflineConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := state.Open(loaded.State.Path, state.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	text, err := customerLookup(db, loaded)(m[1])
	db.Close()
	if err != nil || !strings.Contains(text, "customer "+m[1]) || !strings.Contains(text, "last written to the CRM: segment "+written[1]) {
		t.Errorf("page lookup: %v\n%s", err, text)
	}
	code, out, _ = runCLI(t, "explain", "--config", cfg, "contacts/1")
	if code != exitFailed || !strings.Contains(out, "not scored") {
		t.Errorf("unknown customer: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "explain", "--config", cfg); code != exitUsage {
		t.Errorf("no customer id: exit %d, want %d", code, exitUsage)
	}
}
