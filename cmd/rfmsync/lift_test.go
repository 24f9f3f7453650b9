package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/lift"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

func TestLiftCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "state.db")
	db, err := state.Open(dbPath, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := rfm.InstantOf(time.Now())
	day := rfm.Instant(rfm.DaySeconds * 1_000_000)
	// 200 customers entered at_risk 100 days ago; every other one moved to
	// champions 20 days later. Three entered lost: too few to compare.
	for i := range 203 {
		k := connector.CustomerKey{Type: "contacts", ID: fmt.Sprintf("c%d", i)}
		seg := "at_risk"
		if i >= 200 {
			seg = "lost"
		}
		if err := db.LogSegments(map[connector.CustomerKey]state.SegmentStep{k: {At: now - 100*day, Segment: seg}}); err != nil {
			t.Fatal(err)
		}
		if i < 200 && i%2 == 0 {
			if err := db.LogSegments(map[connector.CustomerKey]state.SegmentStep{k: {At: now - 80*day, Segment: "champions"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	db.Close()
	cfg := filepath.Join(dir, "rfmsync.yaml")
	doc := fmt.Sprintf("state:\n  path: %s\npredict:\n  holdout:\n    share: 0.5\n    key: ${HK}\n  lift:\n    window_days: 30\n    min_entries: 5\n", dbPath)
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HK", "lift-test-key-0123456789")
	var out, errOut bytes.Buffer
	if err := runLift([]string{"--config", cfg, "--json"}, &out, &errOut); err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	var res struct {
		Customers int        `json:"customers"`
		HeldOut   int        `json:"held_out"`
		Entries   int        `json:"entries"`
		Rows      []lift.Row `json:"rows"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	rows := map[string]lift.Row{}
	for _, r := range res.Rows {
		rows[r.Segment] = r
	}
	risk, lost := rows["at_risk"], rows["lost"]
	if res.Customers != 203 || res.HeldOut == 0 || res.HeldOut == 203 || res.Entries != 303 {
		t.Errorf("customers %d, held out %d, entries %d", res.Customers, res.HeldOut, res.Entries)
	}
	if risk.Treated.Entries+risk.Holdout.Entries != 200 || risk.Treated.Successes+risk.Holdout.Successes != 100 || !risk.Enough {
		t.Errorf("at_risk row = %+v", risk)
	}
	if lost.Enough || lost.Verdict != lift.TooFew {
		t.Errorf("lost row = %+v, want too few customers", lost)
	}
	if c := rows["champions"]; c.Treated.Successes+c.Holdout.Successes != 0 || c.Treated.Entries+c.Holdout.Entries != 100 {
		t.Errorf("champions row = %+v: nothing is better than champions", c)
	}
	out.Reset()
	if err := runLift([]string{"--config", cfg}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"at_risk", "too few customers", "303 entries", "difference"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	// Without a holdout there is nothing to compare: a config error.
	off := filepath.Join(dir, "off.yaml")
	if err := os.WriteFile(off, []byte(fmt.Sprintf("state:\n  path: %s\n", dbPath)), 0o600); err != nil {
		t.Fatal(err)
	}
	err = runLift([]string{"--config", off}, &out, &errOut)
	if _, usage := err.(usageError); !usage || !strings.Contains(err.Error(), "predict.holdout.share") {
		t.Errorf("without a holdout: %v", err)
	}
}
