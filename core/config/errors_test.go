package config

import (
	"errors"
	"strings"
	"testing"
)

// lookupOf returns a lookup over a fixed map, standing in for os.LookupEnv.
func lookupOf(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// hubspotOK is a valid crm section for cases that need one.
const hubspotOK = "crm:\n  type: hubspot\n  hubspot: {token: t, sources: [deals]}\n"

func TestLoadErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name    string
		yaml    string
		env     map[string]string
		key     string
		problem string
	}{
		{"unknown top-level key", "colour: blue\n", nil, "colour", "unknown key (known here: crm, fields, listen, log, predict, rfm, schedule, state, status)"},
		{"unknown nested key", "rfm:\n  window_dayz: 3\n", nil, "rfm.window_dayz", "unknown key"},
		{"unknown key in a rule", "rfm:\n  segments:\n    rules:\n      - {id: all, colour: red}\n", nil, "rfm.segments.rules[0].colour", "known here: f, fm, id, label, m, r"},
		{"unknown fields output", "fields:\n  score: rfm_score\n", nil, "fields.score", "frequency, holdout, last_purchase_at"},
		{"fields.group moved", "fields:\n  group: rfm\n", nil, "fields.group", "crm.hubspot.property_group"},
		{"field per type mapped twice", "fields:\n  r: rfm_r\n  f:\n    Contacts: RFM_R\n", nil, "fields.f.Contacts", `CRM field "RFM_R" is already mapped by fields.r`},
		{"field per type not text", "fields:\n  f:\n    Contacts: [a]\n", nil, "fields.f", "want a field name"},
		{"wrong type", "rfm:\n  bins: five\n", nil, "rfm.bins", "wrong type: want a whole number"},
		{"float for an int", "rfm:\n  bins: 5.5\n", nil, "rfm.bins", "wrong type"},
		{"scalar for a section", "rfm: 5\n", nil, "rfm", "want a mapping"},
		{"list for text", "schedule:\n  timezone: [UTC]\n", nil, "schedule.timezone", "want text, got a list"},
		{"bins above range", "rfm:\n  bins: 10\n", nil, "rfm.bins", "10 is outside 2..9"},
		{"bins below range", "rfm:\n  bins: 1\n", nil, "rfm.bins", "1 is outside 2..9"},
		{"window_days zero", "rfm:\n  window_days: 0\n", nil, "rfm.window_days", "at least 1"},
		{"bad cron", "schedule:\n  cron: \"61 * * * *\"\n", nil, "schedule.cron", "not a cron expression"},
		{"cron with its own zone", "schedule:\n  cron: \"CRON_TZ=UTC 0 3 * * *\"\n", nil, "schedule.cron", "schedule.timezone"},
		{"bad timezone", "schedule:\n  timezone: Mars/Olympus\n", nil, "schedule.timezone", `unknown time zone "Mars/Olympus"`},
		{"lock timeout without unit", "state:\n  lock_timeout: 5\n", nil, "state.lock_timeout", "needs a unit"},
		{"bad listen", "listen: localhost\n", nil, "listen", "not host:port"},
		{"non-ascending cuts", "rfm:\n  monetary: {method: threshold, cuts: [100, 50.5, 200, 300]}\n", nil, "rfm.monetary.cuts", "strictly ascending: 50.5 is not above 100"},
		{"wrong cut count", "rfm:\n  recency: {method: threshold, cuts: [30, 90]}\n", nil, "rfm.recency.cuts", "threshold with 5 bins needs 4 cut points, got 2"},
		{"cuts with quantile", "rfm:\n  frequency: {cuts: [1, 2, 3, 4]}\n", nil, "rfm.frequency.cuts", "only used by the threshold method"},
		{"fractional days", "rfm:\n  recency: {method: threshold, cuts: [30, 90.5, 180, 365]}\n", nil, "rfm.recency.cuts[1]", `"90.5" is not a whole number of days`},
		{"amount with separator", "rfm:\n  monetary: {method: threshold, cuts: [\"1,000\", 2000, 3000, 4000]}\n", nil, "rfm.monetary.cuts[0]", "not a plain decimal amount"},
		{"unknown method", "rfm:\n  recency: {method: median}\n", nil, "rfm.recency.method", `unknown method "median"`},
		{"recalibrate with quantile", "rfm:\n  recency: {recalibrate_every: 30d}\n", nil, "rfm.recency.recalibrate_every", "only used by the threshold method"},
		{"recalibrate not a duration", "rfm:\n  monetary: {method: threshold, cuts: [1, 2, 3, 4], recalibrate_every: soon}\n", nil, "rfm.monetary.recalibrate_every", "want a duration"},
		{"unreachable rule", "rfm:\n  segments:\n    rules:\n      - {id: everyone}\n      - {id: never, r: 5}\n", nil, "rfm.segments.rules[1]", `rule "never": can never match`},
		{"uncovered cells", "rfm:\n  segments:\n    rules:\n      - {id: top, r: 5}\n", nil, "rfm.segments", "100 cells of the R×F×M grid match no rule"},
		{"rule range not a range", "rfm:\n  segments:\n    rules:\n      - {id: a, r: high}\n", nil, "rfm.segments.rules[0].r", "want a score"},
		{"rule range zero", "rfm:\n  segments:\n    rules:\n      - {id: a, r: 0}\n", nil, "rfm.segments.rules[0].r", "scores start at 1"},
		{"rule range beyond bins", "rfm:\n  segments:\n    rules:\n      - {id: a, r: \"4-6\"}\n", nil, "rfm.segments.rules[0]", "r range 4-6 is not within 1-5"},
		{"duplicate rule id", "rfm:\n  segments:\n    rules:\n      - {id: a, r: 5}\n      - {id: a}\n", nil, "rfm.segments.rules[1]", "used by an earlier rule"},
		{"bins other than 5 without rules", "rfm:\n  bins: 4\n", nil, "rfm.segments", "presets are defined for 5 bins"},
		{"preset and rules", "rfm:\n  segments:\n    preset: four\n    rules: [{id: all}]\n", nil, "rfm.segments.preset", "not both"},
		{"empty rules", "rfm:\n  segments:\n    rules: []\n", nil, "rfm.segments.rules", "is empty"},
		{"unknown preset", "rfm:\n  segments: {preset: twelve}\n", nil, "rfm.segments.preset", `unknown preset "twelve"`},
		{"new customers longer than window", "rfm:\n  window_days: 30\n  new_customers: {days: 30}\n", nil, "rfm.new_customers.days", "not less than rfm.window_days"},
		{"new customers id taken", "rfm:\n  new_customers: {days: 30, id: champions}\n", nil, "rfm.new_customers.id", `"champions" is also the id of rfm.segments.rules[0]`},
		{"inactive mode", "rfm:\n  inactive: {mode: hide}\n", nil, "rfm.inactive.mode", `unknown mode "hide"`},
		{"inactive id clashes with new", "rfm:\n  new_customers: {days: 30, id: x}\n  inactive: {mode: label, id: x}\n", nil, "rfm.inactive.id", "rfm.new_customers"},
		{"field mapped twice", "fields:\n  r: rfm_score\n  f: RFM_Score\n", nil, "fields.f", `CRM field "RFM_Score" is already mapped by fields.r`},
		{"missing env var", "crm:\n  type: hubspot\n  hubspot: {token: \"${HUBSPOT_TOKEN}\", sources: [deals]}\n", nil, "crm.hubspot.token", "environment variable HUBSPOT_TOKEN is not set"},
		{"missing env var in a list", "fields:\n  r: \"${GROUP}\"\n", nil, "fields.r", "GROUP is not set"},
		{"bad reference", "fields:\n  r: \"${GROUP\"\n", nil, "fields.r", "unterminated"},
		{"unknown crm type", "crm:\n  type: zoho\n", nil, "crm.type", `unknown CRM "zoho" (registered: hubspot, salesforce)`},
		{"crm section not a mapping", "crm:\n  salesforce: 5\n", nil, "crm.salesforce", "want a mapping"},
		{"unknown crm section", "crm:\n  zoho: {}\n", nil, "crm.zoho", "not a registered connector"},
		{"connector validation", "crm:\n  type: hubspot\n  hubspot: {token: t}\n", nil, "crm.hubspot.sources", "is empty"},
		{"connector unknown key", "crm:\n  type: hubspot\n  hubspot: {token: t, sources: [deals], tokn: x}\n", nil, "crm.hubspot.tokn", "unknown key"},
		{"connector wrong type", "crm:\n  type: hubspot\n  hubspot: {token: t, sources: [deals], pages: many}\n", nil, "crm.hubspot.pages", "want a whole number"},
		{"connector secret twice", "crm:\n  type: hubspot\n  hubspot: {token: t, token_file: /x, sources: [deals]}\n", nil, "crm.hubspot.token_file", "not both"},
		{"key given twice", "rfm:\n  bins: 5\n  bins: 6\n", nil, "rfm.bins", "given twice (lines 2 and 3)"},
		{"override of wrong type", "", map[string]string{"RFMSYNC_RFM__BINS": "five"}, "rfm.bins", "want a whole number"},
		{"override out of range", "", map[string]string{"RFMSYNC_RFM__WINDOW_DAYS": "-1"}, "rfm.window_days", "at least 1"},
		{"not a mapping", "- a\n- b\n", nil, "", "must be a mapping"},
		{"not YAML", "rfm: [\n", nil, "", "yaml:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes([]byte(tc.yaml), lookupOf(tc.env))
			if err == nil {
				t.Fatal("loaded; want an error")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T is not config.Errors: %v", err, err)
			}
			found := false
			for _, e := range es {
				if e.Key == tc.key && strings.Contains(e.Problem, tc.problem) {
					found = true
				}
			}
			if !found {
				t.Errorf("no error at %q containing %q; got:\n%v", tc.key, tc.problem, err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "config: ") {
					t.Errorf("line %q does not start with %q", line, "config: ")
				}
			}
		})
	}
}

