package status

import (
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rfmsync/rfmsync/core/callobs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// Run results, the values of rfmsync_runs_total's result label.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// Write outcomes, the values of rfmsync_writes_total's outcome label.
// Deferred counts changes a stopped run left for the next one.
var writeOutcomes = []string{"accepted", "rejected", "not_found", "deferred"}

// maxLabelValues bounds the distinct values one label takes (segments,
// skip reasons, sources, call kinds come from config and connectors, but a
// bug or a hostile CRM must not blow up the scrape); the rest are "other".
const maxLabelValues = 64

// Metrics is rfmsync's Prometheus registry: its own (not the global one),
// with the Go and process collectors. Every metric without run-dependent
// labels exists from start-up, so alerts see zeros rather than gaps.
type Metrics struct {
	reg *prometheus.Registry

	buildInfo        *prometheus.GaugeVec
	lastSuccess      prometheus.Gauge
	lastRun          prometheus.Gauge
	nextRun          prometheus.Gauge
	running          prometheus.Gauge
	ready            prometheus.Gauge
	authPaused       prometheus.Gauge
	consecutiveFails prometheus.Gauge
	runs             *prometheus.CounterVec
	runDuration      prometheus.Histogram
	pulled           *prometheus.CounterVec
	skipped          *prometheus.CounterVec
	scored           prometheus.Gauge
	segments         *prometheus.GaugeVec
	moves            *prometheus.CounterVec
	writes           *prometheus.CounterVec
	apiCalls         *prometheus.CounterVec
	latency          *prometheus.HistogramVec
	quotaUsed        prometheus.Gauge
	quotaLimit       prometheus.Gauge
	quotaRemaining   prometheus.Gauge

	mu     sync.Mutex
	seen   map[string]map[string]bool // label name → values admitted
	segIDs map[string]bool            // segments given a gauge
}

// NewMetrics registers every metric. version and connector label the
// build info; connector "" means none is configured.
func NewMetrics(version, connector string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), seen: map[string]map[string]bool{}, segIDs: map[string]bool{}}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{m.reg}
	m.buildInfo = f.gaugeVec("rfmsync_build_info", "Always 1; labels name the build and the configured connector.", "version", "connector", "goversion")
	m.lastSuccess = f.gauge("rfmsync_last_success_timestamp_seconds", "When the last successful run finished (0 = none yet, also across restarts: read from the run history).")
	m.lastRun = f.gauge("rfmsync_last_run_timestamp_seconds", "When the last run finished, successful or not (0 = none yet).")
	m.nextRun = f.gauge("rfmsync_next_run_timestamp_seconds", "When the next scheduled run is due (0 = none scheduled).")
	m.running = f.gauge("rfmsync_running", "1 while a sync runs.")
	m.ready = f.gauge("rfmsync_ready", "1 when /readyz answers ready.")
	m.authPaused = f.gauge("rfmsync_auth_breaker_open", "1 while syncs are paused because the CRM keeps rejecting the credentials.")
	m.consecutiveFails = f.gauge("rfmsync_consecutive_failed_runs", "Runs that failed in a row since the last success.")
	m.runs = f.counterVec("rfmsync_runs_total", "Sync runs finished, by result.", "result")
	m.runDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rfmsync_run_duration_seconds",
		Help:    "How long a sync run took, failed ones included.",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400}})
	m.reg.MustRegister(m.runDuration)
	m.pulled = f.counterVec("rfmsync_records_pulled_total", "Records read from the CRM, by source.", "source")
	m.skipped = f.counterVec("rfmsync_records_skipped_total", "Records that do not count, by reason (see the report's sample ids).", "reason")
	m.scored = f.gauge("rfmsync_customers_scored", "Customers scored by the last run that scored.")
	m.segments = f.gaugeVec("rfmsync_segment_customers", "Customers per segment in the last run that scored.", "segment")
	m.moves = f.counterVec("rfmsync_segment_moves_total", "Customers that moved between segments (written runs only).", "from", "to")
	m.writes = f.counterVec("rfmsync_writes_total", "Customer writes by outcome: accepted, rejected (bad value), not_found (deleted or merged), deferred (left for the next run).", "outcome")
	m.apiCalls = f.counterVec("rfmsync_crm_api_calls_total", "HTTP attempts sent to the CRM (retries and token calls included), by connector, call kind and outcome.", "connector", "kind", "outcome")
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rfmsync_crm_request_duration_seconds",
		Help:    "Time from sending a CRM request to its response headers, by connector and call kind.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}}, []string{"connector", "kind"})
	m.reg.MustRegister(m.latency)
	m.quotaUsed = f.gauge("rfmsync_crm_daily_quota_used", "CRM API calls used today against the daily limit.")
	m.quotaLimit = f.gauge("rfmsync_crm_daily_quota_limit", "The daily CRM API call limit (0 = unknown).")
	m.quotaRemaining = f.gauge("rfmsync_crm_daily_quota_remaining", "Calls left today as the CRM last reported (-1 = not reported).")
	m.quotaRemaining.Set(-1)

	m.buildInfo.WithLabelValues(m.admit("version", version), m.admit("connector", connector), runtime.Version()).Set(1)
	for _, r := range []string{ResultSuccess, ResultFailure} {
		m.runs.WithLabelValues(r)
	}
	for _, o := range writeOutcomes {
		m.writes.WithLabelValues(o)
	}
	for _, s := range []rfm.Skip{rfm.SkipNotWon, rfm.SkipNoCustomer, rfm.SkipBadClosedAt, rfm.SkipBadAmount, syncloop.SkipDeleted} {
		m.skipped.WithLabelValues(m.admit("reason", string(s)))
	}
	return m
}

