package rfm

import (
	"fmt"
	"strings"
)

// Segment is a segment's stable id (what CRM dropdowns store and workflows
// match on) and its display label (free to rename).
type Segment struct {
	ID    string
	Label string
}

// Range is an inclusive range of scores; the zero Range means "any".
type Range struct {
	Lo, Hi int
}

// Any reports whether the range is unset.
func (r Range) Any() bool { return r == Range{} }

func (r Range) contains(v int) bool { return r.Any() || (v >= r.Lo && v <= r.Hi) }

func (r Range) String() string {
	if r.Lo == r.Hi {
		return itoa(r.Lo)
	}
	return itoa(r.Lo) + "-" + itoa(r.Hi)
}

// SegmentRule matches customers whose scores fall inside every set range.
type SegmentRule struct {
	Segment
	R, F, M, FM Range
}

// SegmentMap is an ordered rule list, first match wins, compiled to a table
// of every (r, f, m) cell of the grid.
type SegmentMap struct {
	bins  int
	rules []SegmentRule
	cells []int16 // rule index per cell, r-major
}

// RuleError says which rule of a map is wrong and why.
type RuleError struct {
	Index   int
	ID      string
	Problem string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("rule %d (%s): %s", e.Index, e.ID, e.Problem)
}

// UncoveredError lists the (r, f, m) cells no rule matches.
type UncoveredError struct {
	Cells [][3]int
}

func (e *UncoveredError) Error() string {
	const show = 12
	parts := make([]string, 0, show)
	for i, c := range e.Cells {
		if i == show {
			parts = append(parts, fmt.Sprintf("… %d more", len(e.Cells)-show))
			break
		}
		parts = append(parts, fmt.Sprintf("r%d f%d m%d", c[0], c[1], c[2]))
	}
	return fmt.Sprintf("%d cells of the R×F×M grid match no rule (add a catch-all or widen a rule): %s",
		len(e.Cells), strings.Join(parts, ", "))
}

// NewSegmentMap validates and compiles rules for a grid of bins levels. A rule
// with a bad range or that never matches first is a *RuleError; cells that no
// rule covers are an *UncoveredError.
func NewSegmentMap(bins int, rules []SegmentRule) (*SegmentMap, error) {
	if bins < MinBins || bins > MaxBins {
		return nil, fmt.Errorf("bins %d is outside %d..%d", bins, MinBins, MaxBins)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("no segment rules")
	}
	seen := map[string]bool{}
	for i, r := range rules {
		if r.ID == "" {
			return nil, &RuleError{Index: i, ID: r.ID, Problem: "id is empty"}
		}
		if seen[r.ID] {
			return nil, &RuleError{Index: i, ID: r.ID, Problem: "id is used by an earlier rule"}
		}
		seen[r.ID] = true
		for _, rg := range []struct {
			name string
			r    Range
		}{{"r", r.R}, {"f", r.F}, {"m", r.M}, {"fm", r.FM}} {
			if !rg.r.Any() && (rg.r.Lo < 1 || rg.r.Hi > bins || rg.r.Lo > rg.r.Hi) {
				return nil, &RuleError{Index: i, ID: r.ID,
					Problem: fmt.Sprintf("%s range %d-%d is not within 1-%d", rg.name, rg.r.Lo, rg.r.Hi, bins)}
			}
		}
	}
	m := &SegmentMap{bins: bins, rules: rules, cells: make([]int16, bins*bins*bins)}
	used := make([]bool, len(rules))
	var uncovered [][3]int
	for r := 1; r <= bins; r++ {
		for f := 1; f <= bins; f++ {
			for mm := 1; mm <= bins; mm++ {
				k := m.index(r, f, mm)
				m.cells[k] = -1
				for i, rule := range rules {
					if rule.matches(r, f, mm) {
						m.cells[k] = int16(i)
						used[i] = true
						break
					}
				}
				if m.cells[k] < 0 {
					uncovered = append(uncovered, [3]int{r, f, mm})
				}
			}
		}
	}
	for i, u := range used {
		if !u {
			return nil, &RuleError{Index: i, ID: rules[i].ID,
				Problem: "can never match: every cell it covers is taken by an earlier rule, or its ranges exclude each other"}
		}
	}
	if len(uncovered) > 0 {
		return nil, &UncoveredError{Cells: uncovered}
	}
	return m, nil
}

