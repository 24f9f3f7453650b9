package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
)

func TestDemoVtenext(t *testing.T) {
	code, out, errOut := runCLI(t, "demo", "--crm", "vtenext", "--contacts", "300", "--deals", "1500")
	if code != exitOK {
		t.Fatalf("demo --crm vtenext: exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range []string{"fake vtenext at", "exists", "== first sync", "== second sync",
		"ran order re-read of salesorder, repair pass", "re-read salesorder:", "repaired 1 customer", "revise", "demo finished"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runCLI(t, "demo", "--crm", "pipedrive"); code != exitUsage {
		t.Errorf("unknown --crm: exit %d, want %d", code, exitUsage)
	}
}

// TestFieldsEnsureVtenextPrintsTheManualSteps runs `fields ensure` against
// a fake vtenext where one mapped field exists, one exists under another
// cf_ name and one is missing: nothing can be created through the API.
func TestFieldsEnsureVtenextPrintsTheManualSteps(t *testing.T) {
	fake := vtenexttest.New(vtenexttest.Options{})
	defer fake.Close()
	web := httptest.NewServer(fake)
	defer web.Close()
	r := fake.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM R score", Type: vtenexttest.TypeDouble})
	seg := fake.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM segment", Type: vtenexttest.TypePicklist})
	cfgPath := filepath.Join(t.TempDir(), "rfmsync.yaml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `
state: {path: %s}
listen: ""
crm:
  type: vtenext
  vtenext: {url: %s, username: %s, access_key: %s, object: Accounts}
fields: {r: %s, segment: cf_k3p_7777, monetary: cf_k3p_8888}
`, filepath.Join(t.TempDir(), "state.db"), web.URL, vtenexttest.DefaultUser, vtenexttest.DefaultAccessKey, r), 0o600)
	code, out, errOut := runCLI(t, "fields", "ensure", "--config", cfgPath)
	if code == exitOK || !strings.Contains(errOut, "need an administrator") {
		t.Errorf("fields ensure with fields to add by hand: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"cf_k3p_7777", "found as", seg, "cf_k3p_8888", "create by hand", "Layout Editor", "RFM monetary value", "Number"} {
		if !strings.Contains(out, want) {
			t.Errorf("fields ensure output lacks %q:\n%s", want, out)
		}
	}
	if n := fake.Count("revise"); n != 0 {
		t.Errorf("fields ensure wrote %d records", n)
	}
}

// TestRefusedVtenextLoginIsNotRetriedByLaterRuns: a wrong access key is
// tried once; the breaker kept in the state file stops every later run
// from logging in, so cron ticks never lock the user out (five failures
// would).
func TestRefusedVtenextLoginIsNotRetriedByLaterRuns(t *testing.T) {
	fake := vtenexttest.New(vtenexttest.Options{})
	defer fake.Close()
	web := httptest.NewServer(fake)
	defer web.Close()
	r := fake.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM R score", Type: vtenexttest.TypeDouble})
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "rfmsync.yaml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `
state: {path: %s}
listen: ""
crm:
  type: vtenext
  vtenext: {url: %s, username: %s, access_key: not-the-key, object: Accounts}
fields: {r: %s}
`, filepath.Join(dir, "state.db"), web.URL, vtenexttest.DefaultUser, r), 0o600)
	for run := 0; run < 6; run++ {
		code, out, errOut := runCLI(t, "once", "--config", cfgPath)
		if code == exitOK {
			t.Fatalf("run %d with a wrong key succeeded:\n%s", run, out)
		}
		if run == 0 && !strings.Contains(out+errOut, "crm.vtenext.access_key") {
			t.Errorf("the first refusal does not say what to fix:\n%s%s", out, errOut)
		}
	}
	if n := fake.FailedLogins(vtenexttest.DefaultUser, "127.0.0.1"); n != 1 || fake.Locked(vtenexttest.DefaultUser, "127.0.0.1") {
		t.Errorf("%d failed logins over six runs (locked: %v), want exactly one", n, fake.Locked(vtenexttest.DefaultUser, "127.0.0.1"))
	}
}
