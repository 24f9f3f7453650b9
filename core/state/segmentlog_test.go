package state

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestSegmentLogAppendsDedupesAndBounds(t *testing.T) {
	db, path := openTemp(t)
	a, b := cust("a"), cust("b")
	log := func(k connector.CustomerKey, at int, seg string) {
		t.Helper()
		if err := db.LogSegments(map[connector.CustomerKey]SegmentStep{k: {At: asof + day*rInstant(at), Segment: seg}}); err != nil {
			t.Fatal(err)
		}
	}
	log(a, 0, "new")
	log(a, 0, "new") // a resumed run logs the same move again
	log(a, 30, "loyal")
	log(b, 5, "at_risk")
	log(a, 20, "champions") // older than the last step: out of order, dropped
	got := map[string][]SegmentStep{}
	if err := db.ForEachSegmentLog(func(k connector.CustomerKey, s []SegmentStep) error {
		got[k.ID] = s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]SegmentStep{
		"a": {{asof, "new"}, {asof + 30*day, "loyal"}},
		"b": {{asof + 5*day, "at_risk"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("log = %v, want %v", got, want)
	}
	for i := range KeepSegmentSteps + 5 {
		log(b, 10+i, fmt.Sprintf("s%d", i%2))
	}
	// Survives a reopen, bounded to the latest steps.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var steps []SegmentStep
	_ = db2.ForEachSegmentLog(func(k connector.CustomerKey, s []SegmentStep) error {
		if k == b {
			steps = s
		}
		return nil
	})
	if len(steps) != KeepSegmentSteps || steps[len(steps)-1].At != asof+day*rInstant(10+KeepSegmentSteps+4) {
		t.Errorf("bounded log: %d steps, last %v", len(steps), steps[len(steps)-1])
	}
}

func TestSegmentLogRejectsDamagedValues(t *testing.T) {
	for _, b := range [][]byte{{0x80}, {2, 9, 'x'}} {
		if _, err := decodeSteps(b); err == nil {
			t.Errorf("decodeSteps(%v) accepted a damaged value", b)
		}
	}
}

func rInstant(n int) rfm.Instant { return rfm.Instant(n) }
