// Package deploy holds no code: its tests check the shipped Kubernetes
// manifests, Prometheus alert rules and Grafana dashboard against the
// Kubernetes API types, Prometheus' own rule parser and query engine, and
// the metrics rfmsync's registry really exposes. Nothing here needs a
// network or a cluster.
package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/rfmsync/rfmsync/core/callobs"
	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/status"
	"github.com/rfmsync/rfmsync/core/syncloop"

	// The manifests configure the HubSpot connector; its decoder checks them.
	_ "github.com/rfmsync/rfmsync/connectors/all"
)

// strict decodes one YAML document into v, refusing unknown fields.
func strict(t *testing.T, doc []byte, v any) {
	t.Helper()
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("does not decode strictly into %T: %v", v, err)
	}
}

type manifests struct {
	cm  corev1.ConfigMap
	sec corev1.Secret
	svc corev1.Service
	sts appsv1.StatefulSet
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}
	strict(t, read(t, "kubernetes/kustomization.yaml"), &k)
	files, _ := filepath.Glob("kubernetes/*.yaml")
	var listed []string
	for _, r := range k.Resources {
		listed = append(listed, filepath.Join("kubernetes", r))
	}
	listed = append(listed, "kubernetes/kustomization.yaml")
	slices.Sort(listed)
	if !slices.Equal(files, listed) {
		t.Errorf("kustomization lists %v, directory has %v", listed, files)
	}
	var m manifests
	for _, r := range k.Resources {
		doc := read(t, filepath.Join("kubernetes", r))
		var head struct{ Kind string }
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		switch head.Kind {
		case "ConfigMap":
			strict(t, doc, &m.cm)
		case "Secret":
			strict(t, doc, &m.sec)
		case "Service":
			strict(t, doc, &m.svc)
		case "StatefulSet":
			strict(t, doc, &m.sts)
		default:
			t.Fatalf("%s: unexpected kind %q", r, head.Kind)
		}
	}
	return m
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKubernetesManifests(t *testing.T) {
	m := loadManifests(t)
	sts := m.sts
	if sts.APIVersion != "apps/v1" || sts.Spec.Replicas == nil || *sts.Spec.Replicas != 1 {
		t.Error("the StatefulSet must run exactly one replica: one writer per state file")
	}
	if sts.Spec.ServiceName != m.svc.Name || m.svc.Spec.ClusterIP != corev1.ClusterIPNone || !m.svc.Spec.PublishNotReadyAddresses {
		t.Error("the StatefulSet's service must be its headless Service, listing unready pods for scrapes")
	}
	for k, v := range sts.Spec.Selector.MatchLabels {
		if sts.Spec.Template.Labels[k] != v || m.svc.Spec.Selector[k] != v {
			t.Errorf("selector label %s=%s missing from the pod template or the Service", k, v)
		}
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 || sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().IsZero() {
		t.Fatal("the state needs a PersistentVolumeClaim template with a size")
	}
	if len(sts.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("one container expected")
	}
	c := sts.Spec.Template.Spec.Containers[0]
	mounts := map[string]string{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.Name] = vm.MountPath
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range sts.Spec.Template.Spec.Volumes {
		volumes[v.Name] = v
	}
	if v := volumes["config"]; v.ConfigMap == nil || v.ConfigMap.Name != m.cm.Name {
		t.Error("config volume does not mount the ConfigMap")
	}
	if v := volumes["secrets"]; v.Secret == nil || v.Secret.SecretName != m.sec.Name {
		t.Error("secrets volume does not mount the Secret")
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" ||
		c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("probes: liveness must ask /healthz, readiness /readyz")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("resource requests (cpu, memory) and a memory limit are required")
	}
	if sc := sts.Spec.Template.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("the pod must run as non-root")
	}
	var port int32
	for _, p := range c.Ports {
		if p.Name == "metrics" {
			port = p.ContainerPort
		}
	}
	if port == 0 || c.ReadinessProbe.HTTPGet.Port.StrVal != "metrics" || m.svc.Spec.Ports[0].TargetPort.StrVal != "metrics" {
		t.Error("probes and the Service must use the named metrics port")
	}

	// The ConfigMap's config loads with the real loader once the mounted
	// secret files exist, and agrees with the mounts and the port.
	text := m.cm.Data["config.yaml"]
	dir := t.TempDir()
	secretDir := mounts["secrets"]
	for key, val := range m.sec.StringData {
		if err := os.WriteFile(filepath.Join(dir, key), []byte(val), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	local := strings.ReplaceAll(text, secretDir+"/", dir+"/")
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the ConfigMap's config does not load: %v", err)
	}
	if filepath.Dir(cfg.State.Path) != mounts["state"] {
		t.Errorf("state.path %s is not on the PVC mounted at %s", cfg.State.Path, mounts["state"])
	}
	if cfg.Listen != fmt.Sprintf("0.0.0.0:%d", port) {
		t.Errorf("listen %s does not serve the container port %d", cfg.Listen, port)
	}
	if cfg.Status.TokenFile == "" {
		t.Error("a non-loopback listen in the manifest must set status.token_file")
	}
	for _, ref := range regexp.MustCompile(regexp.QuoteMeta(secretDir)+`/([a-z-]+)`).FindAllStringSubmatch(text, -1) {
		if _, ok := m.sec.StringData[ref[1]]; !ok {
			t.Errorf("config reads %s, which the Secret does not hold", ref[0])
		}
	}
}

// exposed gathers what the registry exposes after a run and a call.
func exposed(t *testing.T) map[string]bool {
	t.Helper()
	m := status.NewMetrics("test", "hubspot")
	m.DeclareSegments([]string{"champions"})
	m.ObserveRun(status.Run{Started: time.Unix(0, 0), Finished: time.Unix(5, 0), Report: &syncloop.Report{
		Scored: 1, Segments: map[string]int{"champions": 1}, Moves: map[string]int{"(none) → champions": 1},
		Pulled: map[string]int{"deals": 1}, Skipped: map[rfm.Skip]int{}}}, 0)
	m.ObserveCall(callobs.Call{Connector: "hubspot", Kind: "search", Outcome: callobs.OutcomeOK, Duration: time.Millisecond})
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+s] = true
			}
		}
	}
	return names
}

