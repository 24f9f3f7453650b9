package syncloop_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// TestSkippedRecordsKeepABoundedSample: an admin gets a few record ids per
// reason to go and fix, never all of them.
func TestSkippedRecordsKeepABoundedSample(t *testing.T) {
	e := newEnv(t)
	for i := range 7 {
		e.crm.PutOrder(fmt.Sprintf("bad-%d", i), key(1), t0, "12,50", true)
	}
	rep, err := e.run(func(o *syncloop.Options) { o.DryRun = true; o.SampleSize = 3 })
	if err != nil {
		t.Fatal(err)
	}
	got := rep.SampleSkipped[rfm.SkipBadAmount]
	if rep.Skipped[rfm.SkipBadAmount] != 7 || len(got) != 3 {
		t.Fatalf("skipped %d, sample %v: want 7 counted and 3 sampled", rep.Skipped[rfm.SkipBadAmount], got)
	}
	for _, id := range got {
		if !strings.Contains(id, "/bad-") {
			t.Errorf("sample %q does not name the source and record", id)
		}
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "bad_amount e.g. "+got[0]) {
		t.Errorf("printed report lacks the sample:\n%s", out.String())
	}
}
