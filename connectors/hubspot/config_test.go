package hubspot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
)

// decodeYAML decodes a crm.hubspot section written as YAML and validates it.
func decodeYAML(t *testing.T, src string) (*Options, error) {
	t.Helper()
	var section map[string]any
	if err := yaml.Unmarshal([]byte(src), &section); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	if section == nil {
		section = map[string]any{}
	}
	opts, err := Decode(section, "crm.hubspot")
	if err != nil {
		return nil, err
	}
	return opts.(*Options), opts.Validate()
}

func TestConfigDefaults(t *testing.T) {
	o, err := decodeYAML(t, "token: pat-na1-x\nobject: contacts\n")
	if err != nil {
		t.Fatal(err)
	}
	want := defaultOptions()
	if o.BaseURL != want.BaseURL || o.APIVersion != "v3" || o.SearchLag != 5*time.Minute ||
		o.DeletionScanEvery != 24*time.Hour || o.AssociationRescanEvery != 168*time.Hour || o.RepairEvery != 168*time.Hour ||
		o.PageSize != 200 || o.ListPageSize != 100 || o.FirstPull != FirstPullList || o.ReadBatch != 1000 || o.WriteBatch != 100 ||
		o.Limits != want.Limits || o.Deals.AmountProperty != "amount_in_home_currency" ||
		o.Deals.ClosedAtProperty != "closedate" || o.Orders.AmountProperty != "hs_total_price" ||
		!o.Orders.SubtractRefunds || strings.Join(o.Sources, ",") != "deals" {
		t.Errorf("defaults: %#v", *o)
	}
	if o.attribution() != AttributionLowestID {
		t.Errorf("contacts attribution %q, want lowest_id", o.attribution())
	}
	o, err = decodeYAML(t, "token: pat-na1-x\nobject: companies\nsources: [orders, deals]\n")
	if err != nil || o.attribution() != AttributionPrimary || strings.Join(o.Sources, ",") != "orders,deals" {
		t.Errorf("companies: %v, attribution %q, sources %v", err, o.attribution(), o.Sources)
	}
}

func TestConfigFull(t *testing.T) {
	src := `
oauth:
  client_id: cid
  client_secret: s3cret
  refresh_token: rt
api_version: "2026-03"
object: companies
sources: [deals, orders]
attribution: lowest_id
deals:
  amount_property: amount
  currency: EUR
  won_stages:
    default: [closedwon]
    "12345678": ["326093516", "326093517"]
orders:
  home_currency_property: rfm_home_amount
  won_stages: [937ea84d-0a4f-4dcf-9028-3f9c2aafbf03]
  subtract_refunds: false
limits:
  ten_second: 190
  search_per_second: 5
  daily: 625000
  daily_reset_timezone: Europe/Berlin
  retry_budget: 5m
  timeouts: {connect: 3s, response_header: 20s, idle_read: 5s, attempt: 1m, stalled: 10s}
search_lag: 2m
deletion_scan_every: 12h
association_rescan_every: 2d
repair_every: 0
page_size: 100
first_pull: search
`
	o, err := decodeYAML(t, src)
	if err != nil {
		t.Fatal(err)
	}
	if o.clientSecret != "s3cret" || o.refreshToken != "rt" || o.APIVersion != "2026-03" ||
		len(o.Deals.WonStages["12345678"]) != 2 || o.Orders.SubtractRefunds || o.Limits.TenSecond != 190 ||
		o.AssociationRescanEvery != 48*time.Hour || o.RepairEvery != 0 || o.PageSize != 100 || o.attribution() != AttributionLowestID ||
		o.FirstPull != FirstPullSearch || o.Limits.RetryBudget != 5*time.Minute ||
		o.Limits.Timeouts != (TimeoutOptions{Connect: 3 * time.Second, ResponseHeader: 20 * time.Second,
			IdleRead: 5 * time.Second, Attempt: time.Minute, Stalled: 10 * time.Second}) {
		t.Errorf("decoded %#v", *o)
	}
	if p := newPaths(o.APIVersion); p.search("deals") != "/crm/objects/2026-03/deals/search" ||
		p.assocBatchRead("deals", "companies") != "/crm/associations/2026-03/deals/companies/batch/read" ||
		p.batchRead("companies") != "/crm/objects/2026-03/companies/batch/read" ||
		p.token != "/oauth/2026-03/token" {
		t.Errorf("date-versioned paths %+v", p)
	}
}

