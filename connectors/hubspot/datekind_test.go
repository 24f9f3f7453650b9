package hubspot

import (
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/outputs"
)

// The date kind end to end: fields ensure creates a HubSpot date property,
// the sync writes the UTC day, and the repair pass reads back what HubSpot
// stores without rewriting it.
func TestLastPurchaseDateIsADateProperty(t *testing.T) {
	s := newFake(t, hubspottest.Options{})
	fields := map[string]string{outputs.LastPurchaseDate: "rfm_last_day", outputs.Segment: "rfm_segment"}
	c := connect(t, s, map[string]any{"repair_every": "1m"})
	ensureFields(t, c, fields)
	p, ok := s.Property(hubspottest.Contacts, "rfm_last_day")
	if !ok || p.Type != "date" || p.FieldType != "date" {
		t.Fatalf("rfm_last_day property = %+v, %v; want date/date", p, ok)
	}
	seedPortal(s, 60)
	path := filepath.Join(t.TempDir(), "state.db")
	s.Advance(10 * time.Minute)
	rep := syncOnce(t, s, c, path, fields)
	if rep.Written == 0 {
		t.Fatalf("nothing written: %+v", rep)
	}
	day := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	for _, id := range s.IDs(hubspottest.Contacts) {
		if v, _ := s.Value(hubspottest.Contacts, id, "rfm_last_day"); v != "" && !day.MatchString(v) {
			t.Fatalf("contact %s rfm_last_day = %q, want YYYY-MM-DD", id, v)
		}
	}
	s.Advance(2 * time.Minute)
	rep = syncOnce(t, s, connect(t, s, map[string]any{"repair_every": "1m"}), path, fields)
	if !slices.Contains(rep.Scans, "repair pass") {
		t.Fatalf("the repair pass did not run: %v", rep.Scans)
	}
	if rep.Repaired != 0 || rep.Written != 0 {
		t.Errorf("a second run repaired %d and wrote %d: stored dates must read back as written", rep.Repaired, rep.Written)
	}
}
