package config

import (
	"github.com/rfmsync/rfmsync/core/outputs"

	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func mustLoad(t *testing.T, doc string, vars map[string]string) *Config {
	t.Helper()
	c, err := LoadBytes([]byte(doc), lookupOf(vars))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c
}

func TestDefaults(t *testing.T) {
	c := Default()
	if c.Schedule.Cron != "0 3 * * *" || c.Schedule.Timezone != "UTC" || c.Location() != time.UTC {
		t.Errorf("schedule = %+v, location %v", c.Schedule, c.Location())
	}
	if c.State.Path != "rfmsync.db" || c.State.LockTimeout != 5*time.Second {
		t.Errorf("state = %+v", c.State)
	}
	if c.Listen != "127.0.0.1:9464" {
		t.Errorf("listen = %q", c.Listen)
	}
	if c.CRM.Type != "" || c.Connector() != nil {
		t.Errorf("crm = %v, connector %v; want offline", c.CRM, c.Connector())
	}
	p := c.Params()
	if p.Bins != 5 || p.R.Method != rfm.Quantile || p.F.Method != rfm.Quantile || p.M.Method != rfm.Quantile {
		t.Errorf("params = %+v", p)
	}
	if got, want := p.Segments.Rules(), rfm.ElevenSegments(); !reflect.DeepEqual(got, want) {
		t.Errorf("segments = %v, want the eleven preset", got)
	}
	if p.NewCustomerDays != 0 || c.RFM.WindowDays != 730 {
		t.Errorf("new days %d, window %d", p.NewCustomerDays, c.RFM.WindowDays)
	}
	if c.Inactive() != (InactivePolicy{Mode: InactiveClear}) {
		t.Errorf("inactive = %+v", c.Inactive())
	}
	if len(c.FieldMap()) != 0 {
		t.Errorf("fields = %+v", c.Fields)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("default params do not validate: %v", err)
	}
}

func TestEnvSubstitution(t *testing.T) {
	doc := hubspotOK + "fields:\n  m: \"${GROUP}_x\"\n  r: \"$${literal}\"\n  f: \"${A}${B}\"\nrfm:\n  window_days: ${DAYS}\n"
	c := mustLoad(t, doc, map[string]string{"GROUP": "grp", "A": "a", "B": "", "DAYS": "365"})
	if fm := c.FieldMap(); fm["m"].For("") != "grp_x" || fm["r"].For("") != "${literal}" || fm["f"].For("") != "a" {
		t.Errorf("fields = %+v", c.Fields)
	}
	if c.RFM.WindowDays != 365 {
		t.Errorf("window_days = %d; a substituted number must decode", c.RFM.WindowDays)
	}
	doc = "crm:\n  type: hubspot\n  hubspot: {token: \"${HUBSPOT_TOKEN}\", sources: [deals]}\n"
	c = mustLoad(t, doc, map[string]string{"HUBSPOT_TOKEN": "pat-123"})
	if tok := c.Connector().(*stubOptions).Token; tok != "pat-123" {
		t.Errorf("token = %q", tok)
	}
}

func TestEnvOverrides(t *testing.T) {
	doc := hubspotOK + "rfm:\n  window_days: 730\n"
	c := mustLoad(t, doc, map[string]string{
		"RFMSYNC_RFM__WINDOW_DAYS":      "365",
		"RFMSYNC_STATE__LOCK_TIMEOUT":   "1m",
		"RFMSYNC_LISTEN":                "",
		"RFMSYNC_SCHEDULE__CRON":        "@daily",
		"RFMSYNC_RFM__MONETARY__METHOD": "threshold",
		"RFMSYNC_RFM__MONETARY__CUTS":   "[100, 500.10, 1000, 5000]",
		"RFMSYNC_RFM__SEGMENTS__PRESET": "four",
		"RFMSYNC_FIELDS__SEGMENT":       "seg",
		"RFMSYNC_CRM__HUBSPOT__TOKEN":   "from-env",
		"RFMSYNC_RFM__WINDOWDAYS":       "1", // not a key: never looked up
		"WINDOW_DAYS":                   "2",
	})
	if c.RFM.WindowDays != 365 || c.State.LockTimeout != time.Minute || c.Listen != "" || c.Schedule.Cron != "@daily" {
		t.Errorf("overrides not applied: rfm %+v state %+v listen %q cron %q", c.RFM, c.State, c.Listen, c.Schedule.Cron)
	}
	if got := c.Params().M.Cuts[1].String(); got != "500.100000" {
		t.Errorf("monetary cut = %s, want exactly 500.10", got)
	}
	if c.Params().Segments.Rules()[0].ID != "high_value" || c.FieldMap()["segment"].For("") != "seg" {
		t.Errorf("preset/fields override not applied")
	}
	if tok := c.Connector().(*stubOptions).Token; tok != "from-env" {
		t.Errorf("connector override: token = %q", tok)
	}
	if got := EnvName("rfm.new_customers.days"); got != "RFMSYNC_RFM__NEW_CUSTOMERS__DAYS" {
		t.Errorf("EnvName = %s", got)
	}
}

func TestSecretFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("pat-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := fmt.Sprintf("crm:\n  type: hubspot\n  hubspot: {token_file: %q, sources: [deals]}\n", path)
	c := mustLoad(t, doc, nil)
	if tok := c.Connector().(*stubOptions).Token; tok != "pat-from-file" {
		t.Errorf("token = %q, want the file's content without the newline", tok)
	}
	if s := fmt.Sprintf("%v %+v %#v %#v", c, c, c, c.CRM); strings.Contains(s, "pat-from-file") {
		t.Errorf("formatting the config prints the secret: %s", s)
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		value, file, want, err string
	}{
		{value: "v", want: "v"},
		{file: write("crlf", "abc\r\n"), want: "abc"},
		{file: write("inner", "a\nb\n"), want: "a\nb"},
		{file: write("empty", "\n"), err: "is empty"},
		{value: "v", file: write("both", "x"), err: "not both"},
		{file: filepath.Join(dir, "absent"), err: "read secret file"},
	}
	for _, tc := range cases {
		got, err := ReadSecret(tc.value, tc.file)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ReadSecret(%q, %q) error = %v, want %q", tc.value, tc.file, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ReadSecret(%q, %q) = %q, %v; want %q", tc.value, tc.file, got, err, tc.want)
		}
	}
}

