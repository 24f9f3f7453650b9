package syncloop_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestReportCarriesInsightWithCutsInForce(t *testing.T) {
	e := newEnv(t)
	e.opts.Params.F = rfm.Scale{Method: rfm.Threshold, Cuts: []rfm.Money{rfm.MoneyFromInt(100), rfm.MoneyFromInt(200), rfm.MoneyFromInt(300), rfm.MoneyFromInt(400)}}
	e.opts.Recalibrate = map[rfm.Metric]time.Duration{rfm.Frequency: 24 * time.Hour}
	rep, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	in := rep.Insight
	if in == nil || in.Customers != rep.Scored || in.Customers != 6 {
		t.Fatalf("insight %+v for %d scored", in, rep.Scored)
	}
	// Customer i has i+1 orders of 100: 21 orders, 2,100 in all.
	if in.Revenue.Round2() != "2100.00" || in.Orders != 21 {
		t.Errorf("revenue %s over %d orders", in.Revenue, in.Orders)
	}
	f := in.Scales[1]
	if f.Recalibrated == nil || !f.Recalibrated.Equal(rep.AsOf.Time()) {
		t.Errorf("F recalibrated at %v, want the run's asof %s", f.Recalibrated, rep.AsOf)
	}
	// The cuts shown are the recalibrated ones the run scored with, not the stale config.
	if got := strings.Join(f.Cuts, ","); got == "100,200,300,400" || !strings.Contains(rep.Recalibrated[0], "["+strings.ReplaceAll(got, ",", ", ")+"]") {
		t.Errorf("F cuts %s; recalibration said %q", got, rep.Recalibrated)
	}
	sum := 0
	for _, c := range in.RF {
		sum += c.Count
	}
	if sum != rep.Scored {
		t.Errorf("heat map holds %d of %d", sum, rep.Scored)
	}
}

func TestInsightRecalibrationTimeFollowsTheCutsInForce(t *testing.T) {
	e := newEnv(t)
	e.opts.Params.F = rfm.Scale{Method: rfm.Threshold, Cuts: []rfm.Money{rfm.MoneyFromInt(1), rfm.MoneyFromInt(2), rfm.MoneyFromInt(3), rfm.MoneyFromInt(4)}}
	e.opts.Recalibrate = map[rfm.Metric]time.Duration{rfm.Frequency: 24 * time.Hour}
	first, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	// An hour later the stored cuts are still in force: their time is the first run's.
	e.crm.Advance(time.Hour)
	rep, err := e.run(nil)
	if err != nil || len(rep.Recalibrated) != 0 {
		t.Fatalf("second run recalibrated %v, err %v", rep.Recalibrated, err)
	}
	if at := rep.Insight.Scales[1].Recalibrated; at == nil || !at.Equal(first.AsOf.Time()) {
		t.Errorf("cuts recalibrated at %v, want the first run's asof %s", at, first.AsOf)
	}
	// Recalibration switched off: the configured cuts are in force, with no time.
	e.opts.Recalibrate = nil
	rep, err = e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := rep.Insight.Scales[1]; f.Recalibrated != nil || strings.Join(f.Cuts, ",") != "1,2,3,4" {
		t.Errorf("configured cuts shown as %v recalibrated %v", f.Cuts, f.Recalibrated)
	}
}
