package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cdnowOrders is the CDNOW sample converted by tools/cdnow2orders.
const cdnowOrders = "../../core/clv/testdata/cdnow_sample.csv"

func TestFitJSON(t *testing.T) {
	code, out, errOut := runCLI(t, "fit", "--orders", cdnowOrders, "--calibration-end", "1997-09-30T00:00:00Z",
		"--holdout-end", "1998-06-30T00:00:00Z", "--unit", "week", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		BGNBD      map[string]float64 `json:"bgnbd"`
		GammaGamma map[string]float64 `json:"gamma_gamma"`
		Customers  int                `json:"customers"`
		LogLik     float64            `json:"log_likelihood"`
		Holdout    struct {
			Actual, Predicted float64
			ByFrequency       []struct {
				Frequency         string
				Customers         int
				Actual, Predicted float64
			} `json:"by_frequency"`
		} `json:"holdout"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	r3 := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	r2 := func(v float64) float64 { return math.Round(v*100) / 100 }
	b, g := rep.BGNBD, rep.GammaGamma
	if r3(b["r"]) != 0.243 || r3(b["alpha"]) != 4.414 || r3(b["a"]) != 0.793 || r3(b["b"]) != 2.426 {
		t.Errorf("bgnbd %v, want the paper's r=0.243 α=4.414 a=0.793 b=2.426", b)
	}
	if r2(g["p"]) != 6.25 || r2(g["q"]) != 3.74 || r2(g["gamma"]) != 15.44 {
		t.Errorf("gamma_gamma %v, want the paper's p=6.25 q=3.74 γ=15.44", g)
	}
	if rep.Customers != 2357 || rep.LogLik >= 0 {
		t.Errorf("customers %d, log-likelihood %v", rep.Customers, rep.LogLik)
	}
	h := rep.Holdout
	if len(h.ByFrequency) != 8 || h.ByFrequency[7].Frequency != "7+" || h.Actual <= 0 || h.Predicted <= 0 {
		t.Errorf("holdout %+v", h)
	}
}

func TestFitText(t *testing.T) {
	code, out, errOut := runCLI(t, "fit", "--orders", cdnowOrders, "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"2357 customers, 946 repeat", "r=0.2426", "p=6.2496", "holdout to 1998-06-30", "7+"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

func TestFitErrors(t *testing.T) {
	dir := t.TempDir()
	oneTime := filepath.Join(dir, "one-time.csv")
	data := "order_id,customer_id,closed_at,amount,status\n1,a,2024-01-01,10,won\n2,b,2024-01-02,10,won\n"
	if err := os.WriteFile(oneTime, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	usage := [][]string{
		{"fit", "--calibration-end", "1997-09-30"},
		{"fit", "--orders", cdnowOrders},
		{"fit", "--orders", cdnowOrders, "--calibration-end", "30/09/1997"},
		{"fit", "--orders", cdnowOrders, "--calibration-end", "1997-09-30", "--unit", "month"},
		{"fit", "--orders", cdnowOrders, "--calibration-end", "1997-09-30", "--holdout-end", "1997-09-01"},
		{"fit", "--orders", filepath.Join(dir, "missing.csv"), "--calibration-end", "1997-09-30"},
	}
	for _, args := range usage {
		if code, _, errOut := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args, code, errOut, exitUsage)
		}
	}
	code, _, errOut := runCLI(t, "fit", "--orders", oneTime, "--calibration-end", "2024-02-01")
	if code != exitFailed || !strings.Contains(errOut, "fit:") {
		t.Errorf("fit of one-time buyers: exit %d, %s", code, errOut)
	}
}
