package insight

import (
	"maps"
	"slices"
	"strings"
)

// The ends of moves that are not segments, as the sync loop names them: a
// customer scored for the first time, and one who stopped qualifying.
const (
	FromNone = "(none)"
	Inactive = "(inactive)"
)

// moveSep separates the two ends of a move key, "from → to".
const moveSep = " → "

// Ref is a row or column of a move matrix.
type Ref struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Matrix counts moves from the segment of a row to the segment of a column.
// Only rows and columns with a move are present.
type Matrix struct {
	Rows   []Ref   `json:"rows"`
	Cols   []Ref   `json:"cols"`
	Counts [][]int `json:"counts"`
	Total  int     `json:"total"`
}

// SumMoves adds up move counts (keys "from → to") of several runs.
func SumMoves(runs ...map[string]int) map[string]int {
	out := map[string]int{}
	for _, m := range runs {
		for k, v := range m {
			out[k] += v
		}
	}
	return out
}

// MoveMatrix lays moves out as a from × to matrix in segment order: new
// customers first, the segments in rule order, inactive last, ids no longer
// in the map after them.
func MoveMatrix(moves map[string]int, segs []Segment) Matrix {
	order := map[string]int{FromNone: -1, Inactive: len(segs)}
	labels := map[string]string{FromNone: "(new)", Inactive: "(inactive)"}
	for i, s := range segs {
		order[s.ID] = i
		labels[s.ID] = s.Label
	}
	rows, cols := map[string]bool{}, map[string]bool{}
	type move struct{ from, to string }
	counts := map[move]int{}
	var m Matrix
	for _, k := range slices.Sorted(maps.Keys(moves)) {
		from, to, ok := strings.Cut(k, moveSep)
		if !ok || moves[k] == 0 {
			continue
		}
		rows[from], cols[to] = true, true
		counts[move{from, to}] += moves[k]
		m.Total += moves[k]
	}
	sorted := func(set map[string]bool) []Ref {
		ids := slices.Sorted(maps.Keys(set))
		slices.SortStableFunc(ids, func(a, b string) int {
			oa, ka := order[a]
			ob, kb := order[b]
			switch {
			case ka && kb:
				return oa - ob
			case ka:
				return -1
			case kb:
				return 1
			}
			return 0
		})
		refs := make([]Ref, len(ids))
		for i, id := range ids {
			l := labels[id]
			if l == "" {
				l = id
			}
			refs[i] = Ref{ID: id, Label: l}
		}
		return refs
	}
	m.Rows, m.Cols = sorted(rows), sorted(cols)
	m.Counts = make([][]int, len(m.Rows))
	for i, r := range m.Rows {
		m.Counts[i] = make([]int, len(m.Cols))
		for j, c := range m.Cols {
			m.Counts[i][j] = counts[move{r.ID, c.ID}]
		}
	}
	return m
}
