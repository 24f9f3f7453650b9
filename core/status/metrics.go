package status

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// writeMetrics writes the Prometheus text exposition format (version 0.0.4).
// A handful of gauges and counters do not justify a client library.
func (b *Board) writeMetrics(w io.Writer) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	counter := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("rfmsync_runs_total", "Sync runs finished.", b.totals.runs)
	counter("rfmsync_run_failures_total", "Sync runs that ended with an error.", b.totals.failures)
	counter("rfmsync_customers_written_total", "Customers whose fields the CRM accepted.", b.totals.written)
	counter("rfmsync_customers_rejected_total", "Customers whose values the CRM rejected.", b.totals.rejected)
	counter("rfmsync_customers_not_found_total", "Customers deleted or merged in the CRM.", b.totals.notFound)
	labelled(w, "rfmsync_api_calls_total", "CRM API calls by kind.", "counter", "kind", b.totals.calls)
	fmt.Fprintf(w, "# HELP rfmsync_segment_moves_total Customers that moved between segments.\n# TYPE rfmsync_segment_moves_total counter\n")
	for _, k := range slices.Sorted(maps.Keys(b.totals.moves)) {
		from, to, _ := strings.Cut(k, " → ")
		fmt.Fprintf(w, "rfmsync_segment_moves_total{from=%q,to=%q} %d\n", from, to, b.totals.moves[k])
	}
	if len(b.runs) == 0 {
		return
	}
	last := b.runs[len(b.runs)-1]
	ok := 1
	if last.Error != "" {
		ok = 0
	}
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
	}
	gauge("rfmsync_last_run_timestamp_seconds", "When the last run finished.", float64(last.Finished.Unix()))
	gauge("rfmsync_last_run_success", "1 when the last run succeeded.", float64(ok))
	gauge("rfmsync_last_run_duration_seconds", "How long the last run took.", last.Finished.Sub(last.Started).Seconds())
	if rep := last.Report; rep != nil {
		gauge("rfmsync_customers_scored", "Customers scored by the last run.", float64(rep.Scored))
		sizes := map[string]int64{}
		for k, v := range rep.Segments {
			sizes[k] = int64(v)
		}
		labelled(w, "rfmsync_segment_customers", "Customers per segment in the last run.", "gauge", "segment", sizes)
	}
}

func labelled(w io.Writer, name, help, typ, label string, m map[string]int64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(w, "%s{%s=%q} %d\n", name, label, k, m[k])
	}
}
