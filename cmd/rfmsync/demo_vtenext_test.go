package main

import (
	"strings"
	"testing"
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
