package main

import (
	"strconv"
	"strings"
	"testing"
)

func TestScorePredict(t *testing.T) {
	args := []string{"score", "--orders", cdnowOrders, "--asof", "1997-09-30T00:00:00Z"}
	code, plain, errOut := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, year, errOut := runCLI(t, append(args, "--predict")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "predicted over 365 days") || !strings.Contains(errOut, "on 2357 customers") {
		t.Errorf("stderr: %s", errOut)
	}
	_, twoYears, _ := runCLI(t, append(args, "--predict", "--horizon-days", "730")...)
	plainRows := strings.Split(strings.TrimSpace(plain), "\n")
	rows := strings.Split(strings.TrimSpace(year), "\n")
	longer := strings.Split(strings.TrimSpace(twoYears), "\n")
	if len(rows) != len(plainRows) || len(rows) != 2358 || len(longer) != len(rows) {
		t.Fatalf("%d rows with --predict, %d without", len(rows), len(plainRows))
	}
	if rows[0] != plainRows[0]+",p_alive,expected_orders,predicted_value" {
		t.Errorf("header %q", rows[0])
	}
	for i := 1; i < len(rows); i++ {
		// Every score column is as `score` writes it; three columns follow.
		if !strings.HasPrefix(rows[i], plainRows[i]+",") {
			t.Fatalf("row %d: %q does not extend %q", i, rows[i], plainRows[i])
		}
		p := numbers(t, strings.TrimPrefix(rows[i], plainRows[i]+","))
		q := numbers(t, strings.TrimPrefix(longer[i], plainRows[i]+","))
		if p[0] < 0 || p[0] > 1 || p[1] < 0 || p[2] < 0 {
			t.Errorf("row %d: p_alive, expected_orders, predicted_value = %v", i, p)
		}
		if q[0] != p[0] || q[1] < p[1] || q[2] < p[2] {
			t.Errorf("row %d: two years %v against one %v", i, q, p)
		}
	}
	if code, _, _ := runCLI(t, append(args, "--predict", "--horizon-days", "0")...); code != exitUsage {
		t.Errorf("--horizon-days 0: exit %d, want %d", code, exitUsage)
	}
}

func numbers(t *testing.T, s string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		out = append(out, v)
	}
	return out
}
