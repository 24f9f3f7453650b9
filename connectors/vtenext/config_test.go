package vtenext

import (
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestExampleSectionDecodesAndValidates(t *testing.T) {
	b, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Uncomment the vtenext block as a user would.
	var block []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case l == "  # vtenext:":
			in = true
		case in && !strings.HasPrefix(l, "  #   "):
			in = false
		}
		if in {
			block = append(block, strings.Replace(l, "# ", "", 1))
		}
	}
	if len(block) < 10 {
		t.Fatalf("config.example.yaml has no commented vtenext section (%d lines)", len(block))
	}
	text := strings.ReplaceAll(strings.Join(block, "\n"), "${VTENEXT_ACCESS_KEY}", "k3y")
	var doc map[string]map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("uncommented section is not YAML: %v\n%s", err, text)
	}
	o, err := Decode(doc["vtenext"], "crm.vtenext")
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("example does not validate: %v", err)
	}
	// Every key the example shows is documented in the package comment.
	src, _ := os.ReadFile("connector.go")
	for k := range doc["vtenext"] {
		if !regexp.MustCompile(`(?m)^//\s+` + k + `:`).Match(src) {
			t.Errorf("key %s is not documented in the package comment", k)
		}
	}
}

func base() map[string]any {
	return map[string]any{"url": "https://crm.example.com", "username": "rfmsync", "access_key": "k", "object": "Accounts"}
}

func TestValidationNamesTheKey(t *testing.T) {
	for key, value := range map[string]any{
		"url": "ftp://x", "object": "Leads", "sources": []any{"quotes"}, "date_format": "dd/mm/yyyy",
		"server_timezone": "Mars/Olympus", "query_lag": "10s", "write_concurrency": 5, "write_rate": 0, "page_size": 501,
	} {
		sec := base()
		sec[key] = value
		o, err := Decode(sec, "crm.vtenext")
		if err == nil {
			err = o.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), "crm.vtenext."+key) {
			t.Errorf("%s = %v: %v", key, value, err)
		}
	}
	sec := base()
	delete(sec, "access_key")
	o, _ := Decode(sec, "crm.vtenext")
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "crm.vtenext.access_key") {
		t.Errorf("missing access key: %v", err)
	}
	sec = base()
	sec["bogus"] = 1
	if _, err := Decode(sec, "crm.vtenext"); err == nil || !strings.Contains(err.Error(), "crm.vtenext.bogus") {
		t.Errorf("unknown key: %v", err)
	}
	o, _ = Decode(base(), "crm.vtenext")
	if s := o.(*Options).String(); strings.Contains(s, "access_key: k,") {
		t.Errorf("String shows the key: %s", s)
	}
}

func TestPullShapeIgnoresTuning(t *testing.T) {
	shape := func(extra map[string]any) string {
		sec := base()
		maps.Copy(sec, extra)
		o, err := Decode(sec, "crm.vtenext")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(o.(*Options).PullShape())
		return string(b)
	}
	ref := shape(nil)
	tuned := shape(map[string]any{"url": "https://other.example.com", "query_lag": "5m", "reconcile_every": "1h", "repair_every": "0s",
		"page_size": 200, "write_concurrency": 4, "write_rate": 2, "write_batch": 50, "access_key": "other"})
	if tuned != ref {
		t.Errorf("tuning keys changed the pull shape:\n%s\n%s", ref, tuned)
	}
	for _, extra := range []map[string]any{
		{"object": "Contacts"}, {"sources": []any{"invoice"}}, {"server_timezone": "UTC"}, {"date_format": "yyyy-mm-dd"},
		{"salesorder": map[string]any{"statuses": []any{"Delivered"}}}, {"potentials": map[string]any{"customer_fields": []any{"related_to"}, "statuses": []any{"Won"}}},
	} {
		if shape(extra) == ref {
			t.Errorf("%v must change the pull shape", extra)
		}
	}
}
