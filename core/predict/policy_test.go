package predict

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestRefreshPolicyUnitAndDryRun(t *testing.T) {
	db := loadState(t, filepath.Join(t.TempDir(), "state.db"), "../clv/testdata/cdnow_sample.csv")
	defer db.Close()
	w := cdnowWindow(t)
	now := time.Date(1997, 10, 1, 0, 0, 0, 0, time.UTC)
	rec, ok, r, err := RefreshWith(db, w, now, Policy{DryRun: true})
	if err != nil || !ok || !r.Refitted || rec.Version != 0 || rec.Model.Unit != clv.Week {
		t.Fatalf("dry refresh: %+v ok=%v %+v %v", rec, ok, r, err)
	}
	if _, stored, _ := db.CurrentModel(); stored {
		t.Fatal("a dry run stored its fit")
	}
	if _, _, r, err = RefreshWith(db, w, now, Policy{}); err != nil || r.Version != 1 {
		t.Fatalf("store: %+v %v", r, err)
	}
	// Another unit makes the stored model due at once; its shift is not
	// reported, since alpha is in another unit.
	rec, _, r, err = RefreshWith(db, w, now.Add(time.Hour), Policy{Unit: clv.Day})
	if err != nil || !r.Refitted || r.Version != 2 || rec.Model.Unit != clv.Day || r.Shift != (clv.Shift{}) {
		t.Fatalf("unit change: %+v %+v %v", rec.Model, r, err)
	}
	// Same unit, within the cadence: kept.
	if _, _, r, _ = RefreshWith(db, w, now.Add(2*time.Hour), Policy{Unit: clv.Day}); r.Refitted {
		t.Fatal("refitted within the cadence")
	}
}

func TestSegmentRankOrdersByScore(t *testing.T) {
	rank := SegmentRank(rfm.DefaultParams(), "inactive")
	pos := func(id string) int { return slices.Index(rank, id) }
	if rank[0] != "champions" || rank[len(rank)-1] != "inactive" {
		t.Errorf("rank = %v, want champions first and inactive last", rank)
	}
	if pos("lost") < 0 || pos("hibernating") < 0 || pos("lost") < pos("at_risk") || pos("loyal_customers") < 0 || pos("loyal_customers") > pos("hibernating") {
		t.Errorf("rank = %v", rank)
	}
}
