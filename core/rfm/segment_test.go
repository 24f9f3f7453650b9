package rfm

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultMapsCoverEverything(t *testing.T) {
	for name, rules := range map[string][]SegmentRule{"eleven": ElevenSegments(), "four": FourClasses()} {
		m, err := NewSegmentMap(5, rules)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		hit := map[string]bool{}
		for r := 1; r <= 5; r++ {
			for f := 1; f <= 5; f++ {
				for mm := 1; mm <= 5; mm++ {
					hit[m.Lookup(r, f, mm).ID] = true
				}
			}
		}
		if len(hit) != len(rules) {
			t.Errorf("%s: %d of %d segments reachable", name, len(hit), len(rules))
		}
	}
}

func TestElevenSegmentCells(t *testing.T) {
	m, _ := NewSegmentMap(5, ElevenSegments())
	cases := []struct {
		r, f, mm int
		id       string
	}{
		{5, 5, 5, "champions"},
		{5, 4, 3, "champions"}, // fm = 4
		{5, 3, 3, "potential_loyalist"},
		{5, 1, 1, "new_customers"},
		{5, 1, 2, "potential_loyalist"}, // fm = 2
		{4, 1, 1, "promising"},
		{4, 5, 4, "loyal_customers"},
		{3, 3, 2, "need_attention"}, // fm = 3
		{3, 2, 1, "about_to_sleep"},
		{2, 5, 5, "cant_lose_them"},
		{1, 5, 4, "cant_lose_them"}, // fm = 5
		{2, 4, 3, "at_risk"},
		{1, 1, 1, "lost"},
		{1, 2, 1, "hibernating"}, // fm = 2
		{2, 1, 1, "hibernating"},
	}
	for _, c := range cases {
		if got := m.Lookup(c.r, c.f, c.mm).ID; got != c.id {
			t.Errorf("r%d f%d m%d = %s, want %s", c.r, c.f, c.mm, got, c.id)
		}
	}
	if got := m.Lookup(2, 5, 5).Label; got != "Can't Lose Them" {
		t.Errorf("label %q", got)
	}
}

func TestSegmentMapErrors(t *testing.T) {
	seg := func(id string) Segment { return Segment{ID: id, Label: id} }
	_, err := NewSegmentMap(5, []SegmentRule{
		{Segment: seg("all")},
		{Segment: seg("never"), R: Range{5, 5}},
	})
	var re *RuleError
	if !errors.As(err, &re) || re.ID != "never" || re.Index != 1 {
		t.Fatalf("shadowed rule: got %v", err)
	}
	_, err = NewSegmentMap(5, []SegmentRule{
		{Segment: seg("impossible"), F: Range{5, 5}, M: Range{5, 5}, FM: Range{1, 1}},
		{Segment: seg("all")},
	})
	if !errors.As(err, &re) || re.ID != "impossible" {
		t.Fatalf("contradictory ranges: got %v", err)
	}
	_, err = NewSegmentMap(5, []SegmentRule{{Segment: seg("top"), R: Range{3, 5}}})
	var ue *UncoveredError
	if !errors.As(err, &ue) || len(ue.Cells) != 50 {
		t.Fatalf("uncovered: got %v", err)
	}
	if !strings.Contains(err.Error(), "r1 f1 m1") {
		t.Errorf("uncovered message does not name cells: %v", err)
	}
	_, err = NewSegmentMap(5, []SegmentRule{{Segment: seg("bad"), R: Range{0, 6}}})
	if !errors.As(err, &re) {
		t.Fatalf("out-of-range: got %v", err)
	}
	// The table most tools copy leaves segments unreachable.
	copied := []SegmentRule{
		{Segment: seg("champions"), R: Range{4, 5}, FM: Range{4, 5}},
		{Segment: seg("loyal"), R: Range{2, 5}, FM: Range{3, 5}},
		{Segment: seg("cant_lose"), R: Range{1, 1}, FM: Range{4, 5}},
		{Segment: seg("need_attention"), R: Range{3, 3}, FM: Range{3, 3}},
	}
	if _, err := NewSegmentMap(5, copied); !errors.As(err, &re) || re.ID != "need_attention" {
		t.Fatalf("copied table: got %v", err)
	}
}

func TestGrid(t *testing.T) {
	m, _ := NewSegmentMap(5, FourClasses())
	g := m.Grid()
	if !strings.Contains(g, "M=5") || !strings.Contains(g, "high_value") || !strings.Contains(g, "churn_risk") {
		t.Fatalf("grid missing parts:\n%s", g)
	}
}
