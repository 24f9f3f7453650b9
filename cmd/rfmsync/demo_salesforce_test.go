package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestDemoSalesforce runs `demo --crm salesforce` on a small org: fields are
// created and granted, the first sync writes every scored account, and the
// second writes only the changed ones, repairs the hand edit and treats
// the merged account as gone.
func TestDemoSalesforce(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"demo", "--crm", "salesforce", "--contacts", "300", "--deals", "1200"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), out.String())
	}
	s := out.String()
	for _, want := range []string{"grant access (granted Read and Edit through permission set RFM_Sync)",
		"== first sync: everything is new ==", "repaired 1 customer", "1 account merged"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	written := regexp.MustCompile(`written: (\d+) customers`).FindAllStringSubmatch(s, -1)
	if len(written) != 2 || written[0][1] == written[1][1] {
		t.Errorf("written lines %v", written)
	}
	var bad bytes.Buffer
	if code := run([]string{"demo", "--crm", "pipedrive"}, &bad, &bad); code != exitUsage {
		t.Errorf("--crm pipedrive: exit %d", code)
	}
}
