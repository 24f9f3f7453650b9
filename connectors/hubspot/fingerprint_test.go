package hubspot

import (
	"testing"

	"github.com/rfmsync/rfmsync/core/config"
)

// pullFingerprint loads a config whose hubspot section has extra keys and
// returns its pull fingerprint.
func pullFingerprint(t *testing.T, extra string) string {
	t.Helper()
	doc := "crm:\n  type: hubspot\n  hubspot:\n    token: pat-x\n    object: contacts\n    sources: [deals, orders]\n" + extra
	c, err := config.LoadBytes([]byte(doc), nil)
	if err != nil {
		t.Fatalf("config with %q: %v", extra, err)
	}
	pull, _ := c.Fingerprints()
	return pull
}

// Only what changes which facts are held forces a re-pull: every tuning
// knob, the API version, the base URL and the property group are left out.
func TestPullFingerprintCoversOnlyWhatShapesThePull(t *testing.T) {
	base := pullFingerprint(t, "")
	tuning := []string{
		"    base_url: https://api.hubapi.eu\n",
		"    api_version: 2026-03\n",
		"    limits: {ten_second: 190, search_per_second: 5, associations_ten_second: 150, daily: 1000000, daily_reset_timezone: Europe/Rome}\n",
		"    search_lag: 10m\n",
		"    deletion_scan_every: 12h\n",
		"    association_rescan_every: 24h\n",
		"    repair_every: 0\n",
		"    first_pull: search\n",
		"    page_size: 100\n",
		"    list_page_size: 50\n",
		"    read_batch: 500\n",
		"    write_batch: 50\n",
		"    property_group: rfm_scores\n",
	}
	for _, extra := range tuning {
		if got := pullFingerprint(t, extra); got != base {
			t.Errorf("changing %q forced a re-pull", extra)
		}
	}
	shaping := []string{
		"    attribution: lowest_id\n",
		"    deals: {amount_property: amount, currency: EUR}\n",
		"    deals: {closed_at_property: hs_closed_won_date}\n",
		"    deals: {won_stages: {default: [closedwon, contractsigned]}}\n",
		"    orders: {amount_property: hs_subtotal_price}\n",
		"    orders: {home_currency_property: amount_home}\n",
		"    orders: {currency: USD}\n",
		"    orders: {won_stages: [delivered]}\n",
		"    orders: {subtract_refunds: false}\n",
	}
	for _, extra := range shaping {
		if got := pullFingerprint(t, extra); got == base {
			t.Errorf("changing %q did not force a re-pull", extra)
		}
	}
	// The object and the sources are in the base document: change them.
	for _, doc := range []string{
		"crm:\n  type: hubspot\n  hubspot:\n    token: pat-x\n    object: companies\n    sources: [deals, orders]\n",
		"crm:\n  type: hubspot\n  hubspot:\n    token: pat-x\n    object: contacts\n    sources: [deals]\n",
	} {
		c, err := config.LoadBytes([]byte(doc), nil)
		if err != nil {
			t.Fatal(err)
		}
		if pull, _ := c.Fingerprints(); pull == base {
			t.Errorf("%s did not force a re-pull", doc)
		}
	}
}
