package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExamplePredictIsTheDefault(t *testing.T) {
	c, err := Load(examplePath, lookupOf(map[string]string{"HUBSPOT_TOKEN": "pat-example"}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Predict, Default().Predict) {
		t.Errorf("example predict section differs from the defaults it claims:\n%+v\n%+v", c.Predict, Default().Predict)
	}
	d := Default().Predict
	if d.Enabled || d.HorizonDays != 365 || d.RefitEvery != 30*24*time.Hour || d.Unit != "week" || d.Holdout.Share != 0 {
		t.Errorf("defaults = %+v", d)
	}
}

func TestPredictKeys(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("file-key-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, `predict:
  enabled: true
  horizon_days: 180
  refit_every: 7d
  unit: day
  tolerance: {p_alive: 0.1, expected_orders: 0, predicted_value: 0.2}
  holdout: {share: 0.1, key: "${HK}"}
  lift: {window_days: 60, min_entries: 5, outcome: bought_again}
`, map[string]string{"HK": "secret-key-0123456789"})
	p := c.Predict
	if !p.Enabled || p.HorizonDays != 180 || p.RefitEvery != 7*24*time.Hour || p.Unit != "day" ||
		p.Tolerance != (Tolerance{0.1, 0, 0.2}) || p.Lift != (Lift{60, 5, "bought_again"}) {
		t.Errorf("predict = %+v", p)
	}
	if string(c.HoldoutKey()) != "secret-key-0123456789" {
		t.Errorf("holdout key not compiled")
	}
	if s := p.Holdout.String() + p.Holdout.GoString(); strings.Contains(s, "secret-key") {
		t.Errorf("holdout prints its key: %s", s)
	}
	c = mustLoad(t, "predict:\n  holdout:\n    share: 0.2\n    key_file: "+keyFile+"\n", nil)
	if string(c.HoldoutKey()) != "file-key-0123456789" {
		t.Errorf("key from file = %q", c.HoldoutKey())
	}
	if c := mustLoad(t, "", nil); c.HoldoutKey() != nil {
		t.Errorf("holdout off has a key")
	}
}

func TestBadPredictValuesNameTheKey(t *testing.T) {
	cases := []struct{ yaml, key string }{
		{"predict:\n  horizon_days: 0\n", "predict.horizon_days"},
		{"predict:\n  horizon_days: 99999\n", "predict.horizon_days"},
		{"predict:\n  refit_every: 1h\n", "predict.refit_every"},
		{"predict:\n  unit: month\n", "predict.unit"},
		{"predict:\n  tolerance: {p_alive: -0.1}\n", "predict.tolerance.p_alive"},
		{"predict:\n  tolerance: {predicted_value: 2}\n", "predict.tolerance.predicted_value"},
		{"predict:\n  holdout: {share: 0.9, key: 0123456789abcdefgh}\n", "predict.holdout.share"},
		{"predict:\n  holdout: {share: 0.1}\n", "predict.holdout.key"},
		{"predict:\n  holdout: {share: 0.1, key: k3yz}\n", "predict.holdout.key"},
		{"predict:\n  holdout: {share: 0.1, key_file: /nonexistent/key}\n", "predict.holdout.key_file"},
		{"predict:\n  lift: {window_days: 0}\n", "predict.lift.window_days"},
		{"predict:\n  lift: {min_entries: 0}\n", "predict.lift.min_entries"},
		{"predict:\n  lift: {outcome: churned}\n", "predict.lift.outcome"},
		{"predict:\n  horizon: 30\n", "predict.horizon"},
	}
	for _, c := range cases {
		_, err := LoadBytes([]byte(c.yaml), nil)
		if err == nil || !strings.Contains(err.Error(), "config: "+c.key+":") {
			t.Errorf("%q: err = %v, want one naming %s", c.yaml, err, c.key)
		}
	}
	_, err := LoadBytes([]byte("predict:\n  holdout: {share: 0.1, key: k3yz}\n"), nil)
	if err != nil && strings.Contains(err.Error(), "k3yz") {
		t.Errorf("error quotes the key: %v", err)
	}
}

func TestPredictOutputsWithoutPredictWarn(t *testing.T) {
	c := mustLoad(t, "fields:\n  p_alive: x\n  holdout: y\n", nil)
	w := strings.Join(c.Warnings(), "\n")
	if !strings.Contains(w, "fields.p_alive") || !strings.Contains(w, "fields.holdout") {
		t.Errorf("warnings = %q", w)
	}
	c = mustLoad(t, "predict:\n  enabled: true\nfields:\n  p_alive: x\n", nil)
	if w := strings.Join(c.Warnings(), "\n"); strings.Contains(w, "p_alive") {
		t.Errorf("enabled still warns: %q", w)
	}
}

func TestPredictKeysFromTheEnvironment(t *testing.T) {
	c, err := LoadBytesEnv([]byte("predict:\n  holdout:\n    share: 0.1\n"), []string{
		"RFMSYNC_PREDICT__ENABLED=true", "RFMSYNC_PREDICT__HOLDOUT__KEY=env-key-0123456789", "RFMSYNC_PREDICT__LIFT__WINDOW_DAYS=45",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Predict.Enabled || string(c.HoldoutKey()) != "env-key-0123456789" || c.Predict.Lift.WindowDays != 45 {
		t.Errorf("predict from the environment = %+v", c.Predict)
	}
}
