package main

import (
	"bytes"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// killer sits in front of a CRM fake in the SIGKILL tests of every CRM: it
// counts the write requests and, at the kill case's request, lets the CRM
// do the work (unless before) and kills the child before it hears back.
type killer struct {
	kc      killCase
	isWrite func(*http.Request) bool

	mu     sync.Mutex
	victim *exec.Cmd
	seen   int
	writes int
}

// intercept handles r when it is the one to kill at, with crm doing the
// CRM's work, and reports whether it did; otherwise the caller serves r.
func (k *killer) intercept(w http.ResponseWriter, r *http.Request, crm http.Handler) bool {
	k.mu.Lock()
	hit := false
	if k.isWrite(r) {
		k.writes++
	}
	if k.kc.match != nil && k.victim != nil && k.kc.match(r) {
		k.seen++
		hit = k.seen == k.kc.n
	}
	k.mu.Unlock()
	if !hit {
		return false
	}
	if !k.kc.before {
		// The CRM does the work; the process dies before it hears back.
		crm.ServeHTTP(httptest.NewRecorder(), r)
	}
	k.mu.Lock()
	k.victim.Process.Kill()
	k.mu.Unlock()
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
		}
	}
	return true
}

// front serves crm behind the killer.
func (k *killer) front(crm http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !k.intercept(w, r, crm) {
			crm.ServeHTTP(w, r)
		}
	})
}

// writeCount is the write requests seen so far.
func (k *killer) writeCount() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.writes
}

// syncKilledThenDone runs `rfmsync args` as a child process: first as the
// victim the killer kills (when its case has a match), then again to
// completion. It returns the write requests the runs made.
func (k *killer) syncKilledThenDone(t *testing.T, args []string) int {
	t.Helper()
	before := k.writeCount()
	kill := k.kc.match != nil
	for attempt := 0; attempt < 2; attempt++ {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(args, "\n"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		killed := attempt == 0 && kill
		k.mu.Lock()
		k.victim = nil
		if killed {
			k.victim = cmd
		}
		if err := cmd.Start(); err != nil {
			k.mu.Unlock()
			t.Fatal(err)
		}
		k.mu.Unlock()
		err := cmd.Wait()
		switch {
		case killed && err == nil:
			t.Fatalf("the sync was meant to be killed but finished:\n%s", out.String())
		case !killed && err != nil:
			t.Fatalf("sync failed: %v\n%s", err, out.String())
		}
		if !killed {
			break
		}
	}
	return k.writeCount() - before
}

// checkSameCRMState compares every customer's fields after a killed and
// restarted sync with those of the uninterrupted run; what names them.
func checkSameCRMState(t *testing.T, what string, got, want map[string]map[string]string) {
	t.Helper()
	if maps.EqualFunc(got, want, maps.Equal) {
		return
	}
	diff := 0
	for id, w := range want {
		if !maps.Equal(got[id], w) {
			if diff < 3 {
				t.Errorf("%s %s: got %v, want %v", what, id, got[id], w)
			}
			diff++
		}
	}
	t.Fatalf("%d of %d %ss differ from the uninterrupted run", diff, len(want), what)
}
