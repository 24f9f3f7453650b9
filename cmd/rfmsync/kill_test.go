package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/internal/demo"
	"github.com/rfmsync/rfmsync/internal/synth"
)

// childArgsEnv carries the arguments of a child rfmsync process: the test
// binary re-executes itself as the real command, so it can be SIGKILLed.
const childArgsEnv = "RFMSYNCTEST_CHILD_ARGS" // not RFMSYNC_: that prefix is config overrides only

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgsEnv); args != "" {
		os.Exit(run(strings.Split(args, "\n"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// killCase is one place in a sync where the process dies.
type killCase struct {
	name string
	// route and n: the n-th request of that route is served by the CRM,
	// then the process is killed before it sees the answer.
	match func(r *http.Request) bool
	n     int
	// before kills the process before the CRM sees the request.
	before bool
}

func isWrite(r *http.Request) bool  { return strings.HasSuffix(r.URL.Path, "/batch/update") }
func isSearch(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/search") }

// TestKilledSyncEndsInSameCRMState kills an incremental `rfmsync once` with
// SIGKILL at several points — mid-pull, before a write, and between a CRM
// write and the state commit that records it — restarts it, and compares
// every contact's RFM fields with those of an uninterrupted run over an
// identical CRM. (A first sync heals any crash by rewriting everything, so
// the kill lands in the second, diff-only sync, where it matters.)
func TestKilledSyncEndsInSameCRMState(t *testing.T) {
	want, writes := crmAfter(t, killCase{name: "uninterrupted"})
	if len(want) == 0 {
		t.Fatal("the reference run wrote nothing")
	}
	for _, kc := range []killCase{
		{name: "during the pull", match: isSearch, n: 1},
		{name: "before the second write", match: isWrite, n: 2, before: true},
		{name: "after the first write", match: isWrite, n: 1},
		{name: "after the third write", match: isWrite, n: 3},
		{name: "after the last write", match: isWrite, n: writes},
	} {
		t.Run(kc.name, func(t *testing.T) {
			got, _ := crmAfter(t, kc)
			checkSameCRMState(t, "contact", got, want)
		})
	}
}

// crmAfter builds a fresh fake CRM, runs a first sync, changes the CRM, runs
// a second sync that is killed as kc says (if at all) and again to
// completion, and returns every contact's RFM field values and the write
// calls the second sync made.
func crmAfter(t *testing.T, kc killCase) (map[string]map[string]string, int) {
	t.Helper()
	fake := hubspottest.New(hubspottest.Options{
		Tokens: map[string][]string{"kill-token": nil}, BurstLimit: -1, SearchPerSecond: -1, AssociationBurst: -1,
	})
	defer fake.Close()
	base, err := demo.Seed(fake, synth.Spec{Customers: 120, Orders: 700, End: fake.Now().Add(-time.Hour), Years: 2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := &killer{kc: kc, isWrite: isWrite}
	front := httptest.NewServer(k.front(fake))
	defer front.Close()
	cfgPath := filepath.Join(dir, "rfmsync.yaml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `
state: {path: %s}
listen: ""
crm:
  type: hubspot
  hubspot:
    token: kill-token
    base_url: %s
    object: contacts
    sources: [deals]
    search_lag: 1m
    limits: {ten_second: 250, search_per_second: 5}
    write_batch: 3
fields: {r: rfm_r, f: rfm_f, m: rfm_m, rfm: rfm_code, segment: rfm_segment, monetary: rfm_monetary,
  frequency: rfm_frequency, last_purchase_at: rfm_last_purchase_at, previous_segment: rfm_previous_segment,
  segment_changed_at: rfm_segment_changed_at}
`, filepath.Join(dir, "state.db"), front.URL), 0o600)
	var out, errb bytes.Buffer
	if code := run([]string{"fields", "ensure", "--config", cfgPath}, &out, &errb); code != exitOK {
		t.Fatalf("fields ensure: exit %d: %s", code, errb.String())
	}
	if code := run([]string{"once", "--config", cfgPath, "--asof", "2024-06-01T00:00:00Z"}, &out, &errb); code != exitOK {
		t.Fatalf("first sync: exit %d: %s", code, errb.String())
	}
	demo.Mutate(fake, base, 3, fake.Now())
	args := []string{"once", "--config", cfgPath, "--asof", "2024-06-08T00:00:00Z"}
	writes := k.syncKilledThenDone(t, args)
	got := map[string]map[string]string{}
	for _, id := range base.Contacts {
		rec, ok := fake.Get(hubspottest.Contacts, id)
		if !ok {
			continue
		}
		vals := map[string]string{}
		for name, v := range rec.Properties {
			if strings.HasPrefix(name, "rfm_") && v != nil && *v != "" {
				vals[name] = *v
			}
		}
		got[id] = vals
	}
	return got, writes
}

// TestSIGTERMAbandonsBatchAndExitsZero stops the daemon with SIGTERM while a
// write is in flight: it must exit 0, and the next sync must finish the job.
func TestSIGTERMAbandonsBatchAndExitsZero(t *testing.T) {
	fake := hubspottest.New(hubspottest.Options{
		Tokens: map[string][]string{"term-token": nil}, BurstLimit: -1, SearchPerSecond: -1, AssociationBurst: -1,
	})
	defer fake.Close()
	// The daemon scores as of now, so the orders end an hour ago, not on the fake's clock.
	if _, err := demo.Seed(fake, synth.Spec{Customers: 80, Orders: 400, End: time.Now().Add(-time.Hour), Years: 2, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	inWrite, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWrite(r) {
			stalled := false
			once.Do(func() { stalled = true })
			if stalled {
				close(inWrite)
				<-release // the daemon gets SIGTERM while this write hangs
				return
			}
		}
		fake.ServeHTTP(w, r)
	}))
	defer front.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "rfmsync.yaml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `
state: {path: %s}
listen: ""
crm:
  type: hubspot
  hubspot: {token: term-token, base_url: %s, object: contacts, sources: [deals], write_batch: 5, limits: {search_per_second: 5}}
fields: {r: rfm_r, segment: rfm_segment}
`, filepath.Join(dir, "state.db"), front.URL), 0o600)
	var out, errb bytes.Buffer
	if code := run([]string{"fields", "ensure", "--config", cfgPath}, &out, &errb); code != exitOK {
		t.Fatalf("fields ensure: exit %d: %s", code, errb.String())
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"=run\n--config\n"+cfgPath+"\n--now")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-inWrite:
	case err := <-exited:
		t.Fatalf("daemon exited before its first write: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second): // a guard against a hang, not a synchronisation
		cmd.Process.Kill()
		t.Fatalf("daemon made no write in 20 s:\n%s", logs.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := <-exited
	close(release)
	if err != nil {
		t.Fatalf("daemon after SIGTERM: %v (want exit 0)\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Errorf("daemon did not log its clean stop:\n%s", logs.String())
	}
	out.Reset()
	if code := run([]string{"once", "--config", cfgPath}, &out, &errb); code != exitOK {
		t.Fatalf("sync after the stop: exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"once", "--config", cfgPath}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "written: 0 customers in 0 calls") {
		t.Fatalf("a further sync still had work: exit %d\n%s", code, out.String())
	}
}
