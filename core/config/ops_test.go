package config

import (
	"strings"
	"testing"
)

func TestOpsKeys(t *testing.T) {
	c, err := LoadBytes([]byte("log: {format: json, level: debug}\nstatus: {token_file: /t, unready_after_failures: 0}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Format != "json" || c.Log.Level != "debug" || c.Status.TokenFile != "/t" || c.Status.UnreadyAfterFailures != 0 || c.Status.HistoryRuns != DefaultHistoryRuns {
		t.Errorf("ops keys = %+v %+v", c.Log, c.Status)
	}
	for yaml, key := range map[string]string{
		"log: {format: xml}":                   "log.format",
		"log: {level: loud}":                   "log.level",
		"status: {unready_after_failures: -1}": "status.unready_after_failures",
		"status: {history_runs: 0}":            "status.history_runs",
	} {
		_, err := LoadBytes([]byte(yaml), nil)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %v does not name %s", yaml, err, key)
		}
	}
}

func TestOpsKeysFromEnvironment(t *testing.T) {
	c, err := LoadBytes(nil, lookupOf(map[string]string{"RFMSYNC_LOG__LEVEL": "debug", "RFMSYNC_LOG__FORMAT": "json", "RFMSYNC_LISTEN": "0.0.0.0:9464"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != "debug" || c.Log.Format != "json" || c.Listen != "0.0.0.0:9464" {
		t.Errorf("environment not applied: %+v %q", c.Log, c.Listen)
	}
}
