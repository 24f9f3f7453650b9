package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/state"
)

// TestCorruptStateFileExitsOneWithoutStackTrace runs `rfmsync once` as a
// child process on damaged state files: each must exit 1 with the advice to
// move the file aside, no stack trace, no raw bytes, and no CRM request.
func TestCorruptStateFileExitsOneWithoutStackTrace(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	db, err := state.Open(good, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for p := range 10 {
		var ch []state.Change
		for i := range 200 {
			ch = append(ch, state.Change{OrderID: fmt.Sprintf("d%d-%d", p, i),
				Fact: state.Fact{Customer: connector.CustomerKey{Type: "contacts", ID: fmt.Sprint(i*3 + p)}}})
		}
		if _, err := db.ApplyPage("deals", ch, []byte("c")); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	half := b[:len(b)/2]
	zeroed := append([]byte(nil), b...)
	clear(zeroed[4*4096 : 8*4096])
	flipped := append([]byte(nil), b...)
	for i := 2 * 4096; i < len(flipped); i += 97 {
		flipped[i] ^= 0x10
	}
	var calls atomic.Int64
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	defer crm.Close()
	for _, tc := range []struct {
		name string
		body []byte
		want string
	}{
		{"truncated to half", half, "state file corrupt: move it aside, rfmsync will re-pull"},
		{"pages zeroed", zeroed, "state file corrupt: move it aside, rfmsync will re-pull"},
		{"bits flipped", flipped, "state file corrupt: move it aside, rfmsync will re-pull"},
		{"0 bytes", nil, "state file is empty (0 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			statePath := filepath.Join(dir, "state.db")
			if err := os.WriteFile(statePath, tc.body, 0o600); err != nil {
				t.Fatal(err)
			}
			cfgPath := filepath.Join(dir, "rfmsync.yaml")
			os.WriteFile(cfgPath, fmt.Appendf(nil, `
state: {path: %s}
listen: ""
crm:
  type: hubspot
  hubspot: {token: corrupt-token, base_url: %s, object: contacts, sources: [deals]}
fields: {segment: rfm_segment}
`, statePath, crm.URL), 0o600)
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), childArgsEnv+"=once\n--config\n"+cfgPath)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitFailed {
				t.Fatalf("exit: %v, want code %d\n%s", err, exitFailed, out.String())
			}
			s := out.String()
			if !strings.Contains(s, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, s)
			}
			for _, bad := range []string{"goroutine ", "panic:", "SIGSEGV", "SIGBUS", ".go:"} {
				if strings.Contains(s, bad) {
					t.Errorf("output shows a crash (%q):\n%s", bad, s)
				}
			}
			for _, r := range s {
				if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || r == 0xfffd) {
					t.Fatalf("output carries raw bytes: %q", s)
				}
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("%d CRM requests despite a damaged state file", n)
			}
		})
	}
}
