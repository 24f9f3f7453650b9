package salesforce

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/rfmsync/rfmsync/core/config"
)

// exampleSection uncomments config.example.yaml's crm.salesforce block.
func exampleSection(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case l == "  # salesforce:":
			in = true
		case in && strings.HasPrefix(l, "  #   "):
			if s := strings.TrimPrefix(l, "  #   "); !strings.HasPrefix(strings.TrimSpace(s), "#") {
				block = append(block, s)
			}
		case in:
			in = false
		}
	}
	if len(block) < 20 {
		t.Fatalf("config.example.yaml has no commented crm.salesforce section (%d lines)", len(block))
	}
	text := regexp.MustCompile(`\$\{[A-Z_]+\}`).ReplaceAllString(strings.Join(block, "\n"), "secret-value")
	var m map[string]any
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("the example section is not YAML: %v", err)
	}
	return m
}

func TestExampleSectionDecodes(t *testing.T) {
	sec := exampleSection(t)
	opts, err := Decode(sec, "crm.salesforce")
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := opts.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	o := opts.(*Options)
	if o.Object != "Account" || o.QueryLag.String() != "5m0s" || o.PermissionSet != "RFM_Sync" {
		t.Errorf("decoded %+v", o)
	}
	// Every key of the section is documented in the example.
	for _, k := range []string{"login_url", "auth", "client_id", "client_secret", "refresh_token", "username",
		"private_key_file", "audience", "api_version", "object", "sources", "opportunities", "orders", "currency", "dated_rates",
		"query_lag", "daily_reserve", "page_size", "write_batch", "reread_every", "repair_every", "permission_set", "bulk_threshold", "bulk_write_threshold", "bulk_poll_every",
		"retry_budget", "timeouts"} {
		if _, ok := sec[k]; !ok {
			t.Errorf("config.example.yaml does not document crm.salesforce.%s", k)
		}
	}
}

func TestValidateNamesKeys(t *testing.T) {
	cases := []struct {
		section map[string]any
		key     string
	}{
		{map[string]any{"object": "Lead"}, "crm.salesforce.object"},
		{map[string]any{"query_lag": "10s"}, "crm.salesforce.query_lag"},
		{map[string]any{"auth": "password"}, "crm.salesforce.auth"},
		{map[string]any{"auth": "client_credentials"}, "crm.salesforce.login_url"},
		{map[string]any{"auth": "jwt", "refresh_token": ""}, "crm.salesforce.username"},
		{map[string]any{"refresh_token": ""}, "crm.salesforce.refresh_token"},
		{map[string]any{"api_version": "30.0"}, "crm.salesforce.api_version"},
		{map[string]any{"write_batch": 201}, "crm.salesforce.write_batch"},
		{map[string]any{"page_size": 100}, "crm.salesforce.page_size"},
		{map[string]any{"daily_reserve": 1.5}, "crm.salesforce.daily_reserve"},
		{map[string]any{"sources": []any{"leads"}}, "crm.salesforce.sources"},
		{map[string]any{"orders": map[string]any{"date_field": "CreatedDate"}}, "crm.salesforce.orders.date_field"},
		{map[string]any{"currency": "mixed"}, "crm.salesforce.currency"},
		{map[string]any{"bulk_write_threshold": 150}, "crm.salesforce.bulk_write_threshold"},
	}
	for _, tc := range cases {
		sec := map[string]any{"login_url": DefaultLoginURL, "client_id": "cid", "client_secret": "cs",
			"refresh_token": "rt", "object": "Account"}
		for k, v := range tc.section {
			sec[k] = v
		}
		opts, err := Decode(sec, "crm.salesforce")
		if err == nil {
			err = opts.Validate()
		}
		var errs config.Errors
		if !errors.As(err, &errs) {
			t.Errorf("%v: want config errors, got %v", tc.section, err)
			continue
		}
		found := false
		for _, e := range errs {
			found = found || e.Key == tc.key
			if strings.Contains(e.Error(), "cs") && strings.Contains(e.Error(), "secret") && strings.Contains(e.Error(), `"cs"`) {
				t.Errorf("error quotes a secret: %v", e)
			}
		}
		if !found {
			t.Errorf("%v: no error at %s: %v", tc.section, tc.key, err)
		}
	}
}

func TestUnknownKeyIsAnError(t *testing.T) {
	_, err := Decode(map[string]any{"object": "Account", "objekt": "x"}, "crm.salesforce")
	if err == nil || !strings.Contains(err.Error(), "objekt") {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestPullShapeIgnoresTuning(t *testing.T) {
	base := map[string]any{"client_id": "c", "refresh_token": "r", "client_secret": "s", "object": "Account"}
	shape := func(extra map[string]any) string {
		sec := map[string]any{}
		for k, v := range base {
			sec[k] = v
		}
		for k, v := range extra {
			sec[k] = v
		}
		o, err := Decode(sec, "crm.salesforce")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := yaml.Marshal(o.(*Options).PullShape())
		return string(b)
	}
	ref := shape(nil)
	for _, tune := range []map[string]any{{"api_version": "66.0"}, {"query_lag": "10m"}, {"page_size": 500},
		{"write_batch": 50}, {"daily_reserve": 0.2}, {"repair_every": "1h"}, {"client_secret": "other"}, {"login_url": "https://acme.my.salesforce.com"}} {
		if got := shape(tune); got != ref {
			t.Errorf("%v changes the pull shape", tune)
		}
	}
	for _, facts := range []map[string]any{{"object": "Contact"}, {"sources": []any{"orders"}}, {"currency": "home_field"},
		{"opportunities": map[string]any{"won_stages": []any{"Closed Won"}}}} {
		if got := shape(facts); got == ref {
			t.Errorf("%v does not change the pull shape", facts)
		}
	}
}
