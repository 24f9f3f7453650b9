package status

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/syncloop"
)

func sampleReport() *syncloop.Report {
	return &syncloop.Report{
		Scored:   7,
		Segments: map[string]int{"champions": 3, "at_risk": 4},
		RDist:    []int{0, 1, 2, 4}, FDist: []int{0, 3, 3, 1}, MDist: []int{0, 2, 2, 3},
		HeatRF:  [][]int{{0, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 2, 0}, {0, 2, 1, 1}},
		Moves:   map[string]int{"(none) → champions": 3, "champions → at_risk": 1},
		Written: 5, APICalls: map[string]int64{"search": 4, "batch_update": 1},
	}
}

func get(t *testing.T, b *Board, path string) string {
	t.Helper()
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
	}
	return string(body)
}

func TestBoardServesRuns(t *testing.T) {
	b := NewBoard()
	if !strings.Contains(get(t, b, "/"), "No run has scored") {
		t.Error("empty dashboard does not say so")
	}
	t0 := time.Date(2025, 1, 1, 3, 0, 0, 0, time.UTC)
	b.Record(Run{Started: t0, Finished: t0.Add(time.Minute), Report: sampleReport()})
	b.Record(Run{Started: t0.Add(24 * time.Hour), Finished: t0.Add(24*time.Hour + time.Second), Error: "quota exhausted", Report: &syncloop.Report{}})
	b.SetNext(t0.Add(48 * time.Hour))

	m := get(t, b, "/metrics")
	for _, want := range []string{
		"rfmsync_runs_total 2", "rfmsync_run_failures_total 1", "rfmsync_last_run_success 0",
		`rfmsync_api_calls_total{kind="search"} 4`, `rfmsync_segment_moves_total{from="champions",to="at_risk"} 1`,
		"rfmsync_customers_written_total 5",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
	page := get(t, b, "/")
	for _, want := range []string{"Segment sizes", "R × F heat map", "champions → at_risk", "quota exhausted", "Next run: 2025-01-03"} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	var snap snapshot
	if err := json.Unmarshal([]byte(get(t, b, "/status.json")), &snap); err != nil || len(snap.Runs) != 2 {
		t.Fatalf("status.json: %v, %d runs", err, len(snap.Runs))
	}
	if get(t, b, "/healthz") != "ok\n" {
		t.Error("healthz")
	}
}
