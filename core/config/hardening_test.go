package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ValidateFieldName gives the stub connector naming rules, as a real
// connector's optional connector.FieldNameValidator does.
func (o *stubOptions) ValidateFieldName(name string) error {
	if strings.ToLower(name) != name || strings.ContainsAny(name, " -.") {
		return fmt.Errorf("%q is not a valid stub field name", name)
	}
	return nil
}

// aliasBomb is the classic "billion laughs" in YAML: 780 bytes expanding to
// 9^9 values.
const aliasBomb = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
j: &j [*i,*i,*i,*i,*i,*i,*i,*i,*i]
k: &k [*j,*j,*j,*j,*j,*j,*j,*j,*j]
l: &l [*k,*k,*k,*k,*k,*k,*k,*k,*k]
m: &m [*l,*l,*l,*l,*l,*l,*l,*l,*l]
n: &n [*m,*m,*m,*m,*m,*m,*m,*m,*m]
o: &o [*n,*n,*n,*n,*n,*n,*n,*n,*n]
p: &p [*o,*o,*o,*o,*o,*o,*o,*o,*o]
q: &q [*p,*p,*p,*p,*p,*p,*p,*p,*p]
r: &r [*q,*q,*q,*q,*q,*q,*q,*q,*q]
s: &s [*r,*r,*r,*r,*r,*r,*r,*r,*r]
`

func TestHostileConfigsNameTheirKey(t *testing.T) {
	cases := []struct {
		name    string
		yaml    string
		env     []string
		key     string
		problem string
	}{
		{"alias bomb", aliasBomb, nil, "", "alias bomb is refused"},
		{"every minute", "schedule: {cron: \"* * * * *\"}\n", nil, "schedule.cron", "1m0s apart"},
		{"two minutes at the hour's end", "schedule: {cron: \"0,58 * * * *\"}\n", nil, "schedule.cron", "2m0s apart"},
		{"negative @every", "schedule: {cron: \"@every -1h\"}\n", nil, "schedule.cron", "not a positive interval"},
		{"nanosecond @every", "schedule: {cron: \"@every 1ns\"}\n", nil, "schedule.cron", "more often than schedule.min_interval (5m0s)"},
		{"@every below a raised minimum", "schedule: {cron: \"@every 30m\", min_interval: 1h}\n", nil, "schedule.cron", "more often than schedule.min_interval (1h0m0s)"},
		{"February 30", "schedule: {cron: \"0 3 30 2 *\"}\n", nil, "schedule.cron", "never fires"},
		{"min_interval zero", "schedule: {min_interval: 0s}\n", nil, "schedule.min_interval", "must be positive"},
		{"override naming no key", "rfm: {window_days: 30}\n", []string{"RFMSYNC_RFM__WINDOWDAYS=3"}, "", "RFMSYNC_RFM__WINDOWDAYS names no config key (did you mean RFMSYNC_RFM__WINDOW_DAYS"},
		{"override with one underscore", "", []string{"RFMSYNC_RFM_WINDOW_DAYS=3"}, "", "RFMSYNC_RFM_WINDOW_DAYS names no config key"},
		{"override of an unknown crm key", hubspotOK, []string{"RFMSYNC_CRM__HUBSPOT__TOKN=x"}, "crm.hubspot.tokn", "unknown key"},
		{"field name the CRM refuses", hubspotOK + "fields: {segment: RFM Segment}\n", nil, "fields.segment", "not a valid stub field name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytesEnv([]byte(tc.yaml), tc.env)
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("err = %v, want config.Errors", err)
			}
			for _, e := range es {
				if e.Key == tc.key && strings.Contains(e.Problem, tc.problem) {
					return
				}
			}
			t.Errorf("no error at %q containing %q; got:\n%v", tc.key, tc.problem, err)
		})
	}
}

func TestGoodSchedulesPass(t *testing.T) {
	for _, spec := range []string{"0 3 * * *", "*/5 * * * *", "@every 5m", "@hourly", "0 3 29 2 *", "30 2 * * *"} {
		c, err := LoadBytesEnv([]byte(fmt.Sprintf("schedule: {cron: %q, timezone: Europe/Rome}\n", spec)), nil)
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		runs := c.NextRuns(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 3)
		if len(runs) != 3 || !runs[0].Before(runs[1]) || !runs[1].Before(runs[2]) {
			t.Errorf("%s: next runs %v, want three ascending", spec, runs)
		}
	}
}

func TestNextRunsAreTheScheduleInItsZone(t *testing.T) {
	c, err := LoadBytesEnv([]byte("schedule: {cron: \"0 3 * * 1\", timezone: Europe/Rome}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 3, 25, 12, 0, 0, 0, time.UTC) // a Wednesday, before the DST change
	got := c.NextRuns(from, 3)
	want := []string{"2026-03-30T03:00:00+02:00", "2026-04-06T03:00:00+02:00", "2026-04-13T03:00:00+02:00"}
	for i := range want {
		if i >= len(got) || got[i].Format(time.RFC3339) != want[i] {
			t.Fatalf("next runs %v, want %v", got, want)
		}
	}
}

func TestListedOverridesApplyCRMKeysAbsentFromTheFile(t *testing.T) {
	c, err := LoadBytesEnv([]byte("crm: {type: hubspot, hubspot: {sources: [deals]}}\n"),
		[]string{"RFMSYNC_CRM__HUBSPOT__TOKEN=from-env", "PATH=/bin", "RFMSYNC_RFM__WINDOW_DAYS=90"})
	if err != nil {
		t.Fatal(err)
	}
	if tok := c.Connector().(*stubOptions).Token; tok != "from-env" || c.RFM.WindowDays != 90 {
		t.Errorf("token %q, window %d: overrides not applied", tok, c.RFM.WindowDays)
	}
}

func TestEmptyConfigAndNoFieldsWarn(t *testing.T) {
	c, err := LoadBytesEnv(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "sets no key") {
		t.Errorf("empty config warnings %q", w)
	}
	c, err = LoadBytesEnv([]byte(hubspotOK), nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "no field is mapped") {
		t.Errorf("no-fields warnings %q", w)
	}
	c, err = LoadBytesEnv([]byte(hubspotOK+"fields: {segment: rfm_segment}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("a complete config warns: %q", w)
	}
}

// BenchmarkAliasBomb shows the bomb is refused after a bounded amount of
// work, not after expanding it.
func BenchmarkAliasBomb(b *testing.B) {
	for range b.N {
		if _, err := LoadBytesEnv([]byte(aliasBomb), nil); err == nil {
			b.Fatal("the bomb loaded")
		}
	}
}

func TestSecretFileIsBounded(t *testing.T) {
	if _, err := ReadSecret("", "/dev/zero"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("ReadSecret(/dev/zero) = %v, want a size error", err)
	}
}
