package main

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// syncKilledThenDone runs `rfmsync args` as a child process, as the SIGKILL
// tests of every CRM do: first as a victim the CRM front kills (when kill
// is set), then again to completion. setVictim, called under mu, tells the
// front which process to kill (nil: none).
func syncKilledThenDone(t *testing.T, args []string, kill bool, mu *sync.Mutex, setVictim func(*exec.Cmd)) {
	t.Helper()
	for attempt := 0; attempt < 2; attempt++ {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(args, "\n"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		killed := attempt == 0 && kill
		mu.Lock()
		if killed {
			setVictim(cmd)
		} else {
			setVictim(nil)
		}
		if err := cmd.Start(); err != nil {
			mu.Unlock()
			t.Fatal(err)
		}
		mu.Unlock()
		err := cmd.Wait()
		switch {
		case killed && err == nil:
			t.Fatalf("the sync was meant to be killed but finished:\n%s", out.String())
		case !killed && err != nil:
			t.Fatalf("sync failed: %v\n%s", err, out.String())
		}
		if !killed {
			return
		}
	}
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