func TestThresholdAndRulesCompile(t *testing.T) {
	doc := `
rfm:
  bins: 3
  recency: {method: threshold, cuts: [30, 90], recalibrate_every: 30d}
  frequency: {method: threshold, cuts: ["2", 5]}
  monetary: {method: threshold, cuts: [99.999999, 12345678901234567.89]}
  segments:
    rules:
      - {id: best, label: Best, r: 3, f: "2-3", m: [2, 3]}
      - {id: rest}
  new_customers: {days: 14, id: fresh}
  inactive: {mode: label}
`
	c := mustLoad(t, doc, nil)
	p := c.Params()
	if p.Bins != 3 || p.R.Method != rfm.Threshold || c.RFM.Recency.RecalibrateEvery != 30*24*time.Hour {
		t.Fatalf("params = %+v", p)
	}
	if got := p.M.Cuts[1].String(); got != "12345678901234567.890000" {
		t.Errorf("large money cut = %s; YAML floats must keep their text", got)
	}
	if got := p.F.Cuts[0].String(); got != "2.000000" {
		t.Errorf("frequency cut = %s", got)
	}
	rules := p.Segments.Rules()
	want := rfm.SegmentRule{Segment: rfm.Segment{ID: "best", Label: "Best"},
		R: rfm.Range{Lo: 3, Hi: 3}, F: rfm.Range{Lo: 2, Hi: 3}, M: rfm.Range{Lo: 2, Hi: 3}}
	if rules[0] != want || rules[1].Label != "rest" {
		t.Errorf("rules = %+v", rules)
	}
	if p.NewCustomerDays != 14 || p.NewSegment != (rfm.Segment{ID: "fresh", Label: "New"}) {
		t.Errorf("new customers = %d %+v", p.NewCustomerDays, p.NewSegment)
	}
	if c.Inactive() != (InactivePolicy{Mode: InactiveLabel, Segment: rfm.Segment{ID: "inactive", Label: "Inactive"}}) {
		t.Errorf("inactive = %+v", c.Inactive())
	}
	if err := p.Validate(); err != nil {
		t.Errorf("compiled params do not validate: %v", err)
	}
}

func TestFieldMapPerType(t *testing.T) {
	c := mustLoad(t, "fields:\n  segment_changed_at: b\n  r: a\n  segment:\n    Accounts: cf_812\n    Contacts: cf_907\n", nil)
	fm := c.FieldMap()
	if fm["r"].For("Accounts") != "a" || fm["segment_changed_at"].For("Contacts") != "b" {
		t.Errorf("FieldMap = %v", fm)
	}
	if fm["segment"].For("Accounts") != "cf_812" || fm["segment"].For("Contacts") != "cf_907" || fm["segment"].For("Leads") != "" {
		t.Errorf("segment per type = %+v", fm["segment"])
	}
	if got := fm.Outputs(); !reflect.DeepEqual(got, []string{"r", "segment", "segment_changed_at"}) {
		t.Errorf("Outputs = %v", got)
	}
	// Every output is read from the fields key of the same name.
	for _, o := range outputs.Names() {
		c := mustLoad(t, "fields:\n  "+o+": x\n", nil)
		if got := c.FieldMap(); len(got) != 1 || got[o].For("any") != "x" {
			t.Errorf("fields.%s: FieldMap = %v", o, got)
		}
	}
}

func TestLoadFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rfmsync.yaml")
	if err := os.WriteFile(path, []byte("rfm:\n  window_days: 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, lookupOf(map[string]string{"RFMSYNC_RFM__BINS": "5"}))
	if err != nil || c.RFM.WindowDays != 100 {
		t.Fatalf("Load = %+v, %v", c, err)
	}
	if err := os.WriteFile(path, []byte("rfm:\n  bins: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil); err == nil || !strings.Contains(err.Error(), "rfmsync.yaml: yaml:") {
		t.Errorf("bad YAML error = %v; want the file named", err)
	}
}

func TestYAMLAnchorsAndMerge(t *testing.T) {
	doc := `
base: &m {method: threshold, cuts: [1, 2, 3, 4]}
`
	if _, err := LoadBytes([]byte(doc), nil); err == nil {
		t.Fatal("unknown top-level key base accepted")
	}
	doc = `
rfm:
  frequency: &t {method: threshold, cuts: [1, 2, 3, 4]}
  monetary:
    <<: *t
    cuts: [10, 20, 30, 40.5]
`
	c := mustLoad(t, doc, nil)
	if c.RFM.Monetary.Method != "threshold" || c.RFM.Monetary.Cuts[3] != "40.5" {
		t.Errorf("merge key: monetary = %+v", c.RFM.Monetary)
	}
}
