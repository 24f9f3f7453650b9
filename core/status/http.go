package status

import (
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/rfmsync/rfmsync/core/state"
)

// Handler serves the dashboard (/), JSON (/status.json), metrics
// (/metrics), liveness (/healthz) and readiness (/readyz). With a token
// set (SetAccess) every path but /healthz and /readyz needs it.
func (b *Board) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rd := b.Readiness()
		if !rd.Ready {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %s\n", strings.Join(rd.Reasons, "; "))
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", b.protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.Metrics().Handler().ServeHTTP(w, r)
	})))
	mux.Handle("GET /status.json", b.protect(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(b.snapshot())
	})))
	mux.Handle("GET /{$}", b.protect(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := page.Execute(w, b.view()); err != nil {
			http.Error(w, "render: "+err.Error(), http.StatusInternalServerError)
		}
	})))
	return mux
}

// view is the dashboard's data.
type view struct {
	snapshot
	Last     *Run
	Segments []bar
	Dists    []dist
	Heat     [][]cell
	Moves    []bar
	History  []historyRow
	SegIDs   []string
}

type bar struct {
	Name  string
	Count int
	Pct   float64
}

type dist struct {
	Metric string
	Bars   []bar
}

type cell struct {
	R, F, Count int
	Alpha       float64
}

type historyRow struct {
	Run    Run
	Counts []int
}

func bars(m map[string]int) []bar {
	total, top := 0, 0
	for _, v := range m {
		total += v
		top = max(top, v)
	}
	out := make([]bar, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, bar{Name: k, Count: m[k], Pct: 100 * float64(m[k]) / float64(max(top, 1))})
	}
	slices.SortStableFunc(out, func(a, b bar) int { return b.Count - a.Count })
	return out
}

func distBars(d []int) []bar {
	var out []bar
	top := 0
	for _, v := range d {
		top = max(top, v)
	}
	for i := 1; i < len(d); i++ {
		out = append(out, bar{Name: string(rune('0' + i)), Count: d[i], Pct: 100 * float64(d[i]) / float64(max(top, 1))})
	}
	return out
}

// RecentHistory is the persisted history, newest first, for the page.
func (v view) RecentHistory() []state.RunRecord {
	out := slices.Clone(v.RunHistory)
	slices.Reverse(out)
	return out[:min(len(out), 30)]
}

