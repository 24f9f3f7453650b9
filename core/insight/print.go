package insight

import (
	"fmt"
	"io"
	"strings"
)

// PrintSegments writes the segment table for a terminal, in rule order with
// labels: customers, share, revenue, share of revenue, average order value
// and median recency.
func PrintSegments(w io.Writer, in *Insight) {
	rows := [][]string{{"segment", "customers", "share", "revenue", "of revenue", "avg order", "median recency"}}
	for _, s := range in.Segments {
		if s.Customers == 0 {
			rows = append(rows, []string{s.Label, "0", "", "", "", "", ""})
			continue
		}
		rows = append(rows, []string{s.Label, FormatCount(int64(s.Customers)), fmt.Sprintf("%.1f%%", 100*s.Share),
			FormatMoney(s.Revenue), fmt.Sprintf("%.1f%%", 100*s.RevenueShare), FormatMoney(s.AOV),
			trimZero(fmt.Sprintf("%.1f", s.MedianRecencyDays)) + " days"})
	}
	rows = append(rows, []string{"all", FormatCount(int64(in.Customers)), "100%", FormatMoney(in.Revenue), "100%",
		FormatMoney(DivRound2(in.Revenue, in.Orders)), ""})
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i == 0 {
				b.WriteString(c + pad) // names left, figures right
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// PrintMoves writes a move matrix compactly: one line per segment customers
// left, with where they went, largest first.
func PrintMoves(w io.Writer, m Matrix) {
	width := 0
	for _, r := range m.Rows {
		width = max(width, len([]rune(r.Label)))
	}
	for i, r := range m.Rows {
		type dest struct {
			label string
			n     int
		}
		var ds []dest
		out := 0
		for j, c := range m.Cols {
			if n := m.Counts[i][j]; n > 0 {
				ds = append(ds, dest{c.Label, n})
				out += n
			}
		}
		sortDesc(ds, func(d dest) int { return d.n })
		parts := make([]string, len(ds))
		for k, d := range ds {
			parts[k] = fmt.Sprintf("%s %d", d.label, d.n)
		}
		pad := strings.Repeat(" ", width-len([]rune(r.Label)))
		fmt.Fprintf(w, "  %s%s %5d → %s\n", r.Label, pad, out, strings.Join(parts, ", "))
	}
}

// sortDesc sorts by key, largest first, keeping the order of equals.
func sortDesc[T any](s []T, key func(T) int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && key(s[j]) > key(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