func TestLoadCollectsEveryProblem(t *testing.T) {
	_, err := LoadBytes([]byte("rfm:\n  bins: 10\n  window_days: 0\nschedule:\n  timezone: Nowhere/Else\n"), nil)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("want Errors, got %v", err)
	}
	keys := map[string]bool{}
	for _, e := range es {
		keys[e.Key] = true
	}
	for _, k := range []string{"rfm.bins", "rfm.window_days", "schedule.timezone"} {
		if !keys[k] {
			t.Errorf("missing error for %s in:\n%v", k, err)
		}
	}
	var one *Error
	if !errors.As(err, &one) || one.Key == "" {
		t.Errorf("errors.As(*Error) = %v", one)
	}
}

func TestErrorsNeverPrintSecrets(t *testing.T) {
	const secret = "s3cr3t-value"
	docs := []string{
		"crm:\n  type: hubspot\n  hubspot: {token: [" + secret + "], sources: [deals]}\n",
		"crm:\n  type: hubspot\n  hubspot: {token: \"${TOKEN}-${MISSING}\", sources: [deals]}\n",
		"crm:\n  type: hubspot\n  hubspot: {token: t, sources: [deals], pages: " + secret + "}\n",
	}
	for _, doc := range docs {
		_, err := LoadBytes([]byte(doc), lookupOf(map[string]string{"TOKEN": secret}))
		if err == nil {
			t.Fatalf("loaded %q; want an error", doc)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error prints the secret: %v", err)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(t.TempDir()+"/absent.yaml", nil)
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || !strings.Contains(es[0].Problem, "absent.yaml") {
		t.Fatalf("Load(absent) = %v", err)
	}
}

func TestDecodeErrorsAreAllReported(t *testing.T) {
	_, err := LoadBytes([]byte("rfm: 5\nstate: {lock_timeout: soon}\nfields: {r: [a]}\n"), nil)
	got := map[string]bool{}
	var es Errors
	errors.As(err, &es)
	for _, e := range es {
		got[e.Key] = true
	}
	for _, k := range []string{"rfm", "state.lock_timeout", "fields.r"} {
		if !got[k] {
			t.Errorf("no error for %s in:\n%v", k, err)
		}
	}
}