// metricNames lists the metric names an expression selects.
func metricNames(t *testing.T, expr string) []string {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("%q does not parse: %v", expr, err)
	}
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs.Name)
		}
		return nil
	})
	return out
}

func loadRules(t *testing.T) *rulefmt.RuleGroups {
	t.Helper()
	groups, errs := rulefmt.Parse(read(t, "prometheus/rfmsync-alerts.yaml"), false, model.UTF8Validation,
		parser.NewParser(parser.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(errs) > 0 {
		t.Fatalf("alert rules do not parse: %v", errs)
	}
	return groups
}

func TestAlertRulesUseExposedMetrics(t *testing.T) {
	names := exposed(t)
	groups := loadRules(t)
	alerts := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			alerts++
			if r.Alert == "" || r.Annotations["summary"] == "" || r.Labels["severity"] == "" {
				t.Errorf("rule %q needs an alert name, a severity and a summary", r.Expr)
			}
			for _, n := range metricNames(t, r.Expr) {
				if !names[n] {
					t.Errorf("alert %s uses %s, which rfmsync does not expose", r.Alert, n)
				}
			}
		}
	}
	if alerts < 5 {
		t.Errorf("only %d alerts", alerts)
	}
}

// TestAlertsFireOnlyWhenTheyShould feeds the registry's own samples to
// Prometheus' query engine, once for a daemon in trouble and once for a
// healthy one, and evaluates every alert expression 30 hours in.
func TestAlertsFireOnlyWhenTheyShould(t *testing.T) {
	eval := 30 * time.Hour
	sick := status.NewMetrics("test", "hubspot")
	sick.Restore(time.Unix(60, 0), time.Unix(60, 0), 0)
	for range 3 {
		sick.ObserveRun(status.Run{Started: time.Unix(100, 0), Finished: time.Unix(200, 0), Error: "crm down",
			Report: &syncloop.Report{Changed: 3, Written: 1, Rejected: 2}}, 3)
	}
	sick.SetQuota(900, 1000, 100)
	sick.SetReadiness(false, true)
	for range 60 {
		sick.ObserveCall(callobs.Call{Connector: "hubspot", Kind: "search", Outcome: callobs.OutcomeServerError})
	}
	healthy := status.NewMetrics("test", "hubspot")
	healthy.ObserveRun(status.Run{Started: time.Unix(0, 0).Add(eval - time.Hour), Finished: time.Unix(0, 0).Add(eval - time.Hour + time.Minute),
		Report: &syncloop.Report{Scored: 5, Changed: 2, Written: 2}}, 0)
	healthy.SetQuota(100, 1000, 900)
	healthy.SetReadiness(true, false)

	groups := loadRules(t)
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	defer engine.Close()
	for name, tc := range map[string]struct {
		m    *status.Metrics
		fire bool
	}{"sick": {sick, true}, "healthy": {healthy, false}} {
		t.Run(name, func(t *testing.T) {
			st := scraped(t, tc.m, eval)
			for _, g := range groups.Groups {
				for _, r := range g.Rules {
					q, err := engine.NewInstantQuery(context.Background(), st, nil, r.Expr, time.Unix(0, 0).Add(eval))
					if err != nil {
						t.Fatal(err)
					}
					res := q.Exec(context.Background())
					if res.Err != nil {
						t.Fatalf("%s: %v", r.Alert, res.Err)
					}
					v, _ := res.Vector()
					if fired := len(v) > 0; fired != tc.fire {
						t.Errorf("%s fired=%v, want %v (result %v)", r.Alert, fired, tc.fire, res.Value)
					}
				}
			}
		})
	}
}

