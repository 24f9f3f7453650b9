package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
	"github.com/rfmsync/rfmsync/internal/demo"
	"github.com/rfmsync/rfmsync/internal/synth"
)

// vtenext requests name their operation in the query string.
func vtenextOp(op string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Query().Get("operation") == op }
}

// TestKilledVtenextSyncEndsInSameCRMState is the SIGKILL test for vtenext:
// an incremental `rfmsync once` killed mid-pull, before a revise, and
// between revises the CRM applied and the state commit that records them,
// then restarted, leaves every account's RFM fields as an uninterrupted
// run does.
func TestKilledVtenextSyncEndsInSameCRMState(t *testing.T) {
	want, writes := vtenextAfter(t, killCase{name: "uninterrupted"})
	if len(want) == 0 || writes == 0 {
		t.Fatalf("the reference run wrote nothing (%d revises)", writes)
	}
	for _, kc := range []killCase{
		{name: "during the pull", match: vtenextOp("query"), n: 2},
		{name: "before the second revise", match: vtenextOp("revise"), n: 2, before: true},
		{name: "after the first revise", match: vtenextOp("revise"), n: 1},
		{name: "after the fourth revise", match: vtenextOp("revise"), n: 4},
		{name: "after the last revise", match: vtenextOp("revise"), n: writes},
	} {
		t.Run(kc.name, func(t *testing.T) {
			got, _ := vtenextAfter(t, kc)
			checkSameCRMState(t, "account", got, want)
		})
	}
}

// vtenextAfter seeds a fresh fake vtenext, runs a first sync, changes the
// CRM, runs a second sync killed as kc says (if at all) and again to
// completion, and returns every account's RFM values and the revises the
// second sync made.
func vtenextAfter(t *testing.T, kc killCase) (map[string]map[string]string, int) {
	t.Helper()
	fake := vtenexttest.New(vtenexttest.Options{})
	defer fake.Close()
	base, err := demo.SeedVtenext(fake, synth.Spec{Customers: 40, Orders: 300, End: fake.Now().Add(-time.Hour), Years: 2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := &killer{kc: kc, isWrite: vtenextOp("revise")}
	front := httptest.NewServer(k.front(fake))
	defer front.Close()
	var fields []string
	for out, name := range base.Fields {
		fields = append(fields, out+": "+name)
	}
	cfgPath := filepath.Join(dir, "rfmsync.yaml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `
state: {path: %s}
listen: ""
crm:
  type: vtenext
  vtenext:
    url: %s
    username: %s
    access_key: %s
    object: Accounts
    sources: [salesorder]
    query_lag: 30s
    page_size: 2
    write_rate: 50
    write_batch: 3
fields: {%s}
`, filepath.Join(dir, "state.db"), front.URL, vtenexttest.DefaultUser, vtenexttest.DefaultAccessKey, strings.Join(fields, ", ")), 0o600)
	asof := fake.Now()
	var out, errb bytes.Buffer
	if code := run([]string{"once", "--config", cfgPath, "--asof", asof.Format(time.RFC3339)}, &out, &errb); code != exitOK {
		t.Fatalf("first sync: exit %d: %s%s", code, out.String(), errb.String())
	}
	fake.Advance(time.Hour)
	demo.MutateVtenext(fake, base, 3)
	args := []string{"once", "--config", cfgPath, "--asof", asof.Add(7 * 24 * time.Hour).Format(time.RFC3339)}
	writes := k.syncKilledThenDone(t, args)
	got := map[string]map[string]string{}
	for _, id := range base.Accounts {
		rec := fake.Get(id)
		vals := map[string]string{}
		for _, name := range base.Fields {
			if v := rec[name]; v != "" {
				vals[name] = v
			}
		}
		got[id] = vals
	}
	return got, writes
}
