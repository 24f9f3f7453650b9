package status

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rfmsync/rfmsync/core/callobs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func sampleReport() *syncloop.Report {
	return &syncloop.Report{
		Scored:   7,
		Segments: map[string]int{"champions": 3, "at_risk": 4},
		RDist:    []int{0, 1, 2, 4}, FDist: []int{0, 3, 3, 1}, MDist: []int{0, 2, 2, 3},
		HeatRF:  [][]int{{0, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 2, 0}, {0, 2, 1, 1}},
		Moves:   map[string]int{"(none) → champions": 3, "champions → at_risk": 1},
		Pulled:  map[string]int{"deals": 12},
		Skipped: map[rfm.Skip]int{rfm.SkipBadAmount: 2}, SampleSkipped: map[rfm.Skip][]string{rfm.SkipBadAmount: {"deals/9001"}},
		Changed: 7, Written: 5, Rejected: 1, APICalls: map[string]int64{"search": 4, "batch_update": 1},
		SampleChanged: []string{"contact/4242"},
	}
}

func fetch(t *testing.T, h http.Handler, path, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func get(t *testing.T, b *Board, path string) string {
	t.Helper()
	code, body := fetch(t, b.Handler(), path, "")
	if code != 200 {
		t.Fatalf("%s: %d %s", path, code, body)
	}
	return body
}

// parse reads an exposition strictly, as Prometheus would.
func parse(t *testing.T, text string) map[string]float64 {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("exposition does not parse: %v\n%s", err, text)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			key := name
			var ls []string
			for _, l := range m.Label {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			if len(ls) > 0 {
				key += "{" + strings.Join(ls, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
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

	m := parse(t, get(t, b, "/metrics"))
	for k, want := range map[string]float64{
		"rfmsync_runs_total{result=success}": 1, "rfmsync_runs_total{result=failure}": 1,
		"rfmsync_last_success_timestamp_seconds":                 float64(t0.Add(time.Minute).Unix()),
		"rfmsync_segment_moves_total{from=champions,to=at_risk}": 1,
		"rfmsync_writes_total{outcome=accepted}":                 5, "rfmsync_writes_total{outcome=rejected}": 1,
		"rfmsync_writes_total{outcome=deferred}": 1, "rfmsync_records_skipped_total{reason=bad_amount}": 2,
		"rfmsync_records_pulled_total{source=deals}": 12, "rfmsync_run_duration_seconds": 2,
		"rfmsync_consecutive_failed_runs": 1, "rfmsync_next_run_timestamp_seconds": float64(t0.Add(48 * time.Hour).Unix()),
	} {
		if got, ok := m[k]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, want)
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

func TestMetricsExistFromStartup(t *testing.T) {
	m := NewMetrics("1.2.3", "hubspot")
	m.DeclareSegments([]string{"champions", "lost"})
	code, body := fetch(t, m.Handler(), "/metrics", "")
	if code != 200 {
		t.Fatal(code)
	}
	got := parse(t, body)
	for _, k := range []string{
		"rfmsync_last_success_timestamp_seconds", "rfmsync_runs_total{result=failure}", "rfmsync_runs_total{result=success}",
		"rfmsync_run_duration_seconds", "rfmsync_writes_total{outcome=deferred}", "rfmsync_records_skipped_total{reason=bad_amount}",
		"rfmsync_segment_customers{segment=lost}", "rfmsync_crm_daily_quota_used", "rfmsync_crm_daily_quota_limit",
		"rfmsync_next_run_timestamp_seconds", "rfmsync_ready", "rfmsync_auth_breaker_open", "go_goroutines",
	} {
		if _, ok := got[k]; !ok {
			t.Errorf("%s missing before the first run", k)
		}
	}
	found := false
	for k := range got {
		if strings.HasPrefix(k, "rfmsync_build_info{") && strings.Contains(k, "version=1.2.3") && strings.Contains(k, "connector=hubspot") {
			found = true
		}
	}
	if !found {
		t.Error("build info does not carry version and connector")
	}
}

func TestHostileLabelValuesKeepTheScrapeValid(t *testing.T) {
	m := NewMetrics("dev", "x")
	hostile := []string{"tab\there", "zero\u200bwidth", "quote\"back\\slash", "new\nline", "\xff\xfe", ""}
	rep := &syncloop.Report{Scored: 1, Segments: map[string]int{}, Moves: map[string]int{}, Skipped: map[rfm.Skip]int{}}
	for i, id := range hostile {
		rep.Segments[id] = i + 1
		rep.Moves[id+" → "+hostile[(i+1)%len(hostile)]] = 1
		rep.Skipped[rfm.Skip(id)] = 1
	}
	for i := range 3 * maxLabelValues {
		rep.Skipped[rfm.Skip("reason"+string(rune('a'+i%26))+strings.Repeat("x", i))] = 1
	}
	m.ObserveRun(Run{Started: time.Unix(0, 0), Finished: time.Unix(1, 0), Report: rep}, 0)
	m.ObserveCall(callobs.Call{Connector: "x", Kind: "se\tarch", Outcome: callobs.OutcomeRateLimited, Duration: time.Second})
	_, body := fetch(t, m.Handler(), "/metrics", "")
	got := parse(t, body)
	reasons := 0
	for k := range got {
		for _, bad := range []string{"\t", "\u200b", "\n", "\""} {
			if strings.Contains(k, bad) {
				t.Errorf("label value kept %q: %q", bad, k)
			}
		}
		if strings.HasPrefix(k, "rfmsync_records_skipped_total{") {
			reasons++
		}
	}
	if reasons > maxLabelValues+1 {
		t.Errorf("%d skip reasons exposed, want at most %d (+other)", reasons, maxLabelValues)
	}
	if got["rfmsync_crm_api_calls_total{connector=x,kind=se_arch,outcome=rate_limited}"] != 1 {
		t.Errorf("call not counted under its sanitised kind:\n%s", body)
	}
}

func TestReadiness(t *testing.T) {
	b := NewBoard()
	b.SetMaxFailures(2)
	h := b.Handler()
	ready := func(want bool) {
		t.Helper()
		code, body := fetch(t, h, "/readyz", "")
		if (code == 200) != want {
			t.Fatalf("/readyz = %d %q, want ready=%v", code, body, want)
		}
		if code, _ := fetch(t, h, "/healthz", ""); code != 200 {
			t.Fatalf("/healthz = %d: liveness must not follow readiness", code)
		}
	}
	fail := Run{Started: time.Unix(10, 0), Finished: time.Unix(20, 0), Error: "crm down"}
	ready(true)
	b.Record(fail)
	ready(true) // one failure is a hiccup
	b.Record(fail)
	ready(false)
	if _, body := fetch(t, h, "/readyz", ""); strings.Contains(body, "crm down") {
		t.Error("/readyz leaks the error text it serves without a token")
	}
	b.Record(Run{Started: time.Unix(30, 0), Finished: time.Unix(40, 0)})
	ready(true)
	b.SetPaused("auth breaker open")
	ready(false)
	b.SetPaused("")
	ready(true)
	b.SetStateCheck(func() error { return errors.New("closed") })
	ready(false)
	b.SetStateCheck(nil)
	b.SetConfigError("bad")
	ready(false)
}

func TestTokenGuardsAllButProbes(t *testing.T) {
	b := NewBoard()
	b.SetAccess(Access{Token: "s3cret-token-value"})
	h := b.Handler()
	for _, p := range []string{"/", "/status.json", "/metrics"} {
		if code, _ := fetch(t, h, p, ""); code != http.StatusUnauthorized {
			t.Errorf("%s without token: %d", p, code)
		}
		if code, _ := fetch(t, h, p, "wrong"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d", p, code)
		}
		if code, _ := fetch(t, h, p, "s3cret-token-value"); code != 200 {
			t.Errorf("%s with the token: %d", p, code)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, _ := fetch(t, h, p, ""); code != 200 {
			t.Errorf("%s must answer probes without a token: %d", p, code)
		}
	}
}

func TestRecordIDsOnlyWhenEnabled(t *testing.T) {
	b := NewBoard()
	b.Record(Run{Started: time.Unix(0, 0), Finished: time.Unix(1, 0), Report: sampleReport()})
	for _, p := range []string{"/status.json", "/"} {
		if body := get(t, b, p); strings.Contains(body, "4242") || strings.Contains(body, "9001") {
			t.Errorf("%s shows record ids by default", p)
		}
	}
	b.SetAccess(Access{ShowRecordIDs: true})
	if body := get(t, b, "/status.json"); !strings.Contains(body, "contact/4242") || !strings.Contains(body, "deals/9001") {
		t.Error("status.json hides record ids although enabled")
	}
	if last, _ := b.Last(); len(last.Report.SampleChanged) != 1 {
		t.Error("redaction changed the stored report")
	}
}

func TestHistoryFromStateSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)
	ok := RecordOf(t0, t0.Add(time.Minute), sampleReport(), nil)
	bad := RecordOf(t0.Add(time.Hour), t0.Add(time.Hour+time.Second), &syncloop.Report{}, errors.New("token Bearer abcdefgh12345 rejected"))
	for _, r := range []state.RunRecord{ok, bad, bad} {
		if err := db.AppendRun(r, 0); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := NewBoard()
	b.SetMaxFailures(2)
	b.SetHistory(db.History)
	if r := b.Readiness(); r.Ready || r.ConsecutiveFailures != 2 || !r.LastSuccess.Equal(t0.Add(time.Minute)) {
		t.Errorf("readiness after restart = %+v: the streak was not restored", r)
	}
	var snap snapshot
	if err := json.Unmarshal([]byte(get(t, b, "/status.json")), &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.RunHistory) != 3 || snap.RunHistory[0].Written != 5 || snap.RunHistory[2].Result != ResultFailure {
		t.Fatalf("history in status.json = %+v", snap.RunHistory)
	}
	if strings.Contains(snap.RunHistory[2].Error, "abcdefgh12345") || snap.RunHistory[2].ErrorClass != "internal" {
		t.Errorf("history error not redacted or classed: %+v", snap.RunHistory[2])
	}
	page := get(t, b, "/")
	if !strings.Contains(page, "Run history") || !strings.Contains(page, "failure") {
		t.Error("page lacks the run history")
	}
	m := parse(t, func() string { _, s := fetch(t, b.Handler(), "/metrics", ""); return s }())
	if m["rfmsync_last_success_timestamp_seconds"] != float64(t0.Add(time.Minute).Unix()) {
		t.Error("last success not restored from history")
	}
}