// scraped turns the registry's counters and gauges into the series a
// scrape every 5 minutes over span would have stored: gauges hold their
// value, counters jump to theirs half an hour before the end, and the
// process has been up since time 0.
func scraped(t *testing.T, m *status.Metrics, span time.Duration) storage.Queryable {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	step := 5 * time.Minute
	n := int(span/step) + 1
	var all []storage.Series
	for _, f := range fams {
		for _, s := range f.Metric {
			lset := []string{"__name__", f.GetName(), "instance", "a", "job", "rfmsync"}
			for _, l := range s.Label {
				lset = append(lset, l.GetName(), l.GetValue())
			}
			if s.Counter == nil && s.Gauge == nil {
				continue
			}
			samples := make([]chunks.Sample, n)
			for i := range n {
				smp := floatSample{t: (time.Duration(i) * step).Milliseconds()}
				switch {
				case s.Counter != nil:
					if i >= n-6 {
						smp.f = s.Counter.GetValue()
					}
				case f.GetName() == "process_start_time_seconds":
				default:
					smp.f = s.Gauge.GetValue()
				}
				samples[i] = smp
			}
			all = append(all, storage.NewListSeries(labels.FromStrings(lset...), samples))
		}
	}
	return storage.QueryableFunc(func(_, _ int64) (storage.Querier, error) {
		return &storage.MockQuerier{SelectMockFunction: func(sortSeries bool, _ *storage.SelectHints, ms ...*labels.Matcher) storage.SeriesSet {
			var out []storage.Series
			for _, s := range all {
				if matchesAll(s.Labels(), ms) {
					out = append(out, s)
				}
			}
			if sortSeries {
				slices.SortFunc(out, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
			}
			return &seriesSet{list: out, i: -1}
		}}, nil
	})
}

func matchesAll(l labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(l.Get(m.Name)) {
			return false
		}
	}
	return true
}

// floatSample is one stored float sample.
type floatSample struct {
	t int64
	f float64
}

func (s floatSample) T() int64                      { return s.t }
func (s floatSample) ST() int64                     { return 0 }
func (s floatSample) F() float64                    { return s.f }
func (s floatSample) H() *histogram.Histogram       { return nil }
func (s floatSample) FH() *histogram.FloatHistogram { return nil }
func (s floatSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s floatSample) Copy() chunks.Sample           { return s }

