package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary documents (and one arbitrary override) to the
// loader: it must never panic nor expand without bound, and every failure
// is config.Errors whose lines each start "config: ".
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example), "")
	f.Add(aliasBomb, "")
	f.Add(hubspotOK+"fields: {segment: rfm_segment}\n", "RFMSYNC_RFM__WINDOW_DAYS=365")
	f.Add("a: &a {b: *a}\n", "")
	f.Add("<<: [*x]\n", "RFMSYNC_CRM__HUBSPOT__TOKEN=t")
	f.Add("rfm: {monetary: {method: threshold, cuts: [1e999, .5, 5.]}}\n", "RFMSYNC_RFM__BINS=[1]")
	f.Add("schedule: {cron: \"@every 1ns\"}\nstate: {path: ''}\n", "RFMSYNC_LISTEN=")
	f.Fuzz(func(t *testing.T, doc, override string) {
		var env []string
		if override != "" {
			env = []string{override}
		}
		c, err := LoadBytesEnv([]byte(doc), env)
		if err == nil {
			_ = c.Params()
			_ = c.FieldMap()
			_ = c.Warnings()
			return
		}
		var es Errors
		if !errors.As(err, &es) {
			t.Fatalf("error %T is not config.Errors: %v", err, err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "config: ") {
				t.Fatalf("line %q does not start with %q", line, "config: ")
			}
		}
	})
}
