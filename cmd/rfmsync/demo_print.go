package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// printDemoRun tells one demo sync as a story, in the segments' labels:
// what was pulled, the segment table with money, the moves (unless every
// customer is new, when they are the table again), and what was written.
// Each figure appears once.
func printDemoRun(w io.Writer, rep *syncloop.Report) {
	for _, s := range slices.Sorted(maps.Keys(rep.Pulled)) {
		a := rep.Applied[s]
		fmt.Fprintf(w, "pulled %s: %s records (%s new, %s changed, %s unchanged, %s removed)\n",
			s, count(rep.Pulled[s]), count(a.Inserted), count(a.Updated), count(a.Unchanged), count(a.Deleted))
	}
	if len(rep.Scans) > 0 {
		fmt.Fprintf(w, "ran %s\n", strings.Join(rep.Scans, ", "))
	}
	for _, s := range slices.Sorted(maps.Keys(rep.Reread)) {
		if a := rep.Reread[s]; a.Updated+a.Deleted+a.Moved > 0 {
			fmt.Fprintf(w, "re-read %s: %s changed, %s removed, %s re-assigned to another customer\n",
				s, count(a.Updated), count(a.Deleted), count(a.Moved))
		}
	}
	if len(rep.Skipped) > 0 {
		parts := make([]string, 0, len(rep.Skipped))
		for _, k := range slices.Sorted(maps.Keys(rep.Skipped)) {
			parts = append(parts, fmt.Sprintf("%d %s", rep.Skipped[k], strings.ReplaceAll(string(k), "_", " ")))
		}
		fmt.Fprintf(w, "skipped orders: %s\n", strings.Join(parts, ", "))
	}
	for _, c := range rep.Recalibrated {
		fmt.Fprintf(w, "recalibrated %s\n", c)
	}
	in := rep.Insight
	if in == nil {
		rep.Print(w)
		return
	}
	fmt.Fprintf(w, "scored %s customers, %s orders, revenue %s in the window:\n", count(in.Customers), count(int(in.Orders)), insight.FormatMoney(in.Revenue))
	insight.PrintSegments(w, in)
	for _, sc := range in.Scales {
		for _, n := range sc.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
	m := insight.MoveMatrix(rep.Moves, in.Segments)
	if len(m.Rows) == 1 && m.Rows[0].ID == insight.FromNone {
		fmt.Fprintf(w, "all %s customers are new: each enters its segment above\n", count(m.Total))
	} else if m.Total > 0 {
		fmt.Fprintf(w, "%s customers moved (from → to):\n", count(m.Total))
		insight.PrintMoves(w, m)
	}
	if rep.Repaired > 0 {
		fmt.Fprintf(w, "repaired %s whose fields were changed in the CRM (%s): written back\n",
			customers(rep.Repaired), strings.Join(rep.SampleRepaired, ", "))
	}
	if rep.Restored > 0 {
		fmt.Fprintf(w, "restored %s deleted earlier and back in the CRM\n", customers(rep.Restored))
	}
	if rep.Inactivated > 0 {
		fmt.Fprintf(w, "%s stopped qualifying (no order left in the window): their fields are cleared\n", customers(rep.Inactivated))
	}
	fields := make([]string, 0, len(rep.FieldChanges))
	keys := slices.Sorted(maps.Keys(rep.FieldChanges))
	slices.SortStableFunc(keys, func(a, b string) int { return rep.FieldChanges[b] - rep.FieldChanges[a] })
	for _, k := range keys {
		fields = append(fields, fmt.Sprintf("%s %d", k, rep.FieldChanges[k]))
	}
	if rep.Changed == in.Customers && len(keys) > 0 && rep.FieldChanges[keys[0]] == rep.Changed && rep.FieldChanges[keys[len(keys)-1]] == rep.Changed {
		fmt.Fprintf(w, "written: %s customers, every field, in %d calls", count(rep.Written), rep.WriteCalls)
	} else {
		fmt.Fprintf(w, "written: %s customers in %d calls (fields changed: %s)", count(rep.Written), rep.WriteCalls, strings.Join(fields, ", "))
	}
	if rep.NotFound > 0 || rep.Rejected > 0 {
		fmt.Fprintf(w, "; %d not found, %d rejected", rep.NotFound, rep.Rejected)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "API calls: %d", rep.TotalCalls())
	if len(rep.APICalls) > 0 {
		parts := make([]string, 0, len(rep.APICalls))
		for _, k := range slices.Sorted(maps.Keys(rep.APICalls)) {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(k, "_", " "), rep.APICalls[k]))
		}
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if rep.Stopped != "" {
		fmt.Fprintf(w, "stopped: %s\n", rep.Stopped)
	}
}

func count(n int) string { return insight.FormatCount(int64(n)) }

func customers(n int) string {
	if n == 1 {
		return "1 customer"
	}
	return count(n) + " customers"
}
