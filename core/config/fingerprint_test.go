package config

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

const fpBase = `
schedule: {cron: "0 3 * * *", timezone: UTC}
listen: 127.0.0.1:9464
crm:
  type: hubspot
  hubspot: {token: "${TOKEN}", object: contacts, sources: [deals]}
  salesforce: {token: other}
rfm:
  monetary: {method: threshold, cuts: [100, 500.10, 1000, 5000]}
  segments: {preset: eleven}
fields: {r: rfm_r, segment: rfm_segment}
`

func fingerprints(t *testing.T, doc string, token string) (string, string) {
	t.Helper()
	c := mustLoad(t, doc, map[string]string{"TOKEN": token})
	return c.Fingerprints()
}

func TestFingerprints(t *testing.T) {
	pull0, score0 := fingerprints(t, fpBase, "tok-1")
	hex := regexp.MustCompile(`^[0-9a-f]{64}$`)
	if !hex.MatchString(pull0) || !hex.MatchString(score0) || pull0 == score0 {
		t.Fatalf("fingerprints %q %q", pull0, score0)
	}
	elevenRules := "rules:\n"
	for _, r := range rfm.ElevenSegments() {
		elevenRules += fmt.Sprintf("      - {id: %s, label: %q, r: %q, fm: %q}\n", r.ID, r.Label, r.R.String(), r.FM.String())
	}
	cases := []struct {
		name        string
		from, to    string
		token       string
		pull, score bool // whether each must change
	}{
		{"cron", `cron: "0 3 * * *"`, `cron: "@hourly"`, "tok-1", false, false},
		{"timezone", "timezone: UTC", "timezone: Europe/Rome", "tok-1", false, false},
		{"listen", "listen: 127.0.0.1:9464", `listen: ""`, "tok-1", false, false},
		{"token rotated", "", "", "tok-2", false, false},
		{"unselected section", "salesforce: {token: other}", "salesforce: {token: other, sources: [x]}", "tok-1", false, false},
		{"same amount, other text", "500.10", "500.1", "tok-1", false, false},
		{"preset spelled out", "segments: {preset: eleven}", "segments:\n    " + elevenRules, "tok-1", false, false},
		{"source added", "sources: [deals]", "sources: [deals, orders]", "tok-1", true, false},
		{"crm object", "object: contacts", "object: companies", "tok-1", true, false},
		{"window", "rfm:\n", "rfm:\n  window_days: 365\n", "tok-1", false, true},
		{"cut value", "500.10", "500.11", "tok-1", false, true},
		{"method", "segments: {preset: eleven}", "segments: {preset: eleven}\n  recency: {method: threshold, cuts: [30, 90, 180, 365]}", "tok-1", false, true},
		{"preset", "preset: eleven", "preset: four", "tok-1", false, true},
		{"field mapped", "r: rfm_r,", "r: rfm_r, m: rfm_m,", "tok-1", false, true},
		{"field renamed", "r: rfm_r,", "r: rfm_recency_score,", "tok-1", false, true},
		{"new customers", "rfm:\n", "rfm:\n  new_customers: {days: 30}\n", "tok-1", false, true},
		{"inactive", "rfm:\n", "rfm:\n  inactive: {mode: label}\n", "tok-1", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(fpBase, tc.from, tc.to, 1)
			if tc.from != "" && doc == fpBase {
				t.Fatalf("%q not found in the base document", tc.from)
			}
			pull, score := fingerprints(t, doc, tc.token)
			if (pull != pull0) != tc.pull {
				t.Errorf("pull fingerprint changed = %v, want %v", pull != pull0, tc.pull)
			}
			if (score != score0) != tc.score {
				t.Errorf("score fingerprint changed = %v, want %v", score != score0, tc.score)
			}
		})
	}
}

func TestFingerprintsOffline(t *testing.T) {
	p1, s1 := Default().Fingerprints()
	p2, s2 := Default().Fingerprints()
	if p1 != p2 || s1 != s2 {
		t.Errorf("fingerprints are not deterministic")
	}
}

func TestIsSecretKey(t *testing.T) {
	for _, k := range []string{"token", "token_file", "client_secret", "Password", "accesskey", "private_key"} {
		if !IsSecretKey(k) {
			t.Errorf("IsSecretKey(%q) = false", k)
		}
	}
	for _, k := range []string{"object", "sources", "instance_url", "username"} {
		if IsSecretKey(k) {
			t.Errorf("IsSecretKey(%q) = true", k)
		}
	}
}