// Registry is the registry behind /metrics (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the exposition. A collector error is served with what
// could be gathered rather than failing the whole scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// DeclareSegments gives every configured segment its gauge at 0 before the
// first run, so a dashboard shows the map and an alert on a segment works.
func (m *Metrics) DeclareSegments(ids []string) {
	for _, id := range ids {
		m.setSegment(id, 0)
	}
}

func (m *Metrics) setSegment(id string, n int) {
	v := m.admit("segment", id)
	m.mu.Lock()
	m.segIDs[v] = true
	m.mu.Unlock()
	m.segments.WithLabelValues(v).Set(float64(n))
}

// DeclareCalls creates the call counters of a connector's kinds at 0.
func (m *Metrics) DeclareCalls(connector string, kinds []string) {
	for _, k := range kinds {
		for _, o := range callobs.Outcomes {
			m.apiCalls.WithLabelValues(m.admit("connector", connector), m.admit("kind", k), o)
		}
	}
}

// ObserveCall is the callobs.Observer of the daemon's connector.
func (m *Metrics) ObserveCall(c callobs.Call) {
	conn, kind := m.admit("connector", c.Connector), m.admit("kind", c.Kind)
	m.apiCalls.WithLabelValues(conn, kind, c.Outcome).Inc()
	m.latency.WithLabelValues(conn, kind).Observe(c.Duration.Seconds())
}

// SetNext records when the next run is due.
func (m *Metrics) SetNext(t time.Time) { m.nextRun.Set(unix(t)) }

// SetRunning marks a run in progress.
func (m *Metrics) SetRunning(on bool) { m.running.Set(b2f(on)) }

// SetReadiness mirrors /readyz and the auth breaker.
func (m *Metrics) SetReadiness(ready, authPaused bool) {
	m.ready.Set(b2f(ready))
	m.authPaused.Set(b2f(authPaused))
}

// SetQuota records today's quota figures; a negative remaining means the
// CRM did not say.
func (m *Metrics) SetQuota(used, limit, remaining int64) {
	m.quotaUsed.Set(float64(used))
	m.quotaLimit.Set(float64(limit))
	m.quotaRemaining.Set(float64(remaining))
}

// Restore seeds the timestamps and the failure streak from the persisted
// history, so a restart does not look like a fresh install to an alert.
func (m *Metrics) Restore(lastSuccess, lastRun time.Time, consecutiveFailures int) {
	m.lastSuccess.Set(unix(lastSuccess))
	m.lastRun.Set(unix(lastRun))
	m.consecutiveFails.Set(float64(consecutiveFailures))
}

// ObserveRun adds one finished run; consecutive is the failure streak after it.
func (m *Metrics) ObserveRun(r Run, consecutive int) {
	result := ResultSuccess
	if r.Error != "" {
		result = ResultFailure
	} else {
		m.lastSuccess.Set(unix(r.Finished))
	}
	m.runs.WithLabelValues(result).Inc()
	m.lastRun.Set(unix(r.Finished))
	m.consecutiveFails.Set(float64(consecutive))
	m.runDuration.Observe(r.Finished.Sub(r.Started).Seconds())
	rep := r.Report
	if rep == nil {
		return
	}
	for s, n := range rep.Pulled {
		m.pulled.WithLabelValues(m.admit("source", s)).Add(float64(n))
	}
	for s, n := range rep.Skipped {
		m.skipped.WithLabelValues(m.admit("reason", string(s))).Add(float64(n))
	}
	if rep.DryRun {
		return
	}
	for k, n := range rep.Moves {
		from, to, _ := strings.Cut(k, " → ")
		m.moves.WithLabelValues(m.admit("segment", from), m.admit("segment", to)).Add(float64(n))
	}
	m.writes.WithLabelValues("accepted").Add(float64(rep.Written))
	m.writes.WithLabelValues("rejected").Add(float64(rep.Rejected))
	m.writes.WithLabelValues("not_found").Add(float64(rep.NotFound))
	m.writes.WithLabelValues("deferred").Add(float64(Deferred(rep)))
	if rep.Scored > 0 {
		m.scored.Set(float64(rep.Scored))
		m.mu.Lock()
		ids := make([]string, 0, len(m.segIDs))
		for id := range m.segIDs {
			ids = append(ids, id)
		}
		m.mu.Unlock()
		for _, id := range ids { // a segment that emptied shows 0, not its old size
			m.segments.WithLabelValues(id).Set(0)
		}
		for id, n := range rep.Segments {
			m.setSegment(id, n)
		}
	}
}

// Deferred is how many planned changes a real run neither wrote nor settled
// (a run stopped by a quota or an error): the next run writes them.
func Deferred(rep *syncloop.Report) int {
	if rep == nil || rep.DryRun {
		return 0
	}
	return max(0, rep.Changed-rep.Written-rep.Rejected-rep.NotFound)
}

// admit returns a label value that is valid, short and one of at most
// maxLabelValues per label name: bytes outside a small safe set (tabs,
// zero-width spaces, invalid UTF-8) become "_", so no segment id a config
// or CRM hands over can break the exposition.
func (m *Metrics) admit(label, v string) string {
	v = SanitizeLabel(v)
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.seen[label]
	if s == nil {
		s = map[string]bool{}
		m.seen[label] = s
	}
	if !s[v] {
		if len(s) >= maxLabelValues {
			return "other"
		}
		s[v] = true
	}
	return v
}

// SanitizeLabel maps v onto [A-Za-z0-9_.:()-] (other runes become "_"),
// at most 64 bytes; "" becomes "none".
func SanitizeLabel(v string) string {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "_")
	}
	var b strings.Builder
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_.:()-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// factory registers as it creates.
type factory struct{ reg *prometheus.Registry }

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}