type seriesSet struct {
	list []storage.Series
	i    int
}

func (s *seriesSet) Next() bool                        { s.i++; return s.i < len(s.list) }
func (s *seriesSet) At() storage.Series                { return s.list[s.i] }
func (s *seriesSet) Err() error                        { return nil }
func (s *seriesSet) Warnings() annotations.Annotations { return nil }

func TestGrafanaDashboard(t *testing.T) {
	var d struct {
		Title      string `json:"title"`
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID      int                      `json:"id"`
			Title   string                   `json:"title"`
			Type    string                   `json:"type"`
			GridPos struct{ X, Y, W, H int } `json:"gridPos"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(read(t, "grafana/rfmsync-dashboard.json"), &d); err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard needs a uid and a title")
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	names := exposed(t)
	ids := map[int]bool{}
	used := map[string]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] || p.GridPos.W == 0 || p.GridPos.H == 0 || len(p.Targets) == 0 {
			t.Errorf("panel %q: needs a unique id, a size and a query", p.Title)
		}
		ids[p.ID] = true
		for _, tg := range p.Targets {
			for _, v := range regexp.MustCompile(`\$([a-z_]+)`).FindAllStringSubmatch(tg.Expr, -1) {
				if !vars[v[1]] && v[1] != "__rate_interval" {
					t.Errorf("panel %q uses undefined variable $%s", p.Title, v[1])
				}
			}
			expr := strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*").Replace(tg.Expr)
			for _, n := range metricNames(t, expr) {
				if !names[n] {
					t.Errorf("panel %q uses %s, which rfmsync does not expose", p.Title, n)
				}
				used[n] = true
			}
		}
	}
	for _, want := range []string{"rfmsync_segment_customers", "rfmsync_segment_moves_total", "rfmsync_runs_total",
		"rfmsync_crm_api_calls_total", "rfmsync_crm_daily_quota_used", "rfmsync_crm_request_duration_seconds_bucket"} {
		if !used[want] {
			t.Errorf("dashboard shows no %s", want)
		}
	}
}

// TestDockerfile checks, without a container engine, the promises the
// image makes; the build itself needs docker (see README, Container).
func TestDockerfile(t *testing.T) {
	df := string(read(t, "../Dockerfile"))
	var final []string // instructions of the last stage
	for _, line := range strings.Split(strings.ReplaceAll(df, "\\\n", " "), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			final = nil
		}
		final = append(final, line)
	}
	has := func(re string) bool {
		r := regexp.MustCompile(re)
		for _, l := range final {
			if r.MatchString(l) {
				return true
			}
		}
		return false
	}
	for what, re := range map[string]string{
		"a distroless static or scratch runtime": `^FROM (gcr\.io/distroless/static\S*|scratch)\b`,
		"a non-root numeric user":                `^USER [1-9][0-9]*(:[1-9][0-9]*)?$`,
		"the healthcheck command":                `^HEALTHCHECK .*CMD \["/usr/local/bin/rfmsync", "healthcheck"\]`,
		"a listen reachable through EXPOSE":      `^ENV RFMSYNC_LISTEN=0\.0\.0\.0:9464`,
		"EXPOSE 9464":                            `^EXPOSE 9464$`,
		"freed memory kept mapped (MADV_FREE)":   `^ENV GODEBUG=madvdontneed=0$`,
		"OCI version label":                      `org\.opencontainers\.image\.version="\$\{VERSION\}"`,
		"the daemon as default command":          `^CMD \["run", "--config", "/etc/rfmsync/config\.yaml"\]`,
	} {
		if !has(re) {
			t.Errorf("Dockerfile's runtime stage lacks %s (%s)", what, re)
		}
	}
	if !strings.Contains(df, "-X main.version=${VERSION}") || !strings.Contains(df, "CGO_ENABLED=0") {
		t.Error("the build must be static and stamp the version")
	}
	ignore := string(read(t, "../.dockerignore"))
	for _, want := range []string{".git", "**/*.db"} {
		if !slices.Contains(strings.Split(ignore, "\n"), want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}