func TestConfigErrorsNameKeys(t *testing.T) {
	tests := []struct {
		name, yaml string
		keys       []string // every one must be named
	}{
		{"unknown key", "token: x\nobject: contacts\ntokn: y\n", []string{"crm.hubspot.tokn"}},
		{"unknown nested key", "token: x\nobject: contacts\nlimits: {tensecond: 5}\n", []string{"crm.hubspot.limits.tensecond"}},
		{"no auth", "object: contacts\n", []string{"crm.hubspot.token"}},
		{"both auths", "token: x\noauth: {client_id: a, client_secret: b, refresh_token: c}\nobject: contacts\n", []string{"crm.hubspot.token"}},
		{"oauth incomplete", "oauth: {client_id: a}\nobject: contacts\n", []string{"crm.hubspot.oauth.client_secret", "crm.hubspot.oauth.refresh_token"}},
		{"no object", "token: x\n", []string{"crm.hubspot.object"}},
		{"bad object", "token: x\nobject: deals\n", []string{"crm.hubspot.object"}},
		{"bad source", "token: x\nobject: contacts\nsources: [deals, tickets]\n", []string{"crm.hubspot.sources"}},
		{"duplicate source", "token: x\nobject: contacts\nsources: [deals, deals]\n", []string{"crm.hubspot.sources"}},
		{"bad attribution", "token: x\nobject: contacts\nattribution: first\n", []string{"crm.hubspot.attribution"}},
		{"bad first pull", "token: x\nobject: contacts\nfirst_pull: export\n", []string{"crm.hubspot.first_pull"}},
		{"empty first pull", "token: x\nobject: contacts\nfirst_pull: \"\"\n", []string{"crm.hubspot.first_pull"}},
		{"bad version", "token: x\nobject: contacts\napi_version: v4\n", []string{"crm.hubspot.api_version"}},
		{"http elsewhere", "token: x\nobject: contacts\nbase_url: http://api.hubapi.com\n", []string{"crm.hubspot.base_url"}},
		{"limits", "token: x\nobject: contacts\nlimits: {ten_second: 1000, search_per_second: 10, daily: 0, daily_reset_timezone: Mars/Olympus}\n",
			[]string{"crm.hubspot.limits.ten_second", "crm.hubspot.limits.search_per_second", "crm.hubspot.limits.daily", "crm.hubspot.limits.daily_reset_timezone"}},
		{"timeouts", "token: x\nobject: contacts\nlimits: {retry_budget: -1s, timeouts: {connect: 0s, idle_read: 2h, stalled: 1h1m}}\n",
			[]string{"crm.hubspot.limits.retry_budget", "crm.hubspot.limits.timeouts.connect", "crm.hubspot.limits.timeouts.idle_read", "crm.hubspot.limits.timeouts.stalled"}},
		{"page sizes", "token: x\nobject: contacts\npage_size: 500\nlist_page_size: 0\nread_batch: 5000\nwrite_batch: 101\n",
			[]string{"crm.hubspot.page_size", "crm.hubspot.list_page_size", "crm.hubspot.read_batch", "crm.hubspot.write_batch"}},
		{"negative durations", "token: x\nobject: contacts\nsearch_lag: -1m\nrepair_every: -1h\n", []string{"crm.hubspot.search_lag", "crm.hubspot.repair_every"}},
		{"search lag shorter than search's delay", "token: x\nobject: contacts\nsearch_lag: 0s\n", []string{"crm.hubspot.search_lag"}},
		{"duration without unit", "token: x\nobject: contacts\nsearch_lag: 5\n", []string{"crm.hubspot.search_lag"}},
		{"empty won stages", "token: x\nobject: contacts\ndeals: {won_stages: {default: []}}\n", []string{"crm.hubspot.deals.won_stages.default"}},
		{"bad currency", "token: x\nobject: contacts\norders: {currency: euro}\n", []string{"crm.hubspot.orders.currency"}},
		{"bad property name", "token: x\nobject: contacts\ndeals: {amount_property: Amount In EUR}\n", []string{"crm.hubspot.deals.amount_property"}},
		{"wrong type", "token: x\nobject: contacts\npage_size: lots\n", []string{"crm.hubspot.page_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeYAML(t, tt.yaml)
			if err == nil {
				t.Fatal("no error")
			}
			var es config.Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T is not config.Errors: %v", err, err)
			}
			for _, k := range tt.keys {
				found := false
				for _, e := range es {
					found = found || e.Key == k
				}
				if !found {
					t.Errorf("no error names %s: %v", k, err)
				}
			}
		})
	}
}

func TestConfigSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tok := write("token", "pat-na1-from-file\n")
	o, err := decodeYAML(t, fmt.Sprintf("token_file: %s\nobject: contacts\n", tok))
	if err != nil || o.token != "pat-na1-from-file" {
		t.Fatalf("token_file: %v, token %q", err, o.token)
	}
	sec, rt := write("secret", "cs-from-file"), write("rt", "rt-from-file\r\n")
	o, err = decodeYAML(t, fmt.Sprintf("oauth: {client_id: a, client_secret_file: %s, refresh_token_file: %s}\nobject: contacts\n", sec, rt))
	if err != nil || o.clientSecret != "cs-from-file" || o.refreshToken != "rt-from-file" {
		t.Fatalf("oauth files: %v", err)
	}
	empty := write("empty", "\n")
	for src, key := range map[string]string{
		fmt.Sprintf("token: pat-na1-VALUE\ntoken_file: %s\nobject: contacts\n", tok):                              "crm.hubspot.token",
		fmt.Sprintf("token_file: %s\nobject: contacts\n", empty):                                                  "crm.hubspot.token",
		fmt.Sprintf("token_file: %s\nobject: contacts\n", filepath.Join(dir, "missing")):                          "crm.hubspot.token",
		fmt.Sprintf("oauth: {client_id: a, client_secret_file: %s, refresh_token: r}\nobject: contacts\n", empty): "crm.hubspot.oauth.client_secret",
	} {
		_, err := decodeYAML(t, src)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Key != key {
			t.Errorf("%q: error %v, want one naming %s", src, err, key)
		}
		if err != nil && strings.Contains(err.Error(), "pat-na1-VALUE") {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}

func TestOptionsStringRedactsSecrets(t *testing.T) {
	for _, src := range []string{
		"token: pat-na1-TOPSECRET\nobject: contacts\n",
		"oauth: {client_id: cid, client_secret: TOPSECRET-CS, refresh_token: TOPSECRET-RT}\nobject: companies\n",
	} {
		o, err := decodeYAML(t, src)
		if err != nil {
			t.Fatal(err)
		}
		var opts connector.Options = o
		for _, s := range []string{o.String(), o.GoString(), fmt.Sprint(o), fmt.Sprintf("%v", *o), fmt.Sprintf("%+v", *o),
			fmt.Sprintf("%#v", o), fmt.Sprintf("%v", opts), fmt.Sprint(o.OAuth)} {
			if strings.Contains(s, "TOPSECRET") {
				t.Errorf("secret printed: %s", s)
			}
		}
		if !strings.Contains(o.String(), "REDACTED") {
			t.Errorf("String() = %s, want the secret marked redacted", o.String())
		}
	}
}
