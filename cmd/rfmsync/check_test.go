package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckFindsWhatTheMachineCannotGive(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml, key string
	}{
		{"state dir missing", "state: {path: " + filepath.Join(dir, "no", "such", "dir", "s.db") + "}\nlisten: \"\"\n", "state.path"},
		{"state path is a directory", "state: {path: " + dir + "}\nlisten: \"\"\n", "state.path"},
		{"listen in use", "state: {path: " + filepath.Join(dir, "s.db") + "}\nlisten: " + busy.Addr().String() + "\n", "listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(cfg, []byte(tc.yaml), 0o600)
			code, out, errOut := runCLI(t, "check", "--config", cfg)
			if code != exitUsage || !strings.Contains(errOut, "config: "+tc.key+": ") {
				t.Fatalf("exit %d, want %d naming %s\n%s%s", code, exitUsage, tc.key, out, errOut)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("check left files behind: %v", entries)
	}
}

func TestCheckPrintsNextRunsAndWarnings(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("schedule: {cron: \"0 3 * * 1\", timezone: Europe/Rome}\nstate: {path: "+
		filepath.Join(dir, "s.db")+"}\nlisten: \"\"\ncrm: {type: hubspot, hubspot: {token: x, object: contacts, sources: [deals]}}\n"), 0o600)
	code, out, errOut := runCLI(t, "check", "--config", cfg, "--offline")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(out, "next run: "); n != 3 || !strings.Contains(out, "03:00 CE") || !strings.Contains(out, "(Mon)") {
		t.Errorf("want three Monday 03:00 runs in Rome time:\n%s", out)
	}
	if !strings.Contains(out, "valid, with warnings") || !strings.Contains(errOut, "no field is mapped") {
		t.Errorf("no warning for a config that maps no field:\nstdout %s\nstderr %s", out, errOut)
	}
}

func TestCheckRefusesAFieldNameTheCRMWouldRefuse(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("state: {path: "+filepath.Join(dir, "s.db")+"}\nlisten: \"\"\n"+
		"crm: {type: hubspot, hubspot: {token: x, object: contacts, sources: [deals]}}\nfields: {segment: RFM-Segment}\n"), 0o600)
	code, _, errOut := runCLI(t, "check", "--config", cfg, "--offline")
	if code != exitUsage || !strings.Contains(errOut, "config: fields.segment: ") {
		t.Fatalf("exit %d, want %d naming fields.segment: %s", code, exitUsage, errOut)
	}
}

func TestUnknownOverrideIsAUsageError(t *testing.T) {
	t.Setenv("RFMSYNC_RFM__WINDOWDAYS", "30")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("listen: \"\"\n"), 0o600)
	code, _, errOut := runCLI(t, "check", "--config", cfg)
	if code != exitUsage || !strings.Contains(errOut, "RFMSYNC_RFM__WINDOW_DAYS") {
		t.Fatalf("exit %d, want %d suggesting RFMSYNC_RFM__WINDOW_DAYS: %s", code, exitUsage, errOut)
	}
}