func totalCalls(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func (b *Board) view() view {
	v := view{snapshot: b.snapshot()}
	if len(v.Runs) == 0 {
		return v
	}
	// The newest run with a report drives the charts.
	for i := len(v.Runs) - 1; i >= 0; i-- {
		if v.Runs[i].Report != nil && v.Runs[i].Report.Scored > 0 {
			v.Last = &v.Runs[i]
			break
		}
	}
	if v.Last == nil {
		return v
	}
	rep := v.Last.Report
	v.Segments = bars(rep.Segments)
	v.Moves = bars(rep.Moves)
	v.Dists = []dist{{"R", distBars(rep.RDist)}, {"F", distBars(rep.FDist)}, {"M", distBars(rep.MDist)}}
	top := 1
	for _, row := range rep.HeatRF {
		for _, c := range row {
			top = max(top, c)
		}
	}
	for r := len(rep.HeatRF) - 1; r >= 1; r-- {
		var row []cell
		for f := 1; f < len(rep.HeatRF[r]); f++ {
			n := rep.HeatRF[r][f]
			row = append(row, cell{R: r, F: f, Count: n, Alpha: 0.08 + 0.92*float64(n)/float64(top)})
		}
		v.Heat = append(v.Heat, row)
	}
	ids := map[string]bool{}
	start := max(0, len(v.Runs)-12)
	for _, r := range v.Runs[start:] {
		if r.Report != nil {
			for id := range r.Report.Segments {
				ids[id] = true
			}
		}
	}
	v.SegIDs = slices.Sorted(maps.Keys(ids))
	for i := len(v.Runs) - 1; i >= start; i-- {
		r := v.Runs[i]
		row := historyRow{Run: r}
		for _, id := range v.SegIDs {
			n := 0
			if r.Report != nil {
				n = r.Report.Segments[id]
			}
			row.Counts = append(row.Counts, n)
		}
		v.History = append(v.History, row)
	}
	return v
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{"calls": totalCalls}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rfmsync</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse}td,th{padding:3px 8px;text-align:left}
.bar{background:#3b7dd8;height:12px;display:inline-block}
.heat td{width:64px;height:34px;text-align:center;border:1px solid #fff}
.err{color:#b00}.muted{color:#777}.grid{display:flex;gap:3em;flex-wrap:wrap}
</style></head><body>
<h1>rfmsync</h1>
<p>{{if .Running}}A sync is running now. {{end}}{{if not .Next.IsZero}}Next run: {{.Next.Format "2006-01-02 15:04 MST"}}.{{end}}</p>
{{with .Last}}
<p>Last scored run: as of {{.Report.AsOf}}, {{.Report.Scored}} customers scored, {{.Report.Written}} written, {{.Report.Rejected}} rejected{{if .Error}}, <span class="err">error: {{.Error}}</span>{{end}}.</p>
{{else}}<p class="muted">No run has scored customers yet.</p>{{end}}
{{if .Segments}}
<div class="grid"><div>
<h2>Segment sizes</h2>
<table>{{range .Segments}}<tr><td>{{.Name}}</td><td>{{.Count}}</td><td><span class="bar" style="width:{{printf "%.0f" .Pct}}px"></span></td></tr>{{end}}</table>
</div><div>
<h2>R × F heat map</h2>
<table class="heat"><tr><th>R \ F</th>{{range index .Heat 0}}<th>{{.F}}</th>{{end}}</tr>
{{range .Heat}}<tr><th>{{(index . 0).R}}</th>{{range .}}<td style="background:rgba(59,125,216,{{printf "%.2f" .Alpha}})" title="R{{.R}} F{{.F}}">{{.Count}}</td>{{end}}</tr>{{end}}</table>
</div></div>
<h2>Score distributions</h2>
<div class="grid">{{range .Dists}}<table><tr><th colspan="3">{{.Metric}}</th></tr>{{range .Bars}}<tr><td>{{.Name}}</td><td>{{.Count}}</td><td><span class="bar" style="width:{{printf "%.0f" .Pct}}px"></span></td></tr>{{end}}</table>{{end}}</div>
<h2>Moves between segments (last run)</h2>
{{if .Moves}}<table>{{range .Moves}}<tr><td>{{.Name}}</td><td>{{.Count}}</td></tr>{{end}}</table>{{else}}<p class="muted">No moves.</p>{{end}}
<h2>Segment sizes over time</h2>
<table><tr><th>as of</th>{{range .SegIDs}}<th>{{.}}</th>{{end}}<th></th></tr>
{{range .History}}<tr><td>{{if .Run.Report}}{{.Run.Report.AsOf.Time.Format "2006-01-02 15:04"}}{{end}}</td>{{range .Counts}}<td>{{.}}</td>{{end}}<td class="err">{{.Run.Error}}</td></tr>{{end}}</table>
{{end}}
<h2>Run history</h2>
{{if .RunHistory}}<table><tr><th>finished</th><th>result</th><th>duration</th><th>scored</th><th>moves</th><th>written</th><th>rejected</th><th>deferred</th><th>API calls</th><th>error</th></tr>
{{range .RecentHistory}}<tr><td>{{.Finished.Format "2006-01-02 15:04"}}</td><td{{if ne .Result "success"}} class="err"{{end}}>{{.Result}}</td><td>{{printf "%.1f" .DurationSeconds}} s</td><td>{{.Scored}}</td><td>{{.Moves}}</td><td>{{.Written}}</td><td>{{.Rejected}}</td><td>{{.Deferred}}</td><td>{{calls .APICalls}}</td><td class="err">{{.ErrorClass}}{{if .Error}}: {{.Error}}{{end}}</td></tr>{{end}}</table>
{{else}}<p class="muted">No run recorded yet.</p>{{end}}
<p>{{if .Readiness.Ready}}Ready.{{else}}<span class="err">Not ready: {{range .Readiness.Reasons}}{{.}}; {{end}}</span>{{end}}</p>
<p class="muted"><a href="status.json">status.json</a> · <a href="metrics">metrics</a></p>
</body></html>
`))