func (rule SegmentRule) matches(r, f, m int) bool {
	return rule.R.contains(r) && rule.F.contains(f) && rule.M.contains(m) && rule.FM.contains(FM(f, m))
}

func (m *SegmentMap) index(r, f, mm int) int {
	return ((r-1)*m.bins+(f-1))*m.bins + (mm - 1)
}

// Bins is the grid size the map was compiled for.
func (m *SegmentMap) Bins() int { return m.bins }

// Rules returns the map's rules in match order.
func (m *SegmentMap) Rules() []SegmentRule { return m.rules }

// Lookup returns the segment of a cell.
func (m *SegmentMap) Lookup(r, f, mm int) Segment {
	return m.rules[m.cells[m.index(r, f, mm)]].Segment
}

// Grid renders the map's coverage: one block per M score, rows R (high to
// low), columns F, each cell the matching segment id.
func (m *SegmentMap) Grid() string {
	width := 2
	for _, r := range m.rules {
		width = max(width, len(r.ID))
	}
	var b strings.Builder
	for mm := 1; mm <= m.bins; mm++ {
		head := fmt.Sprintf("%-4s", "R\\F")
		for f := 1; f <= m.bins; f++ {
			head += fmt.Sprintf(" %-*d", width, f)
		}
		fmt.Fprintf(&b, "M=%d\n%s\n", mm, strings.TrimRight(head, " "))
		for r := m.bins; r >= 1; r-- {
			row := fmt.Sprintf("%-4d", r)
			for f := 1; f <= m.bins; f++ {
				row += fmt.Sprintf(" %-*s", width, m.Lookup(r, f, mm).ID)
			}
			b.WriteString(strings.TrimRight(row, " "))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// rule builds a default-map rule; FM and R bounds as in the contract.
func rule(id, label string, rLo, rHi, fmLo, fmHi int) SegmentRule {
	return SegmentRule{Segment: Segment{ID: id, Label: label}, R: Range{rLo, rHi}, FM: Range{fmLo, fmHi}}
}

// ElevenSegments is the default 11-segment map for 5 bins. Unlike the table
// most tools copy, every segment is reachable and all 25 (R, FM) cells are covered.
func ElevenSegments() []SegmentRule {
	return []SegmentRule{
		rule("champions", "Champions", 5, 5, 4, 5),
		rule("loyal_customers", "Loyal Customers", 3, 4, 4, 5),
		rule("potential_loyalist", "Potential Loyalist", 4, 5, 2, 3),
		rule("new_customers", "New Customers", 5, 5, 1, 1),
		rule("promising", "Promising", 4, 4, 1, 1),
		rule("need_attention", "Need Attention", 3, 3, 3, 3),
		rule("about_to_sleep", "About To Sleep", 3, 3, 1, 2),
		rule("cant_lose_them", "Can't Lose Them", 1, 2, 5, 5),
		rule("at_risk", "At Risk", 1, 2, 3, 4),
		rule("lost", "Lost", 1, 1, 1, 1),
		rule("hibernating", "Hibernating", 1, 2, 1, 2),
	}
}

// FourClasses is the simpler 4-class preset for 5 bins.
func FourClasses() []SegmentRule {
	return []SegmentRule{
		rule("high_value", "High Value", 3, 5, 4, 5),
		rule("potential", "Potential", 3, 5, 1, 3),
		rule("to_reawaken", "To Re-awaken", 1, 2, 3, 5),
		rule("churn_risk", "Churn Risk", 1, 2, 1, 2),
	}
}

// Preset returns a named built-in map: "eleven" or "four".
func Preset(name string) ([]SegmentRule, bool) {
	switch name {
	case "eleven", "default", "":
		return ElevenSegments(), true
	case "four":
		return FourClasses(), true
	}
	return nil, false
}
